"""The AD FS profiles: the client's AD FS sign-in against the emulated farm, over https, and the main client paths
(issue 14, §1 and §2 "an AD FS profile issues and checks tokens as AD FS does, including the 2012 R2 refusal")."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cli.demo_signin import DemoSignIn
from cli.demo_telephony import run_telephony
from connectors.dataverse import AlternateKey, DataverseAuthError, DataverseClient, DataverseSettings
from connectors.dataverse.settings import make_client
from connectors.settings import Secret
from emulator.seed import seed
from emulator.server import EmulatorServer
from emulator.server.auth_adfs import (
    CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
    TOKEN_PATH,
    UNGRANTED_CLIENT_ID,
)
from emulator.server.profiles import DEFAULT_ACCOUNTS, profile

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
USER, PASSWORD = DEFAULT_ACCOUNTS[0]


@pytest.fixture
def farm(tmp_path: Path, monkeypatch) -> Iterator[EmulatorServer]:
    with EmulatorServer(
        ":memory:", deployment=profile("onprem-9.1-adfs"), tls=True, tls_dir=tmp_path, key_activation_s=0
    ) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))  # the token provider's own session too
        yield server


def adfs_client(server: EmulatorServer, session: requests.Session, **overrides: object) -> DataverseClient:
    values: dict[str, object] = {
        "url": server.origin,
        "auth": "adfs-password",
        "adfs_token_url": server.origin + TOKEN_PATH,
        "client_id": PUBLIC_CLIENT_ID,
        "username": USER,
        "password": Secret(PASSWORD),
    }
    return make_client(DataverseSettings(**(values | overrides)), session, retry=False)


def test_anonymous_requests_are_challenged_with_the_farm_and_the_resource(farm: EmulatorServer) -> None:
    with requests.Session() as session:
        reply = session.get(farm.url + "WhoAmI")
        assert reply.status_code == 401
        assert reply.headers["WWW-Authenticate"] == (
            f"Bearer authorization_uri={farm.origin}/adfs/oauth2/authorize, resource_id={farm.origin}/"
        )
        configuration = session.get(farm.origin + "/adfs/.well-known/openid-configuration").json()
        assert configuration["token_endpoint"].rstrip("/") == farm.origin + TOKEN_PATH
        assert "password" in configuration["grant_types_supported"]
        assert session.get(configuration["jwks_uri"]).json()["keys"][0]["alg"] == "RS256"


def test_the_password_grant_signs_in_and_runs_the_main_client_paths(farm: EmulatorServer) -> None:
    with requests.Session() as session:
        client = adfs_client(farm, session)
        assert client.whoami() and str(client.features.version).startswith("9.1.")
        contact = client.create("contacts", {"firstname": "Adfs", "mobilephone": "+989121234567"})
        client.update("contacts", contact, {"lastname": "Sign-in"})
        line = AlternateKey({"comms_number": "3000202030"})
        client.upsert("comms_smsnumbers", line, {"comms_name": "Behind AD FS"})
        assert client.retrieve("comms_smsnumbers", line, select=["comms_name"])["comms_name"] == "Behind AD FS"
        page = client.changes("contacts", select=["lastname"])
        assert [r["lastname"] for r in page.records] == ["Sign-in"] and page.delta_link
        assert not farm.profile.ignored, farm.profile.ignored


@pytest.mark.parametrize(
    ("overrides", "code", "words"),
    [
        ({"password": Secret("wrong")}, "invalid_grant", "user name or password was refused"),
        ({"username": "CONTOSO\\nobody"}, "invalid_grant", "user name or password was refused"),
        ({"client_id": UNGRANTED_CLIENT_ID}, "invalid_grant", "Grant-AdfsApplicationPermission"),
        ({"client_id": "00000000-0000-0000-0000-00000000dead"}, "invalid_client", "Add-AdfsClient"),
    ],
)
def test_refusals_become_clear_errors(farm: EmulatorServer, overrides: dict, code: str, words: str) -> None:
    with requests.Session() as session, pytest.raises(DataverseAuthError) as caught:
        adfs_client(farm, session, **overrides).whoami()
    assert caught.value.code == code and words in str(caught.value)
    assert "wrong" not in str(caught.value) and PASSWORD not in str(caught.value)


def test_a_token_for_another_resource_is_refused_by_ad_fs_and_by_the_crm(farm: EmulatorServer) -> None:
    with requests.Session() as session:
        with pytest.raises(DataverseAuthError, match="invalid_resource"):
            adfs_client(farm, session, adfs_resource="https://crm.elsewhere.example/").whoami()
        adfs = farm.adfs
        assert adfs is not None
        forged = adfs.issue(audience="https://crm.elsewhere.example/", origin=farm.origin, client_id="x", user=USER)
        reply = session.get(farm.url + "WhoAmI", headers={"Authorization": f"Bearer {forged}"})
        assert reply.status_code == 401 and "audience" in reply.json()["error"]["message"].lower()
        good = adfs.issue(audience=f"{farm.origin}/", origin=farm.origin, client_id=PUBLIC_CLIENT_ID, user=USER)
        tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
        assert session.get(farm.url + "WhoAmI", headers={"Authorization": f"Bearer {tampered}"}).status_code == 401
        assert session.get(farm.url + "WhoAmI", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_client_credentials_get_a_token_the_crm_refuses(farm: EmulatorServer) -> None:
    """The experimental ``adfs-client`` kind: AD FS issues an app-only token; Dynamics has no application users."""
    with requests.Session() as session:
        client = adfs_client(
            farm,
            session,
            auth="adfs-client",
            client_id=CONFIDENTIAL_CLIENT_ID,
            client_secret=Secret(CONFIDENTIAL_CLIENT_SECRET),
            username=None,
            password=None,
        )
        with pytest.raises(DataverseAuthError, match="no application users"):
            client.whoami()


def test_ad_fs_2012_r2_refuses_the_password_grant_with_msis9611(tmp_path: Path, monkeypatch) -> None:
    deployment = profile("onprem-9.1-adfs2012r2")
    with EmulatorServer(":memory:", deployment=deployment, tls=True, tls_dir=tmp_path) as server:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.ca_file))
        with requests.Session() as session:
            raw = session.post(server.origin + TOKEN_PATH, data={"grant_type": "password", "client_id": "x"})
            assert raw.status_code == 400 and raw.json()["error"] == "unsupported_grant_type"
            assert raw.json()["error_description"].startswith("MSIS9611: ")
            assert session.get(server.origin + "/adfs/.well-known/openid-configuration").status_code == 404
            with pytest.raises(DataverseAuthError) as caught:
                adfs_client(server, session).whoami()
    assert caught.value.adfs_code == "MSIS9611" and "COMMS_DATAVERSE_AUTH=ntlm" in str(caught.value)


def test_the_adfs_profile_needs_tls() -> None:
    with pytest.raises(ValueError, match="tls"):
        EmulatorServer(":memory:", deployment=profile("onprem-9.1-adfs"))


def test_the_bridge_logs_calls_signed_in_through_ad_fs(farm: EmulatorServer, tmp_path: Path) -> None:
    """The demo's telephony step (call logging, click-to-call, recordings, notices) with ``auth = "adfs-password"``."""
    sign_in = DemoSignIn.for_profile("onprem-9.1-adfs")
    seed(farm.store)
    with requests.Session() as session:
        client = make_client(sign_in.settings(farm.origin), session)
        result = run_telephony(farm, client, tmp_path, sign_in, lambda line: None)
    assert result.calls == {"inbound answered": 4, "inbound missed": 2, "outbound answered": 3}
    assert (result.notice_kind, result.notifications) == ("task", 1)
    assert result.click_to_call == "connected, dialled 09121234567"
    config = (tmp_path / "telephony" / "bridge.toml").read_text(encoding="utf-8")
    assert 'auth = "adfs-password"' in config and f'client_id = "{PUBLIC_CLIENT_ID}"' in config
    assert PASSWORD not in config
    assert sign_in.describe() == "on-premises 9.1, AD FS sign-in (password grant) as CONTOSO\\crmservice, no Azure"
    assert not farm.profile.ignored, farm.profile.ignored
