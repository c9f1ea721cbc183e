"""MSAL client-credentials auth at AAD's wire format: secret, PEM certificate, PFX, failures."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
from pathlib import Path
from urllib.parse import parse_qs

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from connectors import errors as tree
from connectors.dataverse import (
    Certificate,
    ClientSecret,
    ConnectFailedError,
    DataverseAuthError,
    DataverseClient,
    MsalTokenProvider,
    StaticToken,
)
from connectors.settings import Secret

from .dataverse_support import (
    API,
    CANARY,
    INSTANCE_DISCOVERY_URL,
    LOGIN,
    ORG,
    TENANT,
    instance_discovery,
    openid_configuration,
)

CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
TOKEN_URL = f"{LOGIN}/oauth2/v2.0/token"
DISCOVERY_URL = f"{LOGIN}/v2.0/.well-known/openid-configuration"


def token_reply(token: str) -> dict:
    return {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}


def invalid_client_reply() -> dict:
    return {
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the "
        "request is the client secret value, not the client secret ID.\r\n"
        "Trace ID: 0b5a\r\nCorrelation ID: 9c1d\r\nTimestamp: 2024-03-20 10:00:00Z",
        "error_codes": [7000215],
        "timestamp": "2024-03-20 10:00:00Z",
        "trace_id": "0b5a",
        "correlation_id": "9c1d",
        "error_uri": "https://login.microsoftonline.com/error?code=7000215",
    }


def secret_provider(secret: str = CANARY) -> MsalTokenProvider:
    return MsalTokenProvider(
        tenant_id=TENANT, client_id=CLIENT_ID, credential=ClientSecret(Secret(secret)), resource_url=ORG + "/"
    )


def form(call) -> dict[str, list[str]]:
    body = call.request.body
    return parse_qs(body if isinstance(body, str) else body.decode())


def test_client_secret_token_is_requested_once_and_cached(wire):
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.get(API + "WhoAmI", json={"UserId": "u"})
    wire.get(API + "WhoAmI", json={"UserId": "u"})
    client = DataverseClient(base_url=ORG, session=requests.Session(), token_provider=secret_provider())
    client.whoami()
    client.whoami()
    sent = form(wire.calls[1])
    assert sent["grant_type"] == ["client_credentials"] and sent["client_id"] == [CLIENT_ID]
    assert sent["client_secret"] == [CANARY]
    assert sent["scope"] == [f"{ORG}/.default"]
    assert [c.request.headers["Authorization"] for c in wire.calls[2:]] == ["Bearer at-1", "Bearer at-1"]


def test_a_401_from_dataverse_fetches_a_fresh_token_not_the_cached_one(wire):
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.get(API + "WhoAmI", status=401, json={"error": {"code": "", "message": "ExpiredAuthTicket"}})
    wire.post(TOKEN_URL, json=token_reply("at-2"))
    wire.get(API + "WhoAmI", json={"UserId": "u"})
    client = DataverseClient(base_url=ORG, session=requests.Session(), token_provider=secret_provider())
    assert client.whoami() == {"UserId": "u"}
    assert wire.calls[4].request.headers["Authorization"] == "Bearer at-2"


def test_aad_refusal_is_an_auth_error_with_the_aad_code_and_no_secret(wire):
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, status=401, json=invalid_client_reply())
    wire.get(INSTANCE_DISCOVERY_URL, json=instance_discovery())
    with pytest.raises(DataverseAuthError) as caught:
        secret_provider().token()
    error = caught.value
    assert isinstance(error, tree.AuthError) and not error.retry_safe
    assert error.code == "invalid_client" and error.aadsts_code == "AADSTS7000215"
    assert "AADSTS7000215" in str(error) and "Trace ID" not in str(error) and CANARY not in str(error)


def test_unreachable_aad_is_not_sent(wire):
    wire.get(DISCOVERY_URL, body=requests.ConnectionError("refused"))
    with pytest.raises(ConnectFailedError) as caught:
        secret_provider().token()
    assert CANARY not in str(caught.value)


def make_certificate(tmp_path: Path) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "commsuite-test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return key, certificate


@pytest.fixture(scope="module")
def key_and_certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("cert"))


def pem_file(tmp_path: Path, key, certificate) -> Path:
    path = tmp_path / "app.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        + certificate.public_bytes(serialization.Encoding.PEM)
    )
    return path


def assert_signed_assertion(call, key, certificate) -> None:
    sent = form(call)
    assert "client_secret" not in sent
    assert sent["client_assertion_type"] == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"]
    assertion = sent["client_assertion"][0]
    header = jwt.get_unverified_header(assertion)
    expected_x5t = (
        base64.urlsafe_b64encode(
            hashlib.sha1(
                certificate.public_bytes(  # noqa: S324 - x5t is SHA-1
                    serialization.Encoding.DER
                )
            ).digest()
        )
        .decode()
        .rstrip("=")
    )
    assert header["x5t"].rstrip("=") == expected_x5t
    claims = jwt.decode(assertion, key.public_key(), algorithms=[header["alg"]], audience=TOKEN_URL)
    assert claims["iss"] == claims["sub"] == CLIENT_ID


def test_pem_certificate_signs_a_client_assertion(wire, tmp_path, key_and_certificate):
    key, certificate = key_and_certificate
    credential = Certificate.from_pem_file(pem_file(tmp_path, key, certificate))
    assert credential.thumbprint == certificate.fingerprint(hashes.SHA1()).hex().upper()  # noqa: S303
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-cert"))
    provider = MsalTokenProvider(tenant_id=TENANT, client_id=CLIENT_ID, credential=credential, resource_url=ORG)
    assert provider.token() == "at-cert"
    assert_signed_assertion(wire.calls[1], key, certificate)


def test_pfx_certificate_with_passphrase(wire, tmp_path, key_and_certificate):
    key, certificate = key_and_certificate
    path = tmp_path / "app.pfx"
    path.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"app", key, certificate, None, serialization.BestAvailableEncryption(CANARY.encode())
        )
    )
    credential = Certificate.from_pfx_file(path, passphrase=Secret(CANARY))
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-pfx"))
    provider = MsalTokenProvider(tenant_id=TENANT, client_id=CLIENT_ID, credential=credential, resource_url=ORG)
    assert provider.token() == "at-pfx"
    assert_signed_assertion(wire.calls[1], key, certificate)
    with pytest.raises(ValueError) as caught:
        Certificate.from_pfx_file(path, passphrase=Secret("wrong"))
    assert CANARY not in str(caught.value)


def test_pem_key_without_certificate_needs_a_thumbprint(tmp_path, key_and_certificate):
    key, _ = key_and_certificate
    path = tmp_path / "key.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with pytest.raises(ValueError):
        Certificate.from_pem_file(path)
    credential = Certificate.from_pem_file(path, thumbprint="a1:b2:" + "c3" * 18)
    assert credential.thumbprint == "A1B2" + "C3" * 18
    with pytest.raises(ValueError):
        Certificate.from_pem_file(path, thumbprint="xyz")
    with pytest.raises(ValueError):
        Certificate.from_pem_file(tmp_path / "missing.pem", thumbprint="A" * 40)


def test_reprs_hide_credentials(tmp_path, key_and_certificate):
    assert CANARY not in repr(StaticToken(CANARY)) and CANARY not in repr(secret_provider())
    assert CANARY not in repr(ClientSecret(Secret(CANARY)))
    with pytest.raises(ValueError):
        StaticToken("")


def test_canary_never_reaches_logs_or_errors(wire, caplog):
    """STYLE's canary test: DEBUG everywhere, a success and a failure, no secret anywhere."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger().setLevel(logging.DEBUG)
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.get(API + "WhoAmI", json={"UserId": "u"})
    wire.get(API + "WhoAmI", status=401, json={"error": {"code": "", "message": "BadAuthTicket"}})
    wire.post(TOKEN_URL, status=401, json=invalid_client_reply())
    wire.get(INSTANCE_DISCOVERY_URL, json=instance_discovery())
    client = DataverseClient(base_url=ORG, session=requests.Session(), token_provider=secret_provider())
    client.whoami()
    with pytest.raises(DataverseAuthError) as caught:
        client.whoami()
    static = DataverseClient(base_url=ORG, session=requests.Session(), token_provider=StaticToken(CANARY))
    wire.get(API + "WhoAmI", status=500, json={"error": {"code": "", "message": "boom"}})
    with pytest.raises(Exception) as static_caught:
        DataverseClient(
            base_url=ORG, session=requests.Session(), token_provider=StaticToken(CANARY), retry=None
        ).whoami()
    texts = [
        caplog.text,
        str(caught.value),
        repr(caught.value),
        str(static_caught.value),
        repr(static),
        repr(client),
        json.dumps(client.stats.snapshot()),
    ]
    assert all(CANARY not in text for text in texts)
    assert "at-1" not in caplog.text
