"""Bearer tokens for the Dataverse Web API: MSAL client credentials or a static token.

* :class:`MsalTokenProvider`: one ``msal.ConfidentialClientApplication`` per provider
  (build one provider per process), ``acquire_token_for_client`` with the scope
  ``<org>/.default`` (MSAL for Python, https://learn.microsoft.com/entra/msal/python/). The token is
  held by a :class:`~connectors.dataverse.token_refresh.TokenRefresher`: refreshed by one background
  thread ahead of its expiry, and dropped when Dataverse refuses it. Credentials are a client
  secret or a certificate (PEM private key + thumbprint, or a PFX file).
* :class:`StaticToken`: a fixed token, for the local emulator.
* :class:`BearerAuth`: the ``requests`` auth hook that adds the token and, on a
  401, refreshes it once and resends.

Token failures raise :class:`~connectors.dataverse.errors.DataverseAuthError`
carrying AAD's error code; secrets never appear in messages or logs. Feature X-04.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from connectors.dataverse.errors import ConnectFailedError, DataverseAuthError
from connectors.dataverse.token_refresh import FetchedToken, TokenRefresher
from connectors.settings import Secret

log = logging.getLogger(__name__)

DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"


class TokenProvider(Protocol):
    """Gives a bearer token for Dataverse; ``force_refresh`` bypasses any cache."""

    def token(self, *, force_refresh: bool = False) -> str: ...


class StaticToken:
    """A fixed bearer token (the local emulator accepts any)."""

    def __init__(self, token: str | Secret):
        self._token = token if isinstance(token, Secret) else Secret(token)
        if not self._token:
            raise ValueError("a static token cannot be empty")

    def token(self, *, force_refresh: bool = False) -> str:
        return self._token.reveal()

    def __repr__(self) -> str:
        return "StaticToken('***')"


@dataclass(frozen=True)
class ClientSecret:
    """An app registration's client secret."""

    value: Secret


@dataclass(frozen=True)
class Certificate:
    """A certificate credential: PEM private key, SHA-1 thumbprint (hex) and, when
    known, the PEM certificate (sent as ``x5c`` for subject-name/issuer auth)."""

    private_key_pem: Secret
    thumbprint: str
    public_certificate_pem: str | None = None
    passphrase: Secret | None = None

    @classmethod
    def from_pem_file(
        cls, path: Path, *, thumbprint: str | None = None, passphrase: Secret | None = None
    ) -> Certificate:
        """Load a PEM file holding the private key and, usually, the certificate.

        The thumbprint is computed from the certificate when not given.
        """
        text = _read_credential_file(path).decode("ascii", errors="replace")
        certificate = _first_pem_certificate(text)
        if thumbprint is None:
            if certificate is None:
                raise ValueError(f"{path} holds no certificate; give its thumbprint")
            thumbprint = _thumbprint(certificate)
        return cls(
            Secret(text),
            _normalise_thumbprint(thumbprint),
            certificate.public_bytes(serialization.Encoding.PEM).decode() if certificate else None,
            passphrase,
        )

    @classmethod
    def from_pfx_file(cls, path: Path, *, passphrase: Secret | None = None) -> Certificate:
        """Load a PKCS#12 (``.pfx``) file; the key is kept as unencrypted PEM in memory only."""
        password = passphrase.reveal().encode() if passphrase else None
        data = _read_credential_file(path)
        try:
            key, certificate, _ = pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            raise ValueError(f"{path} is not a PKCS#12 file or the passphrase is wrong") from None
        if key is None or certificate is None:
            raise ValueError(f"{path} must hold both a private key and its certificate")
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        return cls(Secret(pem), _thumbprint(certificate), certificate.public_bytes(serialization.Encoding.PEM).decode())

    def as_msal_credential(self) -> dict[str, str]:
        credential = {"private_key": self.private_key_pem.reveal(), "thumbprint": self.thumbprint}
        if self.public_certificate_pem:
            credential["public_certificate"] = self.public_certificate_pem
        if self.passphrase:
            credential["passphrase"] = self.passphrase.reveal()
        return credential


def _read_credential_file(path: Path) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot read the certificate file {path}: {exc.strerror}") from None


def _first_pem_certificate(text: str) -> x509.Certificate | None:
    marker = "-----BEGIN CERTIFICATE-----"
    if marker not in text:
        return None
    block = text[text.index(marker) :]
    end = "-----END CERTIFICATE-----"
    return x509.load_pem_x509_certificate(block[: block.index(end) + len(end)].encode())


def _thumbprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303 - AAD's x5t is SHA-1 by definition


def _normalise_thumbprint(value: str) -> str:
    cleaned = value.replace(":", "").replace(" ", "").upper()
    if len(cleaned) != 40 or any(c not in "0123456789ABCDEF" for c in cleaned):
        raise ValueError("a certificate thumbprint is 40 hex digits (SHA-1)")
    return cleaned


