"""AD FS OAuth tokens for claims-based / internet-facing on-premises Dynamics.

On-premises Dynamics does not authorise app-only tokens (it has no application
users), so the unattended suite signs in as a CRM service account with the
resource-owner password grant: ``POST https://<adfs>/adfs/oauth2/token`` with
``grant_type=password``, the AD FS client id, the account's user name and
password and ``resource`` = the organisation URL. AD FS 2016 (4.0) and later
offer it; AD FS 2012 R2 answers ``MSIS9611`` (only the authorization-code grant),
which becomes an error telling the admin so. The client-credentials grant
(``adfs-client``) is offered as an experiment only: Dynamics is documented to
refuse tokens that carry no user.

Where the token endpoint is not given (``COMMS_ADFS_TOKEN_URL`` unset) it is discovered as
Microsoft's SDKs do (ADAL's ``AuthenticationParameters.CreateFromResourceUrl``; the CRM 2016
developer guide, "Authenticate the user with the web services", section "Discover the OAuth
endpoint URL", learn.microsoft.com dn531009(v=crm.8)): one anonymous request to the
organisation's Web API (``<org>/api/data/``) is answered ``401`` with ``WWW-Authenticate: Bearer
authorization_uri=https://<adfs>/adfs/oauth2/authorize, resource_id=<org>``; the token endpoint
is the authorization endpoint's sibling ``.../oauth2/token`` and, unless ``COMMS_ADFS_RESOURCE``
says otherwise, ``resource_id`` is the resource asked for.

Tokens are held by a :class:`~connectors.dataverse.token_refresh.TokenRefresher`: refreshed by one
background thread once less than five minutes are left, never waited for past a request deadline
(the clock is injected).
Failures raise :class:`~connectors.dataverse.errors.DataverseAuthError` (not
retry-safe) or :class:`~connectors.dataverse.errors.ConnectFailedError` (AD FS
unreachable: asking again is safe); the password and secret never appear in
either. Feature X-01.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.dataverse.errors import ConnectFailedError, DataverseAuthError
from connectors.dataverse.token_refresh import FetchedToken, TokenRefresher
from connectors.settings import Secret

log = logging.getLogger(__name__)

#: AD FS's numbered reasons, in words an admin can act on (the settings named are the suite's).
ADFS_REASONS = {
    "MSIS9611": (
        "this AD FS (Windows Server 2012 R2) does not offer the password grant, only the "
        "authorization-code grant: upgrade to AD FS 2016 or later, or sign in with "
        "COMMS_DATAVERSE_AUTH=ntlm"
    ),
    "MSIS9605": (
        "the AD FS client COMMS_CLIENT_ID is not allowed to access the resource "
        "COMMS_ADFS_RESOURCE: grant it with Grant-AdfsApplicationPermission on the AD FS server"
    ),
    "MSIS9607": "the AD FS client COMMS_CLIENT_ID is not registered (Add-AdfsClient)",
    "MSIS9622": "the AD FS client COMMS_CLIENT_ID is a public client and cannot use a client secret",
}
_CHALLENGE_PARAMETER = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^,\s]+))')


def discover(session: requests.Session, organisation_url: str, *, timeout_s: float = 30.0) -> tuple[str, str | None]:
    """``(token endpoint, resource_id or None)`` from the organisation's anonymous ``401`` challenge.

    Raises :class:`DataverseAuthError` when the server names no AD FS (Windows sign-in, or not
    claims-based) and :class:`ConnectFailedError` when it cannot be reached.
    """
    probe = organisation_url.rstrip("/") + "/api/data/"
    try:
        response = session.get(probe, timeout=timeout_s, allow_redirects=False, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise ConnectFailedError(f"cannot reach {probe}: {type(exc).__name__}", operation="sign-in") from None
    response.close()
    offered = response.headers.get("WWW-Authenticate", "")
    bearer = offered[offered.lower().find("bearer") :] if "bearer" in offered.lower() else ""
    parameters = {m.group(1).lower(): m.group(2) or m.group(3) for m in _CHALLENGE_PARAMETER.finditer(bearer)}
    authorize = parameters.get("authorization_uri", "").rstrip("/")
    if response.status_code != 401 or not authorize.endswith("/authorize") or not authorize.startswith("https://"):
        windows = "ntlm" in offered.lower() or "negotiate" in offered.lower()
        raise DataverseAuthError(
            f"{probe} names no AD FS to sign in with (HTTP {response.status_code}): "
            + (
                "it offers Windows sign-in, use COMMS_DATAVERSE_AUTH=ntlm"
                if windows
                else "set COMMS_ADFS_TOKEN_URL, e.g. https://adfs.contoso.com/adfs/oauth2/token"
            ),
            code="no_authority",
            status=response.status_code,
            operation="sign-in",
        )
    token_url = authorize.removesuffix("/authorize") + "/token"
    log.info("AD FS token endpoint discovered from %s: %s", urlsplit(probe).netloc, token_url)
    return token_url, parameters.get("resource_id") or None


class AdfsTokenProvider:
    """Bearer tokens for ``resource`` from AD FS's OAuth token endpoint.

    ``username`` + ``password`` use the password grant; ``client_secret`` alone the
    client-credentials grant (experimental). Build one per process.
    """

    def __init__(
        self,
        *,
        client_id: str,
        session: requests.Session,
        token_url: str | None = None,
        resource: str | None = None,
        organisation_url: str | None = None,
        username: str | None = None,
        password: Secret | None = None,
        client_secret: Secret | None = None,
        timeout_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        refresher: Callable[..., TokenRefresher] = TokenRefresher,
    ):
        if token_url is not None and not token_url.startswith("https://"):
            raise ValueError("the AD FS token endpoint must be https, e.g. https://adfs.contoso.com/adfs/oauth2/token")
        if organisation_url is None and (token_url is None or resource is None):
            raise ValueError("give the organisation URL, or both the AD FS token endpoint and the resource")
        if bool(username and password) == bool(client_secret):
            raise ValueError("give a user name and password (password grant) or a client secret, not both")
        self.token_url = token_url
        self.client_id = client_id
        self.resource = resource
        self.organisation_url = organisation_url
        self.username = username
        self._password = password
        self._client_secret = client_secret
        self._session = session
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._tokens = refresher(self._fetch, clock=clock)

    def __repr__(self) -> str:
        return (
            f"AdfsTokenProvider(token_url={self.token_url!r}, client_id={self.client_id!r}, "
            f"resource={self.resource!r}, username={self.username!r})"
        )

    @property
    def grant_type(self) -> str:
        return "password" if self.username else "client_credentials"

    def token(self, *, force_refresh: bool = False) -> str:
        """The token held, refreshed ahead of expiry; inside a request deadline a wait ends at the deadline."""
        return self._tokens.token(force_refresh=force_refresh)

    def _fetch(self) -> FetchedToken:
        with self._lock:
            token, lifetime_s = self._request_token()
        return FetchedToken(Secret(token), lifetime_s)

    def _endpoint(self) -> tuple[str, str]:
        """The token endpoint and resource: as given, else discovered once from the organisation's challenge."""
        if self.token_url is None or self.resource is None:
            organisation = str(self.organisation_url)
            discovered, resource_id = (
                (self.token_url, None)
                if self.token_url is not None
                else discover(self._session, organisation, timeout_s=self._timeout_s)
            )
            self.token_url = discovered
            if self.resource is None:
                parts = urlsplit(organisation)
                self.resource = resource_id or f"{parts.scheme}://{parts.netloc}/"
        return str(self.token_url), str(self.resource)

    def _request_token(self) -> tuple[str, float]:
        token_url, resource = self._endpoint()
        form = {"grant_type": self.grant_type, "client_id": self.client_id, "resource": resource}
        if self.username and self._password:
            form |= {"username": self.username, "password": self._password.reveal()}
        elif self._client_secret:
            form["client_secret"] = self._client_secret.reveal()
        try:
            response = self._session.post(
                token_url,
                data=form,
                timeout=self._timeout_s,
                headers={"Accept": "application/json"},
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise ConnectFailedError(f"cannot reach AD FS: {type(exc).__name__}", operation="token") from None
        reply = _json_object(response)
        token = reply.get("access_token")
        if response.ok and isinstance(token, str) and token:
            log.debug("AD FS token obtained (grant %s)", self.grant_type)
            return token, _seconds(reply.get("expires_in"))
        raise self._refusal(response.status_code, reply)

    def _refusal(self, status: int, reply: dict[str, Any]) -> DataverseAuthError:
        code = str(reply.get("error") or f"http_{status}")
        description = str(reply.get("error_description") or "")
        msis = next((word.rstrip(":.") for word in description.split() if word.startswith("MSIS")), None)
        if msis in ADFS_REASONS:
            why = ADFS_REASONS[msis]
        elif code == "invalid_grant":
            why = (
                "the user name or password was refused (COMMS_DATAVERSE_USERNAME, COMMS_DATAVERSE_PASSWORD)"
                if self.username
                else "the grant was refused"
            )
        elif code == "invalid_client":
            why = "the client id or secret was refused (COMMS_CLIENT_ID, COMMS_CLIENT_SECRET)"
        else:
            why = self._scrub(description.splitlines()[0] if description else "no access token in the reply")
        error = DataverseAuthError(
            f"AD FS refused the token request: {code}{f' ({msis})' if msis else ''}: {why}",
            code=code,
            status=status,
            operation="token",
        )
        error.adfs_code = msis
        return error

    def _scrub(self, text: str) -> str:
        for secret in (self._password, self._client_secret):
            if secret and secret.reveal():
                text = text.replace(secret.reveal(), "***")
        return text


def _seconds(value: object) -> float:
    """``expires_in`` (a number, or its text); an hour, AD FS's default, when absent or odd."""
    try:
        seconds = float(str(value))
    except ValueError:
        return 3600.0
    return seconds if 0 < seconds < 86400 * 7 else 3600.0


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        document = json.loads(response.content or b"{}")
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}
