"""Retries, service protection, 401 refresh and exception translation at the wire."""

from __future__ import annotations

import logging

import pytest
import requests
import urllib3.exceptions

from connectors import errors as tree
from connectors.dataverse import (
    ConnectFailedError,
    DataverseAuthError,
    DataverseClient,
    ResponseLostError,
    RetryPolicy,
    ServerError,
    StaticToken,
    ThrottledError,
)
from connectors.dataverse.errors import BadResponseError, RequestNotBuiltError
from connectors.dataverse.retry import parse_retry_after
from connectors.dataverse.transport import loggable_target, translate_exception

from .dataverse_support import API, ORG, FakeSleep

GUID = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
THROTTLE_BODY = {
    "error": {
        "code": "0x80072322",
        "message": "Number of requests exceeded the limit of 6000 over time window of 300 seconds.",
    }
}
UNAVAILABLE = {"error": {"code": "", "message": "Service Unavailable"}}


def not_sent() -> requests.ConnectionError:
    reason = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: refused")
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))


def test_429_waits_exactly_retry_after_then_succeeds(client, wire, sleep, caplog):
    caplog.set_level(logging.WARNING)
    wire.get(API + "WhoAmI", status=429, json=THROTTLE_BODY, headers={"Retry-After": "7"})
    wire.get(API + "WhoAmI", status=429, json=THROTTLE_BODY, headers={"Retry-After": "2.5"})
    wire.get(API + "WhoAmI", json={"UserId": GUID})
    assert client.whoami() == {"UserId": GUID}
    assert sleep.waits == [7.0, 2.5]
    assert (client.stats.requests, client.stats.retries, client.stats.throttled) == (3, 2, 2)
    assert client.stats.waited_s == 9.5
    assert "HTTP 429 on WhoAmI; retry 1/4 in 7.00 s" in caplog.text


def test_429_without_retry_after_backs_off(client, wire, sleep):
    wire.get(API + "WhoAmI", status=429, json=THROTTLE_BODY)
    wire.get(API + "WhoAmI", json={})
    client.whoami()
    assert sleep.waits == [0.5]  # rng 0.5 * min(60, 1 * 2**0)


def test_429_retries_even_a_create_because_dataverse_did_not_run_it(client, wire, sleep):
    wire.post(API + "accounts", status=429, json=THROTTLE_BODY, headers={"Retry-After": "1"})
    wire.post(API + "accounts", status=204, headers={"OData-EntityId": f"{API}accounts({GUID})"})
    assert client.create("accounts", {"name": "x"}) == GUID
    assert sleep.waits == [1.0]


def test_throttling_that_outlasts_the_policy_raises_throttled(wire, sleep):
    client = DataverseClient(
        base_url=ORG,
        session=requests.Session(),
        token_provider=StaticToken("t"),
        retry=RetryPolicy(max_attempts=2, sleep=sleep),
    )
    wire.get(API + "WhoAmI", status=429, json=THROTTLE_BODY, headers={"Retry-After": "3"})
    wire.get(API + "WhoAmI", status=429, json=THROTTLE_BODY, headers={"Retry-After": "4"})
    with pytest.raises(ThrottledError) as caught:
        client.whoami()
    assert (caught.value.retry_after_s, caught.value.code, caught.value.status) == (4.0, "0x80072322", 429)
    assert isinstance(caught.value, tree.RateLimitedError) and sleep.waits == [3.0]


def test_a_retry_after_longer_than_the_policy_allows_is_left_to_the_caller(client, wire, sleep):
    wire.get(API + "WhoAmI", status=429, json=THROTTLE_BODY, headers={"Retry-After": "301"})
    with pytest.raises(ThrottledError) as caught:
        client.whoami()
    assert caught.value.retry_after_s == 301.0 and sleep.waits == []


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors_back_off_exponentially_with_full_jitter(wire, status):
    sleep = FakeSleep()
    draws = iter([1.0, 0.25, 0.5, 1.0])
    client = DataverseClient(
        base_url=ORG,
        session=requests.Session(),
        token_provider=StaticToken("t"),
        retry=RetryPolicy(max_attempts=5, base_s=2.0, cap_s=10.0, sleep=sleep, rng=lambda: next(draws)),
    )
    for _ in range(4):
        wire.get(API + "WhoAmI", status=status, json=UNAVAILABLE)
    wire.get(API + "WhoAmI", json={})
    client.whoami()
    assert sleep.waits == [2.0, 1.0, 4.0, 10.0]  # rng * min(cap, base * 2**n)


def test_gateway_errors_exhaust_into_server_error(wire, sleep):
    client = DataverseClient(
        base_url=ORG,
        session=requests.Session(),
        token_provider=StaticToken("t"),
        retry=RetryPolicy(max_attempts=3, sleep=sleep, rng=lambda: 0.0),
    )
    for _ in range(3):
        wire.get(API + "WhoAmI", status=503, json=UNAVAILABLE)
    with pytest.raises(ServerError):
        client.whoami()
    assert len(sleep.waits) == 2 and client.stats.requests == 3


def test_a_create_is_not_resent_after_a_503(client, wire, sleep):
    wire.post(API + "accounts", status=503, json=UNAVAILABLE)
    with pytest.raises(ServerError):
        client.create("accounts", {"name": "x"})
    assert sleep.waits == [] and client.stats.requests == 1


def test_a_503_carries_its_retry_after_for_the_caller(client, wire, sleep):
    wire.post(API + "accounts", status=503, json=UNAVAILABLE, headers={"Retry-After": "42"})
    with pytest.raises(ServerError) as caught:
        client.create("accounts", {"name": "x"})
    assert caught.value.retry_after_s == 42


