"""Dataverse connection settings, read once at an entry point, and the client factory.

Environment (app settings in Azure Functions, the bridge's environment on-prem):

=================================  =====================================================
``COMMS_DATAVERSE_URL``            environment URL, ``https://org.crm4.dynamics.com``, or an
                                   on-premises organisation, ``https://crm.contoso.com/ORG``
``COMMS_DATAVERSE_AUTH``           sign-in kind (below); inferred from the credentials when unset
``COMMS_TENANT_ID``                Entra tenant (GUID or domain)
``COMMS_CLIENT_ID``                app registration (application) id, or the AD FS client id
``COMMS_CLIENT_SECRET``            client secret, or …
``COMMS_CLIENT_CERT_PATH``         … a PEM (key + certificate) or ``.pfx`` file
``COMMS_CLIENT_CERT_THUMBPRINT``   SHA-1 thumbprint, when the PEM holds no certificate
``COMMS_CLIENT_CERT_PASSPHRASE``   passphrase of an encrypted PEM key or a PFX
``COMMS_DATAVERSE_USERNAME``       CRM service account: ``CONTOSO\\crmsvc`` or ``crmsvc@contoso.com``
``COMMS_DATAVERSE_PASSWORD``       its password
``COMMS_ADFS_TOKEN_URL``           ``https://adfs.contoso.com/adfs/oauth2/token``; unset: discovered from the
                                   organisation's ``401`` challenge (``authorization_uri``)
``COMMS_ADFS_RESOURCE``            the relying party AD FS issues for (default: the challenge's
                                   ``resource_id``, else the URL's origin + ``/``)
``COMMS_DATAVERSE_STATIC_TOKEN``   a fixed bearer token: the local emulator only
``COMMS_DATAVERSE_API_VERSION``    Web API root, ``v9.2``; unset: ``v9.2`` online, read from the server on-premises
``COMMS_DATAVERSE_TIMEOUT_S``      read timeout in seconds (default 60; connect is 5)
``COMMS_DATAVERSE_MAX_ATTEMPTS``   tries per request including the first (default 5)
=================================  =====================================================

Sign-in kinds: ``msal-secret`` and ``msal-certificate`` (Dynamics online, Entra ID
client credentials), ``ntlm`` and ``negotiate`` (on-premises Windows sign-in as a
CRM service account), ``adfs-password`` (on-premises with AD FS 2016+, the
password grant as that account), ``adfs-client`` (AD FS client credentials:
experimental, Dynamics may refuse tokens without a user) and ``static`` (the
emulator). Features X-01, X-04. Secrets are :class:`~connectors.settings.Secret`;
the model's repr and its validation errors never show them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.dataverse.auth import (
    BearerAuth,
    Certificate,
    ClientSecret,
    MsalTokenProvider,
    StaticToken,
    TokenProvider,
)
from connectors.dataverse.auth_adfs import AdfsTokenProvider
from connectors.dataverse.auth_windows import NegotiateAuth, NtlmAuth
from connectors.dataverse.client import DataverseClient
from connectors.dataverse.retry import RetryPolicy
from connectors.dataverse.thread_connections import pin_connections_to_threads
from connectors.settings import Secret

AuthKind = Literal["msal-secret", "msal-certificate", "ntlm", "negotiate", "adfs-password", "adfs-client", "static"]
#: Kinds that sign in to an on-premises server, whose Web API version is read from the server.
ONPREM_KINDS = frozenset({"ntlm", "negotiate", "adfs-password", "adfs-client"})

_ENV_FIELDS = {
    "COMMS_DATAVERSE_URL": "url",
    "COMMS_DATAVERSE_AUTH": "auth",
    "COMMS_TENANT_ID": "tenant_id",
    "COMMS_CLIENT_ID": "client_id",
    "COMMS_CLIENT_SECRET": "client_secret",
    "COMMS_CLIENT_CERT_PATH": "client_cert_path",
    "COMMS_CLIENT_CERT_THUMBPRINT": "client_cert_thumbprint",
    "COMMS_CLIENT_CERT_PASSPHRASE": "client_cert_passphrase",
    "COMMS_DATAVERSE_USERNAME": "username",
    "COMMS_DATAVERSE_PASSWORD": "password",
    "COMMS_ADFS_TOKEN_URL": "adfs_token_url",
    "COMMS_ADFS_RESOURCE": "adfs_resource",
    "COMMS_DATAVERSE_STATIC_TOKEN": "static_token",
    "COMMS_DATAVERSE_API_VERSION": "api_version",
    "COMMS_DATAVERSE_TIMEOUT_S": "read_timeout_s",
    "COMMS_DATAVERSE_MAX_ATTEMPTS": "max_attempts",
}
_SECRET_FIELDS = {"client_secret", "client_cert_passphrase", "static_token", "password"}
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
# NTLM compares the domain with the account store, so a bare "crmsvc" fails at the server.
_DOMAIN_USER = re.compile(r"^[^\\@\s]+\\[^\\@\s]+$|^[^\\@\s]+@[^\\@\s]+\.[^\\@\s]+$")
_UPN = re.compile(r"^[^\\@\s]+@[^\\@\s]+$")
#: For each kind: the fields it needs and the fields it must not be given (by variable name).
_NEEDS: dict[str, tuple[str, ...]] = {
    "static": ("static_token",),
    "msal-secret": ("tenant_id", "client_id", "client_secret"),
    "msal-certificate": ("tenant_id", "client_id", "client_cert_path"),
    "ntlm": ("username", "password"),
    "negotiate": (),
    "adfs-password": ("client_id", "username", "password"),
    "adfs-client": ("client_id", "client_secret"),
}
#: Credentials a kind may be given without needing them: Kerberos signs in with a ticket, or with a password.
_OPTIONAL: dict[str, tuple[str, ...]] = {"negotiate": ("password",)}
_CREDENTIALS = ("static_token", "client_secret", "client_cert_path", "password")


class DataverseSettings(BaseModel):
    """How to reach and sign in to one Dataverse / Dynamics environment.

    ``auth`` picks the sign-in kind; unset, it is inferred as before on-premises
    support: a static token (emulator), or tenant + client id with either a client
    secret or a certificate file. Each kind's settings are checked together and
    every problem is named by its variable.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    url: str = Field(min_length=1)
    auth: AuthKind | None = None
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    client_cert_path: Path | None = None
    client_cert_thumbprint: str | None = None
    client_cert_passphrase: Secret | None = None
    username: str | None = None
    password: Secret | None = None
    adfs_token_url: str | None = None
    adfs_resource: str | None = None
    static_token: Secret | None = None
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    read_timeout_s: float = Field(default=60.0, gt=0, le=600)
    max_attempts: int = Field(default=5, ge=1, le=20)
    api_version: str | None = Field(default=None, pattern=r"^v\d+\.\d+$")
    authority_host: str = "https://login.microsoftonline.com"

    @field_validator("url")
    @classmethod
    def _environment_url(cls, url: str) -> str:
        if not _URL.match(url):
            raise ValueError("must be the environment URL, e.g. https://org.crm4.dynamics.com")
        return url

    @model_validator(mode="after")
    def _credentials_fit_the_kind(self) -> DataverseSettings:
        if self.auth is None:
            return self._inferred_kind_is_complete()
        problems = [
            f"{_VARIABLE_OF[name]} is required for COMMS_DATAVERSE_AUTH={self.auth}"
            for name in _NEEDS[self.auth]
            if not getattr(self, name)
        ]
        problems += [
            f"{_VARIABLE_OF[name]} is not used by COMMS_DATAVERSE_AUTH={self.auth}: remove it"
            for name in _CREDENTIALS
            if getattr(self, name) and name not in _NEEDS[self.auth] + _OPTIONAL.get(self.auth, ())
        ]
        problems += self._kind_specific_problems()
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _inferred_kind_is_complete(self) -> DataverseSettings:
        if self.static_token:
            if self.client_secret or self.client_cert_path:
                raise ValueError("give a static token (emulator) or app credentials, not both")
            return self
        missing = [
            name
            for name, value in (("COMMS_TENANT_ID", self.tenant_id), ("COMMS_CLIENT_ID", self.client_id))
            if not value
        ]
        if missing:
            raise ValueError(
                f"missing {', '.join(missing)} (or COMMS_DATAVERSE_STATIC_TOKEN for the emulator; "
                "on-premises, set COMMS_DATAVERSE_AUTH)"
            )
        if bool(self.client_secret) == bool(self.client_cert_path):
            raise ValueError("give exactly one of COMMS_CLIENT_SECRET and COMMS_CLIENT_CERT_PATH")
        return self

    def _kind_specific_problems(self) -> list[str]:
        problems = []
        if self.auth == "ntlm" and self.username and not _DOMAIN_USER.match(self.username):
            problems.append(
                "COMMS_DATAVERSE_USERNAME: give the account with its domain, CONTOSO\\crmsvc or "
                "crmsvc@contoso.com (NTLM compares the domain)"
            )
        if self.auth == "negotiate" and self.username and not _UPN.match(self.username):
            problems.append("COMMS_DATAVERSE_USERNAME: for Kerberos give the principal, crmsvc@CONTOSO.COM")
        if self.auth == "negotiate" and self.password and not self.username:
            problems.append(
                "COMMS_DATAVERSE_USERNAME is required with COMMS_DATAVERSE_PASSWORD for COMMS_DATAVERSE_AUTH=negotiate "
                "(the principal whose password it is)"
            )
        if self.auth in ("adfs-password", "adfs-client"):
            if self.adfs_token_url and not self.adfs_token_url.startswith("https://"):
                problems.append("COMMS_ADFS_TOKEN_URL: must be https, e.g. https://adfs.contoso.com/adfs/oauth2/token")
            if not self.url.startswith("https://"):
                problems.append("COMMS_DATAVERSE_URL: AD FS sign-in needs https (an internet-facing deployment)")
        return problems

    @property
    def sign_in(self) -> str:
        """The sign-in kind: ``auth`` when set, else the one the credentials imply."""
        if self.auth is not None:
            return self.auth
        if self.static_token:
            return "static"
        return "msal-secret" if self.client_secret else "msal-certificate"

    @property
    def web_api_version(self) -> str | None:
        """``api_version`` when set; else ``v9.2`` online and ``None`` (read from the server) on-premises."""
        if self.api_version is not None:
            return self.api_version
        return None if self.sign_in in ONPREM_KINDS else "v9.2"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> DataverseSettings:
        """Build from ``COMMS_*`` variables.

        Raises :class:`SettingsError` (a ``ValueError``) naming every problem by its
        variable, in words an admin can act on, without echoing any value.
        """
        values: dict[str, Any] = {}
        for variable, field_name in _ENV_FIELDS.items():
            raw = environ.get(variable, "").strip()
            if raw:
                values[field_name] = Secret(raw) if field_name in _SECRET_FIELDS else raw
        if "url" not in values:
            raise SettingsError(
                ["COMMS_DATAVERSE_URL is not set: give the environment URL, e.g. https://contoso.crm4.dynamics.com"]
            )
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise SettingsError([_describe(error) for error in exc.errors()]) from None

    def token_provider(self) -> TokenProvider:
        """The bearer-token provider these settings describe (reads a certificate file, no network).

        MSAL keeps its own HTTP session so its token requests carry a timeout.
        ``ValueError`` for the Windows kinds, which use no tokens (see :meth:`http_auth`).
        """
        kind = self.sign_in
        if kind == "static":
            return StaticToken(self.static_token or Secret(""))
        if kind in ("adfs-password", "adfs-client"):
            return AdfsTokenProvider(
                token_url=self.adfs_token_url,
                client_id=str(self.client_id),
                resource=self.adfs_resource,
                organisation_url=self.url,
                session=requests.Session(),
                username=self.username,
                password=self.password,
                client_secret=self.client_secret,
                timeout_s=self.read_timeout_s,
            )
        if kind in ("ntlm", "negotiate"):
            raise ValueError(f"COMMS_DATAVERSE_AUTH={kind} signs in without tokens; use http_auth()")
        return MsalTokenProvider(
            tenant_id=str(self.tenant_id),
            client_id=str(self.client_id),
            credential=self._credential(),
            resource_url=self.url.rstrip("/"),
            authority_host=self.authority_host,
            timeout_s=self.read_timeout_s,
        )

    def http_auth(self) -> requests.auth.AuthBase:
        """The ``requests`` auth for every Web API request: Windows sign-in or a bearer token."""
        if self.sign_in == "ntlm":
            return NtlmAuth(str(self.username), self.password or Secret(""))
        if self.sign_in == "negotiate":
            return NegotiateAuth(self.username, password=self.password)
        return BearerAuth(self.token_provider())

    def _credential(self) -> ClientSecret | Certificate:
        if self.client_secret:
            return ClientSecret(self.client_secret)
        path = Path(str(self.client_cert_path))
        if path.suffix.lower() in (".pfx", ".p12"):
            return Certificate.from_pfx_file(path, passphrase=self.client_cert_passphrase)
        return Certificate.from_pem_file(
            path, thumbprint=self.client_cert_thumbprint, passphrase=self.client_cert_passphrase
        )


