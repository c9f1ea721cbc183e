"""Dataverse connection settings, read once at an entry point, and the client factory.

Environment (app settings in Azure Functions, the bridge's environment on-prem):

=================================  =====================================================
``COMMS_DATAVERSE_URL``            environment URL, ``https://org.crm4.dynamics.com``
``COMMS_TENANT_ID``                Entra tenant (GUID or domain)
``COMMS_CLIENT_ID``                app registration (application) id
``COMMS_CLIENT_SECRET``            client secret, or …
``COMMS_CLIENT_CERT_PATH``         … a PEM (key + certificate) or ``.pfx`` file
``COMMS_CLIENT_CERT_THUMBPRINT``   SHA-1 thumbprint, when the PEM holds no certificate
``COMMS_CLIENT_CERT_PASSPHRASE``   passphrase of an encrypted PEM key or a PFX
``COMMS_DATAVERSE_STATIC_TOKEN``   a fixed bearer token: the local emulator only
``COMMS_DATAVERSE_TIMEOUT_S``      read timeout in seconds (default 60; connect is 5)
``COMMS_DATAVERSE_MAX_ATTEMPTS``   tries per request including the first (default 5)
=================================  =====================================================

Feature X-04. Secrets are :class:`~connectors.settings.Secret`; the model's repr
and its validation errors never show them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from connectors.dataverse.auth import Certificate, ClientSecret, MsalTokenProvider, StaticToken, TokenProvider
from connectors.dataverse.client import DataverseClient
from connectors.dataverse.retry import RetryPolicy
from connectors.settings import Secret

_ENV_FIELDS = {
    "COMMS_DATAVERSE_URL": "url",
    "COMMS_TENANT_ID": "tenant_id",
    "COMMS_CLIENT_ID": "client_id",
    "COMMS_CLIENT_SECRET": "client_secret",
    "COMMS_CLIENT_CERT_PATH": "client_cert_path",
    "COMMS_CLIENT_CERT_THUMBPRINT": "client_cert_thumbprint",
    "COMMS_CLIENT_CERT_PASSPHRASE": "client_cert_passphrase",
    "COMMS_DATAVERSE_STATIC_TOKEN": "static_token",
    "COMMS_DATAVERSE_TIMEOUT_S": "read_timeout_s",
    "COMMS_DATAVERSE_MAX_ATTEMPTS": "max_attempts",
}
_SECRET_FIELDS = {"client_secret", "client_cert_passphrase", "static_token"}
_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")


class DataverseSettings(BaseModel):
    """How to reach and authenticate to one Dataverse environment.

    Exactly one credential: a static token (emulator), or tenant + client id with
    either a client secret or a certificate file.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    url: str = Field(min_length=1)
    tenant_id: str | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    client_cert_path: Path | None = None
    client_cert_thumbprint: str | None = None
    client_cert_passphrase: Secret | None = None
    static_token: Secret | None = None
    connect_timeout_s: float = Field(default=5.0, gt=0, le=120)
    read_timeout_s: float = Field(default=60.0, gt=0, le=600)
    max_attempts: int = Field(default=5, ge=1, le=20)
    api_version: str = Field(default="v9.2", pattern=r"^v\d+\.\d+$")
    authority_host: str = "https://login.microsoftonline.com"

    @field_validator("url")
    @classmethod
    def _environment_url(cls, url: str) -> str:
        if not _URL.match(url):
            raise ValueError("must be the environment URL, e.g. https://org.crm4.dynamics.com")
        return url

    @model_validator(mode="after")
    def _one_credential(self) -> DataverseSettings:
        if self.static_token:
            if self.client_secret or self.client_cert_path:
                raise ValueError("give a static token (emulator) or app credentials, not both")
            return self
        missing = [name for name, value in (("COMMS_TENANT_ID", self.tenant_id), ("COMMS_CLIENT_ID", self.client_id))
                   if not value]
        if missing:
            raise ValueError(f"missing {', '.join(missing)} (or COMMS_DATAVERSE_STATIC_TOKEN for the emulator)")
        if bool(self.client_secret) == bool(self.client_cert_path):
            raise ValueError("give exactly one of COMMS_CLIENT_SECRET and COMMS_CLIENT_CERT_PATH")
        return self

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
            raise SettingsError(["COMMS_DATAVERSE_URL is not set: give the environment URL, "
                                 "e.g. https://contoso.crm4.dynamics.com"])
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise SettingsError([_describe(error) for error in exc.errors()]) from None

    def token_provider(self) -> TokenProvider:
        """The token provider these settings describe (reads a certificate file, no network).

        MSAL keeps its own HTTP session so its token requests carry a timeout.
        """
        if self.static_token:
            return StaticToken(self.static_token)
        return MsalTokenProvider(tenant_id=str(self.tenant_id), client_id=str(self.client_id),
                                 credential=self._credential(), resource_url=self.url.rstrip("/"),
                                 authority_host=self.authority_host,
                                 timeout_s=self.read_timeout_s)

    def _credential(self) -> ClientSecret | Certificate:
        if self.client_secret:
            return ClientSecret(self.client_secret)
        path = Path(str(self.client_cert_path))
        if path.suffix.lower() in (".pfx", ".p12"):
            return Certificate.from_pfx_file(path, passphrase=self.client_cert_passphrase)
        return Certificate.from_pem_file(path, thumbprint=self.client_cert_thumbprint,
                                         passphrase=self.client_cert_passphrase)


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


def make_client(settings: DataverseSettings, session: requests.Session | None = None, *,
                retry: bool = True) -> DataverseClient:
    """Build a :class:`DataverseClient` (entry points only). One per process: the
    session's connection pool and MSAL's token cache live inside it. ``retry=False``
    leaves retrying to the caller (an outbox or a poll that comes round again)."""
    session = session or requests.Session()
    return DataverseClient(
        base_url=settings.url, session=session, token_provider=settings.token_provider(),
        timeout=(settings.connect_timeout_s, settings.read_timeout_s),
        retry=RetryPolicy(max_attempts=settings.max_attempts) if retry else None, api_version=settings.api_version)
