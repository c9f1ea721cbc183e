"""DataverseSettings from the environment, and make_client wiring."""

from __future__ import annotations

import pydantic
import pytest
import requests
from responses import matchers

from connectors.dataverse import DataverseSettings, MsalTokenProvider, SettingsError, StaticToken, make_client
from connectors.settings import Secret

from .dataverse_support import API, CANARY, ORG, TENANT

BASE = {"COMMS_DATAVERSE_URL": ORG, "COMMS_TENANT_ID": TENANT, "COMMS_CLIENT_ID": "app-id"}


def test_client_secret_settings():
    settings = DataverseSettings.from_env({**BASE, "COMMS_CLIENT_SECRET": CANARY, "OTHER": "ignored"})
    assert settings.client_secret == Secret(CANARY)
    assert CANARY not in repr(settings) and CANARY not in str(settings.model_dump())
    provider = settings.token_provider()
    assert isinstance(provider, MsalTokenProvider) and provider.scopes == [f"{ORG}/.default"]


def test_static_token_settings_build_a_working_client(wire):
    settings = DataverseSettings.from_env(
        {
            "COMMS_DATAVERSE_URL": "http://127.0.0.1:8765",
            "COMMS_DATAVERSE_STATIC_TOKEN": "emulator",
            "COMMS_DATAVERSE_TIMEOUT_S": "12",
            "COMMS_DATAVERSE_MAX_ATTEMPTS": "2",
        }
    )
    assert isinstance(settings.token_provider(), StaticToken)
    session = requests.Session()
    client = make_client(settings, session=session)
    assert client.api_url == "http://127.0.0.1:8765/api/data/v9.2/"
    assert client._transport.timeout == (5.0, 12.0) and client._transport.retry.max_attempts == 2
    assert client._transport.session is session
    wire.get(
        "http://127.0.0.1:8765/api/data/v9.2/WhoAmI",
        json={"UserId": "u"},
        match=[matchers.header_matcher({"Authorization": "Bearer emulator"}, strict_match=False)],
    )
    assert client.whoami() == {"UserId": "u"}


@pytest.mark.parametrize(
    "environ, fragment",
    [
        ({}, "COMMS_DATAVERSE_URL is not set"),
        ({"COMMS_DATAVERSE_URL": ORG}, "COMMS_TENANT_ID"),
        ({**BASE}, "exactly one"),
        ({**BASE, "COMMS_CLIENT_SECRET": CANARY, "COMMS_CLIENT_CERT_PATH": "/x.pem"}, "exactly one"),
        (
            {"COMMS_DATAVERSE_URL": ORG, "COMMS_DATAVERSE_STATIC_TOKEN": CANARY, "COMMS_CLIENT_SECRET": CANARY},
            "not both",
        ),
        ({"COMMS_DATAVERSE_URL": "org.crm4.dynamics.com", "COMMS_DATAVERSE_STATIC_TOKEN": CANARY}, "environment URL"),
        ({**BASE, "COMMS_CLIENT_SECRET": CANARY, "COMMS_DATAVERSE_TIMEOUT_S": "soon"}, "COMMS_DATAVERSE_TIMEOUT_S: "),
        (
            {**BASE, "COMMS_CLIENT_SECRET": CANARY, "COMMS_DATAVERSE_MAX_ATTEMPTS": "0"},
            "COMMS_DATAVERSE_MAX_ATTEMPTS: ",
        ),
    ],
)
def test_bad_settings_are_reported_without_echoing_secrets(environ, fragment):
    with pytest.raises(SettingsError) as caught:
        DataverseSettings.from_env(environ)
    assert isinstance(caught.value, ValueError) and caught.value.problems
    assert fragment in str(caught.value) and CANARY not in str(caught.value)


def test_unknown_fields_and_mutation_are_refused():
    with pytest.raises(pydantic.ValidationError):
        DataverseSettings(url=ORG, static_token=Secret("x"), surprise=1)
    settings = DataverseSettings(url=ORG, static_token=Secret("x"))
    with pytest.raises(pydantic.ValidationError):
        settings.url = "https://other"


def test_plain_http_is_refused_for_a_real_environment():
    settings = DataverseSettings.from_env(
        {"COMMS_DATAVERSE_URL": "http://org.crm4.dynamics.com", "COMMS_DATAVERSE_STATIC_TOKEN": "x"}
    )
    with pytest.raises(ValueError):
        make_client(settings)


def test_a_missing_certificate_file_is_reported_at_wiring_time(tmp_path):
    settings = DataverseSettings.from_env(
        {**BASE, "COMMS_CLIENT_CERT_PATH": str(tmp_path / "nope.pem"), "COMMS_CLIENT_CERT_THUMBPRINT": "A" * 40}
    )
    with pytest.raises(ValueError, match="cannot read the certificate file"):
        make_client(settings)


def test_certificate_settings_choose_pfx_by_suffix(tmp_path):
    settings = DataverseSettings.from_env({**BASE, "COMMS_CLIENT_CERT_PATH": str(tmp_path / "app.pfx")})
    with pytest.raises(ValueError, match="cannot read"):
        settings.token_provider()
    assert API.startswith(settings.url)