class MsalTokenProvider:
    """Client-credentials tokens for ``resource_url`` from Microsoft Entra ID via MSAL.

    The MSAL application is built on first use (construction does no I/O) and kept
    for the life of this object, so its in-memory token cache is reused; build one
    provider per process. Raises ``DataverseAuthError`` when AAD refuses (not
    retry-safe) and ``ConnectFailedError`` when AAD cannot be reached.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        credential: ClientSecret | Certificate,
        resource_url: str,
        authority_host: str = DEFAULT_AUTHORITY_HOST,
        http_client: requests.Session | None = None,
        timeout_s: float = 30.0,
        app_factory: Callable[..., Any] = msal.ConfidentialClientApplication,
        refresher: Callable[[Callable[[], FetchedToken]], TokenRefresher] = TokenRefresher,
    ):
        if not tenant_id or not client_id:
            raise ValueError("tenant_id and client_id are required")
        self.authority = f"{authority_host.rstrip('/')}/{tenant_id}"
        self.client_id = client_id
        self.scopes = [f"{resource_url.rstrip('/')}/.default"]
        self._credential = credential
        self._http_client = http_client
        self._timeout_s = timeout_s
        self._app_factory = app_factory
        self._app: Any = None
        self._lock = threading.Lock()
        self._tokens = refresher(self._fetch)

    def __repr__(self) -> str:
        return f"MsalTokenProvider(authority={self.authority!r}, client_id={self.client_id!r}, scopes={self.scopes!r})"

    def token(self, *, force_refresh: bool = False) -> str:
        """The token held, refreshed in the background ahead of expiry (:mod:`~connectors.dataverse.token_refresh`);
        inside a request deadline a wait for a new one ends at the deadline (``DeadlineExceededError``)."""
        return self._tokens.token(force_refresh=force_refresh)

    def _fetch(self) -> FetchedToken:
        """Ask Entra ID for a new token: MSAL's cached one is dropped, as the refresher decides when one is due."""
        with self._lock:
            try:
                app = self._application()
                self._drop_cached_tokens(app)
                result = app.acquire_token_for_client(scopes=self.scopes)
            except requests.RequestException as exc:
                # Not the shared map (connectors.http_errors): a token request changes nothing on the
                # server, so whatever the failure, asking again is safe; "not sent" is the class that says so.
                raise ConnectFailedError(
                    f"cannot reach the token endpoint: {type(exc).__name__}", operation="token"
                ) from None
            except ValueError as exc:
                raise DataverseAuthError(self._scrub(f"token request failed: {exc}"), operation="token") from None
        if not isinstance(result, dict) or "access_token" not in result:
            raise self._refusal(result if isinstance(result, dict) else {})
        log.debug("dataverse token obtained (source=%s)", result.get("token_source", "identity_provider"))
        expires_in = result.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) and expires_in > 0 else None
        return FetchedToken(Secret(result["access_token"]), lifetime)

    def _application(self) -> Any:
        if self._app is None:
            credential = (
                self._credential.value.reveal()
                if isinstance(self._credential, ClientSecret)
                else self._credential.as_msal_credential()
            )
            options: dict[str, Any] = {
                "client_credential": credential,
                "authority": self.authority,
                "timeout": self._timeout_s,
            }
            if self._http_client is not None:
                options["http_client"] = self._http_client
            self._app = self._app_factory(self.client_id, **options)
        return self._app

    @staticmethod
    def _drop_cached_tokens(app: Any) -> None:
        cache = app.token_cache
        for item in list(cache.search(msal.TokenCache.CredentialType.ACCESS_TOKEN)):
            cache.remove_at(item)

    def _refusal(self, result: dict[str, Any]) -> DataverseAuthError:
        code = str(result.get("error") or "no_token")
        description = str(result.get("error_description") or "").splitlines()
        aadsts = next(
            (word.rstrip(":") for word in (description[0].split() if description else []) if word.startswith("AADSTS")),
            None,
        )
        summary = description[0] if description else "no access token in the reply"
        message = self._scrub(f"token request refused: {code}: {summary}")
        error = DataverseAuthError(message, code=code, operation="token")
        error.aadsts_code = aadsts  # e.g. AADSTS7000215 (invalid secret)
        return error

    def _scrub(self, text: str) -> str:
        secrets = []
        if isinstance(self._credential, ClientSecret):
            secrets.append(self._credential.value.reveal())
        else:
            secrets.append(self._credential.private_key_pem.reveal())
            if self._credential.passphrase:
                secrets.append(self._credential.passphrase.reveal())
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


class BearerAuth(requests.auth.AuthBase):
    """Adds ``Authorization: Bearer <token>``; on a 401, refreshes the token once and resends."""

    def __init__(self, provider: TokenProvider):
        self.provider = provider

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.provider.token()}"
        request.register_hook("response", self._resend_on_401)
        return request

    def _resend_on_401(self, response: requests.Response, **send_options: Any) -> requests.Response:
        if response.status_code != 401:
            return response
        fresh = self.provider.token(force_refresh=True)
        response.content  # noqa: B018 - drain the body so the connection can be reused
        response.close()
        retry = response.request.copy()
        retry.headers["Authorization"] = f"Bearer {fresh}"
        log.debug("dataverse refused the token (401); resending once with a fresh one")
        second = response.connection.send(retry, **send_options)
        second.history.append(response)
        second.request = retry
        return second
