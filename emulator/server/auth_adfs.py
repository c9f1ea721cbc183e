"""AD FS in front of on-premises Dynamics (claims-based / internet-facing deployment), as the emulator plays it.

The emulator serves the AD FS farm's OAuth endpoints on its own origin, below ``/adfs/``:

* ``POST /adfs/oauth2/token``: the resource-owner password grant (AD FS 2016 and later) and the
  client-credentials grant of a confidential client. AD FS 2012 R2 (``version="2012r2"``) offers
  only ``authorization_code`` and ``refresh_token`` and answers any other grant with
  ``unsupported_grant_type`` / ``MSIS9611``.
* ``GET /adfs/.well-known/openid-configuration`` and ``GET /adfs/discovery/keys`` (AD FS 2016
  and later; 2012 R2 has no OpenID Connect and answers 404).

Refusals carry AD FS's shape, ``400 {"error": ..., "error_description": "MSISnnnn: ..."}``: an
unknown client (``invalid_client``, MSIS9607), a wrong client secret (``invalid_client``,
MSIS9622), a resource no relying party has (``invalid_resource``, MSIS9602), a client not
granted the resource (MSIS9605; the ``error`` code beside it is UNCONFIRMED), a wrong user
name or password (``invalid_grant``, MSIS9659). Sources are in docs/emulator.md.

Access tokens are JWTs signed RS256 with a key the emulator makes at start, ``aud`` = the CRM
resource (the emulator's origin with a trailing ``/``) and ``iss`` =
``http://<host>/adfs/services/trust`` as AD FS writes it. The Web API side (:meth:`Adfs.user`)
checks signature, issuer, audience and expiry, and, as Dynamics on-premises has no application
users, refuses a token that names no user (a client-credentials token).
"""

from __future__ import annotations

import json
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from emulator.errors import ODataError
from emulator.server.profiles import Account
from emulator.server.wire import ApiResponse, Headers, json_response

TOKEN_PATH = "/adfs/oauth2/token"
CONFIGURATION_PATH = "/adfs/.well-known/openid-configuration"
KEYS_PATH = "/adfs/discovery/keys"
TOKEN_LIFETIME_S = 3600
_AUTH_CODE = "0x80072560"

#: The AD FS clients (Add-AdfsClient) the emulated farm knows.
PUBLIC_CLIENT_ID = "3f4b6c1e-0d2a-4e57-9b8c-6a1d2e3f4a5b"  # public, granted the CRM resource
CONFIDENTIAL_CLIENT_ID = "8a7b6c5d-4e3f-4a2b-9c1d-0e9f8a7b6c5d"  # confidential: client credentials
CONFIDENTIAL_CLIENT_SECRET = "Emulat0r-Adfs-Secret"
UNGRANTED_CLIENT_ID = "c0ffee00-1111-4222-8333-944455556666"  # registered, not granted the resource


@dataclass(frozen=True)
class AdfsClient:
    """One ``Add-AdfsClient`` registration: a secret for a confidential client; whether it was granted the CRM."""

    client_id: str
    secret: str | None = None
    granted: bool = True

    def __repr__(self) -> str:
        return f"AdfsClient({self.client_id!r}, confidential={self.secret is not None}, granted={self.granted})"


CLIENTS = (
    AdfsClient(PUBLIC_CLIENT_ID),
    AdfsClient(CONFIDENTIAL_CLIENT_ID, secret=CONFIDENTIAL_CLIENT_SECRET),
    AdfsClient(UNGRANTED_CLIENT_ID, granted=False),
)


