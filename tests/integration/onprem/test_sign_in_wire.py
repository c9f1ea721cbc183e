"""IIS's Windows sign-in as the on-premises profiles play it, proven at the wire."""

from __future__ import annotations

import base64
import http.client

import pytest
import requests
import spnego
from requests_ntlm import HttpNtlmAuth

from connectors.dataverse import DataverseAuthError
from tests.integration.onprem.conftest import PASSWORD, USER, onprem_server

pytestmark = pytest.mark.integration


def _raw(
    server,
    method: str = "GET",
    path: str = "WhoAmI",
    headers: dict | None = None,
    body: bytes | None = None,
    conn: http.client.HTTPConnection | None = None,
):
    conn = conn or http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request(method, f"/api/data/{server.profile.newest_root}/{path}", body=body, headers=headers or {})
    response = conn.getresponse()
    return conn, response, response.read()


def test_an_anonymous_request_gets_two_separate_challenges_and_the_connection_closes():
    with onprem_server("onprem-9.0") as server:
        conn, response, _ = _raw(server, "POST", "accounts", body=b'{"name": "x"}')
        assert response.status == 401
        assert response.msg.get_all("WWW-Authenticate") == ["NTLM", "Negotiate"]
        assert response.getheader("Connection") == "close"
        conn.close()


def test_the_handshake_keeps_its_connection_and_the_connection_stays_signed_in():
    with onprem_server("crm-2016") as server, requests.Session() as session:
        session.auth = HttpNtlmAuth(USER, PASSWORD)
        # A body on every leg: the challenge reply drains it and keeps the connection open.
        created = session.post(server.url + "accounts", json={"name": "Contoso"})
        assert created.status_code == 204 and [r.status_code for r in created.history] == [401, 401]
        again = session.get(server.url + "WhoAmI")
        assert again.status_code == 200 and again.history == []


def test_the_challenge_leg_drains_the_body_sends_a_length_and_keeps_alive():
    with onprem_server("onprem-9.0") as server:
        initiator = spnego.client(USER, PASSWORD, protocol="ntlm")
        negotiate = base64.b64encode(initiator.step()).decode()
        conn, response, body = _raw(
            server,
            "POST",
            "accounts",
            {"Authorization": f"NTLM {negotiate}", "Content-Type": "application/json"},
            b'{"name": "first leg"}',
        )
        assert response.status == 401 and response.getheader("Content-Length") == str(len(body))
        assert response.getheader("Connection") != "close"
        challenge = response.getheader("WWW-Authenticate").split(" ", 1)[1]
        authenticate = base64.b64encode(initiator.step(base64.b64decode(challenge))).decode()
        _, final, _ = _raw(
            server,
            "POST",
            "accounts",
            {"Authorization": f"NTLM {authenticate}", "Content-Type": "application/json"},
            b'{"name": "third leg"}',
            conn=conn,
        )
        assert final.status == 204
        conn.close()


def test_a_handshake_step_on_a_new_connection_fails():
    with onprem_server("onprem-9.0") as server:
        initiator = spnego.client(USER, PASSWORD, protocol="ntlm")
        negotiate = base64.b64encode(initiator.step()).decode()
        first, response, _ = _raw(server, headers={"Authorization": f"NTLM {negotiate}"})
        challenge = base64.b64decode(response.getheader("WWW-Authenticate").split(" ", 1)[1])
        authenticate = base64.b64encode(initiator.step(challenge)).decode()
        first.close()
        second, refused, _ = _raw(server, headers={"Authorization": f"NTLM {authenticate}"})
        assert refused.status == 401 and refused.msg.get_all("WWW-Authenticate") == ["NTLM", "Negotiate"]
        second.close()


def test_negotiate_wrapped_ntlm_signs_in_too():
    with onprem_server("onprem-9.1") as server:
        initiator = spnego.client(USER, PASSWORD, protocol="negotiate", options=spnego.NegotiateOptions.use_ntlm)
        negotiate = base64.b64encode(initiator.step()).decode()
        conn, response, _ = _raw(server, headers={"Authorization": f"Negotiate {negotiate}"})
        assert response.status == 401
        challenge = base64.b64decode(response.getheader("WWW-Authenticate").split(" ", 1)[1])
        _, final, body = _raw(
            server,
            headers={"Authorization": "Negotiate " + base64.b64encode(initiator.step(challenge)).decode()},
            conn=conn,
        )
        assert final.status == 200 and b"UserId" in body
        conn.close()


@pytest.mark.parametrize(
    "username, password",
    [
        (USER, "not-the-password"),
        ("CONTOSO\\nobody", PASSWORD),
    ],
)
def test_a_refused_sign_in_is_a_clear_auth_error_without_the_password(ntlm_client, username, password):
    with onprem_server("onprem-9.0") as server:
        client, _ = ntlm_client(server, username=username, password=password)
        with pytest.raises(DataverseAuthError) as caught:
            client.whoami()
        assert username in str(caught.value) and password not in str(caught.value)


def test_a_user_without_its_domain_is_refused_as_iis_refuses_it():
    # The suite's settings already refuse such a user name; a raw NTLM client shows the server side.
    with onprem_server("onprem-9.0") as server, requests.Session() as session:
        session.auth = HttpNtlmAuth("crmservice", PASSWORD)
        assert session.get(server.url + "WhoAmI").status_code == 401
        session.auth = HttpNtlmAuth("crmservice@contoso", PASSWORD)
        assert session.get(server.url + "WhoAmI").status_code == 401


def test_a_bearer_token_is_not_windows_sign_in():
    with onprem_server("onprem-9.0") as server:
        conn, response, _ = _raw(server, headers={"Authorization": "Bearer abc"})
        assert response.status == 401 and response.msg.get_all("WWW-Authenticate") == ["NTLM", "Negotiate"]
        conn.close()


def test_over_https_the_channel_binding_is_required(tmp_path):
    with onprem_server("onprem-9.0", tmp_path, tls=True) as server:
        for send_cbt, status in ((True, 200), (False, 401)):
            with requests.Session() as session:
                session.auth = HttpNtlmAuth(USER, PASSWORD, send_cbt=send_cbt)
                assert session.get(server.url + "WhoAmI", verify=str(server.ca_file)).status_code == status
