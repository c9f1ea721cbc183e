"""MyFax at the wire with ``responses``: body matchers, timeouts, 429, junk, auth, canary (shape UNCONFIRMED, see the
module)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import requests
import responses
from responses import matchers

from connectors.errors import (
    AuthError,
    BadReplyError,
    NotSentError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.fax.myfax import MyFaxServer, MyFaxSettings
from domain.fax import DialParts, FailureReason, FaxDocument, FaxJobState, OutgoingFax

CANARY = "CANARY-7f3a"
BASE = "https://fax.example.test"
FAXES = f"{BASE}/v1/faxes"
PDF = b"%PDF-1.4 test"
FAX = OutgoingFax(
    key="act-1",
    documents=(FaxDocument.of("a.pdf", PDF),),
    dial=DialParts("+982112345678"),
    recipient_name="Dr Rahimi",
    sender_name="Sales",
)
AUTH = matchers.header_matcher({"Authorization": f"Bearer {CANARY}"})


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def myfax() -> MyFaxServer:
    return MyFaxServer(MyFaxSettings(base_url=BASE, access_token=CANARY), session=requests.Session())


def _submit_matchers() -> list:
    form = {"to": "+982112345678", "sender_name": "Sales", "recipient_name": "Dr Rahimi"}
    return [AUTH, matchers.multipart_matcher({"documents": ("a.pdf", PDF, "application/pdf")}, data=form)]


def test_submit_posts_multipart_and_returns_the_fax_id(wire, myfax) -> None:
    wire.post(FAXES, json={"fax_id": "F-100"}, match=_submit_matchers())
    assert myfax.submit(FAX).job_id == "F-100"


def test_prefix_or_extension_is_refused_before_the_wire(myfax) -> None:
    fax = OutgoingFax(key="k", documents=FAX.documents, dial=DialParts("02112345678", prefix="9"))
    with pytest.raises(RejectedError, match="number only"):
        myfax.submit(fax)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"body": requests.exceptions.ConnectTimeout("connect timed out")}, NotSentError),
        ({"body": requests.exceptions.ReadTimeout("read timed out")}, OutcomeUnknownError),
        ({"status": 429, "json": {}, "headers": {"Retry-After": "7"}}, RateLimitedError),
        ({"status": 503, "body": "down"}, UnavailableError),
        ({"status": 401, "json": {"error": "invalid_token"}}, AuthError),
        ({"status": 400, "json": {"error": "bad number"}}, RejectedError),
        ({"status": 200, "body": "<html>proxy</html>"}, BadReplyError),
        ({"status": 200, "json": {"id": "F-1"}}, BadReplyError),
    ],
)
def test_submit_failures_map_to_the_error_tree(wire, myfax, kwargs, error) -> None:
    wire.post(FAXES, match=_submit_matchers(), **kwargs)
    with pytest.raises(error) as caught:
        myfax.submit(FAX)
    assert caught.value.key == "act-1"
    if error is RateLimitedError:
        assert caught.value.retry_after_s == 7


@pytest.mark.parametrize(
    "word, state, reason",
    [
        ("queued", FaxJobState.PENDING, FailureReason.NONE),
        ("sending", FaxJobState.SENDING, FailureReason.NONE),
        ("delivered", FaxJobState.DONE, FailureReason.NONE),
        ("failed", FaxJobState.FAILED, FailureReason.OTHER),
        ("something_new", FaxJobState.UNKNOWN, FailureReason.NONE),
    ],
)
def test_status_words(wire, myfax, word, state, reason) -> None:
    wire.get(f"{FAXES}/F-100", json={"fax_id": "F-100", "status": word, "pages": 3}, match=[AUTH])
    (job,) = myfax.status(["F-100"])
    assert (job.state, job.reason, job.status_text, job.pages_total) == (state, reason, word, 3)


def test_unknown_ids_are_absent(wire, myfax) -> None:
    wire.get(f"{FAXES}/F-404", status=404, json={"error": "not found"})
    assert myfax.status(["F-404"]) == []
    with pytest.raises(RejectedError):
        myfax.status(["../x"])


def test_find_by_key_and_cancel_are_not_offered(myfax) -> None:
    for call in (lambda: myfax.find_by_key("act-1"), lambda: myfax.cancel("F-1")):
        with pytest.raises(RejectedError) as caught:
            call()
        assert caught.value.code == "unsupported"


def test_received_faxes_are_paged_fetched_and_marked(wire, myfax) -> None:
    page = matchers.query_param_matcher
    wire.get(
        FAXES,
        json={"faxes": [{"fax_id": "R1", "pages": 2, "from": "+982188888888"}]},
        match=[AUTH, page({"direction": "inbound", "page": "0"})],
    )
    wire.get(FAXES, json={"faxes": [{"fax_id": "R2"}]}, match=[page({"direction": "inbound", "page": "1"})])
    wire.get(FAXES, json={"faxes": []}, match=[page({"direction": "inbound", "page": "2"})])
    wire.get(f"{FAXES}/R1/content", body=PDF, match=[AUTH])
    listed = myfax.list_received()
    assert [(f.server_id, f.pages, f.caller_number) for f in listed] == [
        ("R1", 2, "+982188888888"),
        ("R2", 0, ""),
    ]
    assert myfax.fetch_received("R1") == PDF
    myfax.mark_processed("R1")
    wire.get(FAXES, json={"faxes": []}, match=[page({"direction": "inbound", "page": "0"})])
    assert myfax.list_received() == []


def test_canary_stays_out_of_logs_and_errors(wire, myfax, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    wire.post(FAXES, json={"fax_id": "F-1"})
    myfax.submit(FAX)
    wire.post(FAXES, status=400, body=f"token {CANARY} rejected")
    with pytest.raises(RejectedError) as caught:
        myfax.submit(FAX)
    wire.get(f"{FAXES}/F-1", body=requests.exceptions.ConnectionError(f"https://x?token={CANARY}"))
    with pytest.raises(OutcomeUnknownError) as lost:
        myfax.status(["F-1"])
    texts = [caplog.text, str(caught.value), caught.value.reason, str(lost.value), str(lost.value.__cause__)]
    assert all(CANARY not in t for t in texts) and CANARY not in repr(myfax.settings)
