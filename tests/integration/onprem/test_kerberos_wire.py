"""Negotiate (Kerberos) sign-in against a real MIT Kerberos KDC, proven at the wire.

A throw-away realm (:mod:`tests.integration.onprem.kdc`) issues the tickets; the emulator plays IIS
with the ``HTTP/localhost`` key in a keytab and accepts the SPNEGO token through python-gssapi; the
suite's client signs in with ``COMMS_DATAVERSE_AUTH=negotiate``, from a ``kinit``'d ticket cache
or with the principal's password.
"""

from __future__ import annotations

import base64
import http.client
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import requests

from connectors.dataverse import DataverseAuthError, DataverseSettings
from connectors.dataverse.settings import make_client
from connectors.settings import Secret
from emulator.server import EmulatorServer
from emulator.server.profiles import Account, profile
from tests.integration.onprem import kdc

pytestmark = pytest.mark.integration


@pytest.fixture
def realm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[kdc.Realm]:
    missing = kdc.tools_missing()
    if missing:
        pytest.fail(f"MIT Kerberos is not installed ({', '.join(missing)}): ./dev test installs krb5-kdc and krb5-user")
    with kdc.realm(tmp_path) as running:
        for name, value in running.environment.items():
            monkeypatch.setenv(name, value)
        yield running


@pytest.fixture
def server(realm: kdc.Realm) -> Iterator[EmulatorServer]:
    base = profile("onprem-9.0")
    deployment = replace(base, accounts=(*base.accounts, Account(realm.principal, kdc.PASSWORD)))
    with EmulatorServer(":memory:", deployment=deployment, key_activation_s=0, keytab=realm.keytab) as running:
        yield running


def negotiate_settings(server: EmulatorServer, **credentials: object) -> DataverseSettings:
    # The host the client names is the one whose HTTP/ service key the emulator holds.
    return DataverseSettings(url=f"http://{kdc.HOST}:{server.port}", auth="negotiate", **credentials)


def signed_in_user(server: EmulatorServer, settings: DataverseSettings) -> str:
    with requests.Session() as session:
        client = make_client(settings, session)
        user_id = client.whoami()["UserId"]
        client.create("accounts", {"name": "Signed in with Kerberos"})
    return str(user_id)


def test_a_kinit_ticket_cache_signs_in(realm, server) -> None:
    realm.kinit()
    assert signed_in_user(server, negotiate_settings(server))
    assert signed_in_user(server, negotiate_settings(server, username=realm.principal))


def test_the_principal_and_its_password_sign_in_without_a_ticket_cache(realm, server) -> None:
    settings = negotiate_settings(server, username=realm.principal, password=Secret(kdc.PASSWORD))
    assert signed_in_user(server, settings)
    assert not realm.ccache.exists()  # the ticket went to a private in-memory cache


def test_a_wrong_password_is_a_clear_auth_error_without_the_password(realm, server) -> None:
    settings = negotiate_settings(server, username=realm.principal, password=Secret("not-the-password"))
    with requests.Session() as session, pytest.raises(DataverseAuthError) as caught:
        make_client(settings, session).whoami()
    assert realm.principal in str(caught.value) and "not-the-password" not in str(caught.value)


def test_without_a_ticket_the_sign_in_is_refused_clearly(realm, server) -> None:
    with requests.Session() as session, pytest.raises(DataverseAuthError) as caught:
        make_client(negotiate_settings(server), session).whoami()
    assert "Negotiate" in str(caught.value)


def test_the_server_answers_the_kerberos_token_with_its_mutual_authentication_token(realm, server) -> None:
    import spnego

    realm.kinit()
    initiator = spnego.client(hostname=kdc.HOST, service="HTTP", protocol="kerberos")
    token = base64.b64encode(initiator.step()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("GET", "/api/data/v9.0/WhoAmI", headers={"Authorization": f"Negotiate {token}"})
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 200
    scheme, _, reply = response.getheader("WWW-Authenticate", "").partition(" ")
    assert scheme == "Negotiate"
    initiator.step(base64.b64decode(reply))  # raises unless the reply proves the server holds the service key
    assert initiator.complete
