"""The emulated AD FS farm's token check: expiry by the injected clock, issuer, user, and its endpoints' refusals."""

from __future__ import annotations

import json

import pytest

from emulator.errors import ODataError
from emulator.server.auth_adfs import PUBLIC_CLIENT_ID, TOKEN_LIFETIME_S, TOKEN_PATH, Adfs
from emulator.server.profiles import Account
from emulator.server.wire import Headers

ORIGIN = "https://127.0.0.1:8443"
USER = Account("CONTOSO\\crmservice", "Emulat0r-Pa55")
FORM = Headers([("Content-Type", "application/x-www-form-urlencoded")])


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_good_until_it_expires() -> None:
    clock = Clock()
    farm = Adfs("2019", [USER], clock=clock)
    token = farm.issue(audience=f"{ORIGIN}/", origin=ORIGIN, client_id=PUBLIC_CLIENT_ID, user=USER.username)
    assert farm.user(f"Bearer {token}", ORIGIN) == USER.username
    clock.now += TOKEN_LIFETIME_S
    with pytest.raises(ODataError, match="expired"):
        farm.user(f"Bearer {token}", ORIGIN)


def test_another_farms_token_or_no_user_is_refused() -> None:
    farm, other = Adfs("2019", [USER]), Adfs("2019", [USER])
    foreign = other.issue(audience=f"{ORIGIN}/", origin=ORIGIN, client_id=PUBLIC_CLIENT_ID, user=USER.username)
    with pytest.raises(ODataError, match="not valid"):
        farm.user(f"Bearer {foreign}", ORIGIN)
    app_only = farm.issue(audience=f"{ORIGIN}/", origin=ORIGIN, client_id=PUBLIC_CLIENT_ID, user=None)
    with pytest.raises(ODataError, match="no application users"):
        farm.user(f"Bearer {app_only}", ORIGIN)
    with pytest.raises(ODataError) as caught:
        farm.user("Negotiate abc", ORIGIN)
    assert caught.value.status == 401


@pytest.mark.parametrize(
    ("method", "headers", "body", "status", "error"),
    [
        ("GET", FORM, b"", 405, "invalid_request"),
        ("POST", Headers([("Content-Type", "application/json")]), b"{}", 400, "invalid_request"),
        ("POST", FORM, b"grant_type=device_code&client_id=x", 400, "unsupported_grant_type"),
    ],
)
def test_the_token_endpoint_refuses_in_oauth_shape(method, headers, body, status, error) -> None:
    reply = Adfs("2019", [USER]).handle(method, TOKEN_PATH, headers, body, ORIGIN)
    assert reply.status == status and json.loads(reply.body)["error"] == error


def test_unknown_versions_are_refused() -> None:
    with pytest.raises(ValueError, match="2012r2"):
        Adfs("3.0", [USER])