class AdfsRefusal(Exception):
    """A token request AD FS refuses: ``400 {"error": code, "error_description": description}``."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code, self.description, self.status = code, description, status


class Adfs:
    """The AD FS farm of one emulator: its token endpoint, its discovery documents and its token check."""

    def __init__(
        self,
        version: str,
        accounts: Iterable[Account],
        clients: Iterable[AdfsClient] = CLIENTS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if version not in ("2019", "2016", "2012r2"):
            raise ValueError(f"unknown AD FS version {version!r}: 2019, 2016 or 2012r2")
        self.version = version
        self._accounts = {account.username.lower(): account for account in accounts}
        self._clients = {client.client_id.lower(): client for client in clients}
        self._clock = clock
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._kid = uuid.uuid4().hex

    @property
    def offers_password_grant(self) -> bool:
        return self.version != "2012r2"

    def handle(self, method: str, path: str, headers: Headers, body: bytes, origin: str) -> ApiResponse:
        """Answer one request below ``/adfs/``."""
        path = path.rstrip("/")
        if path == TOKEN_PATH:
            if method != "POST":
                return _refusal(AdfsRefusal("invalid_request", "Use POST on the token endpoint.", 405))
            try:
                return json_response(200, self._token(headers, body, origin))
            except AdfsRefusal as refusal:
                return _refusal(refusal)
        if self.offers_password_grant and method == "GET" and path == CONFIGURATION_PATH:
            return json_response(200, self.configuration(origin))
        if self.offers_password_grant and method == "GET" and path == KEYS_PATH:
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self._key.public_key()))
            return json_response(200, {"keys": [{**jwk, "kid": self._kid, "use": "sig", "alg": "RS256"}]})
        return ApiResponse(404, [("Content-Type", "text/html")], b"<html><body>404 - Not Found</body></html>")

    def configuration(self, origin: str) -> dict[str, object]:
        """The OpenID Connect discovery document of AD FS 2016 and later (the keys the suite might read)."""
        return {
            "issuer": f"{origin}/adfs",
            "authorization_endpoint": f"{origin}/adfs/oauth2/authorize/",
            "token_endpoint": f"{origin}{TOKEN_PATH}/",
            "jwks_uri": f"{origin}{KEYS_PATH}",
            "access_token_issuer": _issuer(origin),
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials", "password"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
            "response_types_supported": ["code", "id_token", "code id_token"],
            "scopes_supported": ["openid", "profile", "email", "user_impersonation"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def challenge(self, origin: str) -> tuple[str, str]:
        """What the CRM answers an anonymous request with, naming its AD FS and its resource."""
        return ("WWW-Authenticate", f"Bearer authorization_uri={origin}/adfs/oauth2/authorize, resource_id={origin}/")

    def issue(self, *, audience: str, origin: str, client_id: str, user: str | None) -> str:
        """A signed access token (also used by tests to forge one for another audience)."""
        now = int(self._clock())
        claims: dict[str, object] = {
            "aud": audience,
            "iss": _issuer(origin),
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME_S,
            "appid": client_id,
            "apptype": "Confidential" if getattr(self._clients.get(client_id.lower()), "secret", None) else "Public",
            "ver": "1.0",
        }
        if user is not None:
            claims |= {"upn": user, "unique_name": user, "auth_time": now}
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self._kid, "x5t": self._kid})

    def user(self, header: str, origin: str) -> str:
        """The user an ``Authorization: Bearer`` header's token names; 401 when it is not one of ours for this CRM."""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ODataError(401, _AUTH_CODE, "The request needs an Authorization: Bearer <token> header.")
        try:
            claims = jwt.decode(
                token.strip(),
                self._key.public_key(),
                algorithms=["RS256"],
                audience=f"{origin}/",
                issuer=_issuer(origin),
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.InvalidTokenError as exc:
            raise ODataError(401, _AUTH_CODE, f"The bearer token is not valid for this organisation: {exc}") from None
        if float(claims.get("exp", 0)) <= self._clock():
            raise ODataError(401, _AUTH_CODE, "The bearer token has expired.")
        user = claims.get("upn") or claims.get("unique_name")
        if not isinstance(user, str) or not user:
            raise ODataError(401, _AUTH_CODE, "The token names no user: on-premises Dynamics has no application users.")
        return user

    def _token(self, headers: Headers, body: bytes, origin: str) -> dict[str, object]:
        content_type = headers.get("Content-Type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise AdfsRefusal("invalid_request", "The request must be sent as application/x-www-form-urlencoded.")
        form = {
            k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()
        }
        grant = form.get("grant_type", "")
        if not self.offers_password_grant and grant not in ("authorization_code", "refresh_token"):
            raise AdfsRefusal(
                "unsupported_grant_type",
                "MSIS9611: The authorization server does not support the requested 'grant_type'. The authorization "
                "server only supports 'authorization_code' or 'refresh_token' as the grant type.",
            )
        if grant not in ("password", "client_credentials"):
            raise AdfsRefusal("unsupported_grant_type", f"The grant type '{grant}' is not supported here.")
        client = self._client(form.get("client_id", ""))
        self._authenticate(client, form.get("client_secret"), grant)
        resource = form.get("resource", "")
        if resource.rstrip("/") != origin:
            raise AdfsRefusal(
                "invalid_resource",
                "MSIS9602: The received 'resource' parameter is invalid. The authorization server can not find a "
                "registered resource with the specified identifier.",
            )
        if not client.granted:
            raise AdfsRefusal("invalid_grant", "MSIS9605: The client is not allowed to access the requested resource.")
        user = self._user(form) if grant == "password" else None
        token = self.issue(audience=f"{origin}/", origin=origin, client_id=client.client_id, user=user)
        return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME_S}

    def _client(self, client_id: str) -> AdfsClient:
        client = self._clients.get(client_id.lower())
        if client is None:
            raise AdfsRefusal(
                "invalid_client",
                "MSIS9607: The 'client_id' parameter in the request is invalid. No registered client is found "
                "with this identifier.",
            )
        return client

    def _authenticate(self, client: AdfsClient, secret: str | None, grant: str) -> None:
        """A public client sends no secret (and cannot use client credentials); a confidential one its own."""
        public_misused = client.secret is None and (secret or grant == "client_credentials")
        if public_misused or (client.secret is not None and secret != client.secret):
            raise AdfsRefusal(
                "invalid_client",
                "MSIS9622: Client authentication failed. Please verify the credential provided for client "
                "authentication is valid.",
            )

    def _user(self, form: dict[str, str]) -> str:
        account = self._accounts.get(form.get("username", "").lower())
        if account is None or form.get("password") != account.password:
            raise AdfsRefusal("invalid_grant", "MSIS9659: Invalid 'username' or 'password'.")
        return account.username


def _issuer(origin: str) -> str:
    """AD FS writes its access tokens' ``iss`` with http, whatever the farm's scheme."""
    host = urllib.parse.urlsplit(origin).netloc
    return f"http://{host}/adfs/services/trust"


def _refusal(refusal: AdfsRefusal) -> ApiResponse:
    body = json.dumps({"error": refusal.code, "error_description": refusal.description}).encode()
    return ApiResponse(refusal.status, [("Content-Type", "application/json;charset=UTF-8")], body)
