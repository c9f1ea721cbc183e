"""COMMS_DATAVERSE_AUTH: each sign-in kind's settings, and AD FS token requests."""

from __future__ import annotations

import pytest
import requests
from responses import matchers

from connectors.dataverse import DataverseAuthError, DataverseSettings, SettingsError, make_client
from connectors.dataverse.auth import BearerAuth, MsalTokenProvider
from connectors.dataverse.auth_adfs import AdfsTokenProvider
from connectors.dataverse.auth_windows import NtlmAuth
from connectors.dataverse.token_refresh import REFRESH_BEFORE_S, TokenRefresher
from connectors.settings import Secret

from .dataverse_support import CANARY, ORG, TENANT

ONPREM = "https://crm.contoso.com/ORG"
IFD = "https://org.contoso.com"
ADFS = "https://adfs.contoso.com/adfs/oauth2/token"
NTLM = {
    "COMMS_DATAVERSE_URL": ONPREM,
    "COMMS_DATAVERSE_AUTH": "ntlm",
    "COMMS_DATAVERSE_USERNAME": "CONTOSO\\crmsvc",
    "COMMS_DATAVERSE_PASSWORD": CANARY,
}
ADFS_PASSWORD = {
    "COMMS_DATAVERSE_URL": IFD,
    "COMMS_DATAVERSE_AUTH": "adfs-password",
    "COMMS_ADFS_TOKEN_URL": ADFS,
    "COMMS_CLIENT_ID": "adfs-client-id",
    "COMMS_DATAVERSE_USERNAME": "crmsvc@contoso.com",
    "COMMS_DATAVERSE_PASSWORD": CANARY,
}


def test_unset_kind_is_inferred_as_before():
    secret = DataverseSettings.from_env(
        {"COMMS_DATAVERSE_URL": ORG, "COMMS_TENANT_ID": TENANT, "COMMS_CLIENT_ID": "app", "COMMS_CLIENT_SECRET": CANARY}
    )
    assert secret.sign_in == "msal-secret" and secret.web_api_version == "v9.2"
    assert isinstance(secret.token_provider(), MsalTokenProvider)
    static = DataverseSettings.from_env({"COMMS_DATAVERSE_URL": ORG, "COMMS_DATAVERSE_STATIC_TOKEN": "x"})
    assert static.sign_in == "static" and isinstance(static.http_auth(), BearerAuth)


def test_ntlm_settings_build_an_ntlm_client_that_reads_the_version():
    settings = DataverseSettings.from_env(NTLM)
    assert settings.sign_in == "ntlm" and settings.web_api_version is None
    assert CANARY not in repr(settings)
    auth = settings.http_auth()
    assert isinstance(auth, NtlmAuth) and CANARY not in repr(auth)
    client = make_client(settings, retry=False)
    assert client._transport.auth is not None and not client._server.is_settled


@pytest.mark.parametrize(
    "environ, fragment",
    [
        ({**NTLM, "COMMS_DATAVERSE_USERNAME": "crmsvc"}, "COMMS_DATAVERSE_USERNAME: give the account with its domain"),
        (
            {**NTLM, "COMMS_DATAVERSE_PASSWORD": ""},
            "COMMS_DATAVERSE_PASSWORD is required for COMMS_DATAVERSE_AUTH=ntlm",
        ),
        ({**NTLM, "COMMS_CLIENT_SECRET": CANARY}, "COMMS_CLIENT_SECRET is not used by COMMS_DATAVERSE_AUTH=ntlm"),
        ({**NTLM, "COMMS_DATAVERSE_AUTH": "kerberos"}, "COMMS_DATAVERSE_AUTH: Input should be"),
        (
            {**NTLM, "COMMS_DATAVERSE_AUTH": "negotiate", "COMMS_DATAVERSE_USERNAME": ""},
            "COMMS_DATAVERSE_USERNAME is required with COMMS_DATAVERSE_PASSWORD for COMMS_DATAVERSE_AUTH=negotiate",
        ),
        (
            {**ADFS_PASSWORD, "COMMS_ADFS_TOKEN_URL": "http://adfs/adfs/oauth2/token"},
            "COMMS_ADFS_TOKEN_URL: must be https",
        ),
        ({**ADFS_PASSWORD, "COMMS_CLIENT_ID": ""}, "COMMS_CLIENT_ID is required"),
        ({**ADFS_PASSWORD, "COMMS_DATAVERSE_AUTH": "adfs-client"}, "COMMS_CLIENT_SECRET is required"),
        ({**NTLM, "COMMS_DATAVERSE_AUTH": "negotiate", "COMMS_DATAVERSE_USERNAME": "CONTOSO\\crmsvc"}, "principal"),
        ({**NTLM, "COMMS_DATAVERSE_API_VERSION": "9.0"}, "COMMS_DATAVERSE_API_VERSION: "),
    ],
)
def test_each_kind_names_its_missing_or_wrong_settings(environ, fragment):
    with pytest.raises(SettingsError) as caught:
        DataverseSettings.from_env(environ)
    assert fragment in str(caught.value) and CANARY not in str(caught.value)


def adfs(session: requests.Session, clock=lambda: 0.0, **overrides) -> AdfsTokenProvider:
    options = {
        "token_url": ADFS,
        "client_id": "adfs-client-id",
        "resource": f"{IFD}/",
        "session": session,
        "username": "crmsvc@contoso.com",
        "password": Secret(CANARY),
        "clock": clock,
        **overrides,
    }
    return AdfsTokenProvider(**options)