def test_a_create_read_timeout_is_outcome_unknown_and_not_resent(client, wire, sleep):
    wire.post(API + "accounts", body=requests.ReadTimeout("read timed out"))
    with pytest.raises(ResponseLostError) as caught:
        client.create("accounts", {"name": "x"})
    assert isinstance(caught.value, tree.OutcomeUnknownError)
    assert sleep.waits == [] and client.stats.requests == 1


def test_a_create_with_its_own_id_may_be_resent(client, wire, sleep):
    wire.post(API + "accounts", body=requests.ReadTimeout("read timed out"))
    wire.post(API + "accounts", status=204, headers={"OData-EntityId": f"{API}accounts({GUID})"})
    assert client.create("accounts", {"accountid": GUID}, idempotent=True) == GUID
    assert len(sleep.waits) == 1


def test_an_upsert_read_timeout_is_resent(client, wire, sleep):
    wire.patch(API + "phonecalls(comms_pbxcallid='1')", body=requests.ReadTimeout("read timed out"))
    wire.patch(API + "phonecalls(comms_pbxcallid='1')", status=204)
    from connectors.dataverse import AlternateKey

    client.upsert("phonecalls", AlternateKey({"comms_pbxcallid": "1"}), {"subject": "x"})
    assert sleep.waits == [0.5]


def test_connect_failures_are_resent_for_any_method(client, wire, sleep):
    wire.post(API + "accounts", body=not_sent())
    wire.post(API + "accounts", body=requests.ConnectTimeout("connect timed out"))
    wire.post(API + "accounts", status=204, headers={"OData-EntityId": f"{API}accounts({GUID})"})
    assert client.create("accounts", {"name": "x"}) == GUID
    assert sleep.waits == [0.5, 1.0]


def test_retries_can_be_turned_off(wire):
    client = DataverseClient(base_url=ORG, session=requests.Session(), token_provider=StaticToken("t"), retry=None)
    wire.get(API + "WhoAmI", status=429, json=THROTTLE_BODY, headers={"Retry-After": "1"})
    with pytest.raises(ThrottledError):
        client.whoami()
    wire.get(API + "WhoAmI", body=requests.ConnectTimeout("x"))
    with pytest.raises(ConnectFailedError):
        client.whoami()
    assert RetryPolicy.off().max_attempts == 1


class CountingToken:
    def __init__(self) -> None:
        self.calls: list[bool] = []

    def token(self, *, force_refresh: bool = False) -> str:
        self.calls.append(force_refresh)
        return f"tok-{len(self.calls)}"


def test_a_401_refreshes_the_token_once_and_resends(wire):
    provider = CountingToken()
    client = DataverseClient(base_url=ORG, session=requests.Session(), token_provider=provider)
    wire.get(API + "WhoAmI", status=401, json={"error": {"code": "", "message": "ExpiredAuthTicket"}})
    wire.get(API + "WhoAmI", json={"UserId": GUID})
    assert client.whoami() == {"UserId": GUID}
    assert provider.calls == [False, True]
    assert [c.request.headers["Authorization"] for c in wire.calls] == ["Bearer tok-1", "Bearer tok-2"]
    assert client.stats.requests == 2


def test_a_second_401_is_an_auth_error(wire):
    client = DataverseClient(base_url=ORG, session=requests.Session(), token_provider=CountingToken())
    wire.get(API + "WhoAmI", status=401, json={"error": {"code": "", "message": "BadAuthTicket"}})
    wire.get(API + "WhoAmI", status=401, json={"error": {"code": "", "message": "BadAuthTicket"}})
    with pytest.raises(DataverseAuthError) as caught:
        client.whoami()
    assert isinstance(caught.value, tree.AuthError) and caught.value.status == 401


@pytest.mark.parametrize(
    "value, expected",
    [("7", 7.0), (" 2.5 ", 2.5), (None, None), ("soon", None), ("-1", None), ("nan", None), ("inf", None)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_policy_validation():
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        RetryPolicy(base_s=-1)


# --- each fate of the shared map (connectors/http_errors.py, tested there) has its Dataverse subclass ---


@pytest.mark.parametrize(
    "failure, expected",
    [
        (requests.ConnectTimeout("x"), ConnectFailedError),
        (requests.ReadTimeout("x"), ResponseLostError),
        (requests.exceptions.InvalidURL("x"), RequestNotBuiltError),
        (requests.TooManyRedirects("x"), BadResponseError),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, Exception) else v.__name__,
)
def test_each_fate_has_its_dataverse_subclass(failure, expected):
    error = translate_exception(failure, "op")
    assert type(error) is expected and error.operation == "op" and error.system == "dataverse"


def test_a_refused_connection_is_not_sent_but_a_reset_is_unknown():
    assert isinstance(translate_exception(not_sent(), "op"), ConnectFailedError)
    reset = requests.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError()))
    assert isinstance(translate_exception(reset, "op"), ResponseLostError)


@pytest.mark.parametrize(
    "url, expected",
    [
        (API + "contacts(telephone1='%2B98')?$filter=x", "contacts"),
        (API + "WhoAmI", "WhoAmI"),
        (API + "phonecalls/Microsoft.Dynamics.CRM.UpsertMultiple", "phonecalls"),
        ("https://elsewhere/x/y?secret=1", "y"),
    ],
)
def test_logged_targets_carry_no_keys_or_queries(url, expected):
    assert loggable_target(url, API) == expected