class SettingsError(ValueError):
    """The Dataverse settings are incomplete or wrong; ``problems`` lists each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Dataverse settings: " + "; ".join(problems))


_VARIABLE_OF = {field_name: variable for variable, field_name in _ENV_FIELDS.items()}


def _describe(error: Mapping[str, Any]) -> str:
    location = [str(part) for part in error.get("loc", ())]
    message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
    if not location:
        return message
    return f"{_VARIABLE_OF.get(location[0], location[0])}: {message}"


def make_client(
    settings: DataverseSettings, session: requests.Session | None = None, *, retry: bool = True
) -> DataverseClient:
    """Build a :class:`DataverseClient` (entry points only). One per process: the
    session's connection pool (and, with NTLM, its signed-in connections) and the
    token cache live inside it. ``retry=False`` leaves retrying to the caller (the outbox)."""
    session = session or requests.Session()
    if settings.sign_in == "ntlm":
        pin_connections_to_threads(session)
    return DataverseClient(
        base_url=settings.url,
        session=session,
        auth=settings.http_auth(),
        timeout=(settings.connect_timeout_s, settings.read_timeout_s),
        retry=RetryPolicy(max_attempts=settings.max_attempts) if retry else None,
        api_version=settings.web_api_version,
        online=settings.sign_in not in ONPREM_KINDS,
    )