def test_adfs_password_grant_is_cached_and_refreshed_ahead_of_expiry(wire):
    form = {
        "grant_type": "password",
        "client_id": "adfs-client-id",
        "resource": f"{IFD}/",
        "username": "crmsvc@contoso.com",
        "password": CANARY,
    }
    wire.post(
        ADFS, json={"access_token": "jwt-1", "expires_in": 3600}, match=[matchers.urlencoded_params_matcher(form)]
    )
    wire.post(ADFS, json={"access_token": "jwt-2", "expires_in": "3600"})
    now, jobs = [0.0], []

    def run_jobs(event, timeout_s) -> bool:  # a caller waiting for a fetch: the fetch runs now
        while jobs:
            jobs.pop(0)()
        return event.is_set()

    def refresher(fetch, *, clock):
        return TokenRefresher(fetch, clock=clock, start=jobs.append, wait=run_jobs, schedule=lambda delay, work: None)

    provider = adfs(requests.Session(), clock=lambda: now[0], refresher=refresher)
    assert provider.token() == "jwt-1" and provider.token() == "jwt-1"
    now[0] = 3600.0 - REFRESH_BEFORE_S + 1  # under five minutes left: refreshed in the background
    assert provider.token() == "jwt-1" and len(jobs) == 1
    jobs.pop(0)()  # the background fetch
    assert provider.token() == "jwt-2"


@pytest.mark.parametrize(
    "reply, code, fragment",
    [
        (
            {
                "error": "unsupported_grant_type",
                "error_description": "MSIS9611: The authorization server does not support the requested grant_type.",
            },
            "MSIS9611",
            "AD FS 2016",
        ),
        (
            {
                "error": "invalid_request",
                "error_description": "MSIS9605: The client is not allowed to access the requested resource.",
            },
            "MSIS9605",
            "Grant-AdfsApplicationPermission",
        ),
        (
            {"error": "invalid_grant", "error_description": f"MSIS9659: Invalid 'username' or 'password'. {CANARY}"},
            None,
            "COMMS_DATAVERSE_PASSWORD",
        ),
    ],
)
def test_adfs_refusals_become_clear_errors(wire, reply, code, fragment):
    wire.post(ADFS, status=400, json=reply)
    with pytest.raises(DataverseAuthError) as caught:
        adfs(requests.Session()).token()
    assert fragment in str(caught.value) and CANARY not in str(caught.value)
    if code:
        assert caught.value.adfs_code == code


def test_negotiate_takes_the_principal_and_an_optional_password():
    with_password = DataverseSettings.from_env(
        {**NTLM, "COMMS_DATAVERSE_AUTH": "negotiate", "COMMS_DATAVERSE_USERNAME": "crmsvc@CONTOSO.COM"}
    )
    assert with_password.password is not None and CANARY not in repr(with_password)
    ticket_only = {"COMMS_DATAVERSE_URL": ONPREM, "COMMS_DATAVERSE_AUTH": "negotiate"}
    assert DataverseSettings.from_env(ticket_only).password is None


CHALLENGE = f"Bearer authorization_uri=https://adfs.contoso.com/adfs/oauth2/authorize, resource_id={IFD}/"


def test_without_a_token_url_the_adfs_endpoint_is_discovered_from_the_challenge(wire):
    settings = DataverseSettings.from_env({**ADFS_PASSWORD, "COMMS_ADFS_TOKEN_URL": ""})
    wire.get(f"{IFD}/api/data/", status=401, headers={"WWW-Authenticate": CHALLENGE})
    form = {
        "grant_type": "password",
        "client_id": "adfs-client-id",
        "resource": f"{IFD}/",
        "username": "crmsvc@contoso.com",
        "password": CANARY,
    }
    wire.post(ADFS, json={"access_token": "jwt-1"}, match=[matchers.urlencoded_params_matcher(form)])
    provider = settings.token_provider()
    assert provider.token() == "jwt-1" and provider.token_url == ADFS
    assert [call.request.method for call in wire.calls] == ["GET", "POST"]
    assert "Authorization" not in wire.calls[0].request.headers


def test_the_challenge_resource_is_asked_for_unless_the_setting_overrides_it(wire):
    quoted = 'Bearer authorization_uri="https://adfs.contoso.com/adfs/oauth2/authorize/", resource_id="https://crm.contoso.com/"'
    for resource in ("https://crm.contoso.com/", "https://override.contoso.com/"):
        wire.get(f"{IFD}/api/data/", status=401, headers={"WWW-Authenticate": quoted})
        wire.post(
            ADFS,
            json={"access_token": resource},
            match=[matchers.urlencoded_params_matcher({"resource": resource}, allow_blank=True, strict_match=False)],
        )
    discovered = adfs(requests.Session(), token_url=None, resource=None, organisation_url=IFD)
    assert discovered.token() == "https://crm.contoso.com/"
    overridden = adfs(
        requests.Session(), token_url=None, resource="https://override.contoso.com/", organisation_url=IFD
    )
    assert overridden.token() == "https://override.contoso.com/" and overridden.token_url == ADFS


@pytest.mark.parametrize(
    "status, challenge, fragment",
    [
        (401, "NTLM, Negotiate", "COMMS_DATAVERSE_AUTH=ntlm"),
        (200, "", "set COMMS_ADFS_TOKEN_URL"),
        (401, "Bearer authorization_uri=http://adfs.contoso.com/adfs/oauth2/authorize", "set COMMS_ADFS_TOKEN_URL"),
    ],
)
def test_a_server_that_names_no_adfs_is_a_clear_error(wire, status, challenge, fragment):
    wire.get(f"{IFD}/api/data/", status=status, headers={"WWW-Authenticate": challenge} if challenge else {})
    provider = adfs(requests.Session(), token_url=None, resource=None, organisation_url=IFD)
    with pytest.raises(DataverseAuthError) as caught:
        provider.token()
    assert fragment in str(caught.value) and CANARY not in str(caught.value)
