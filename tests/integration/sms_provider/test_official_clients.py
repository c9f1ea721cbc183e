"""The fake Kavenegar answers requests the way the official clients send them.

- The official Python SDK (PyPI ``kavenegar``, kavenegar/kavenegar-python:kavenegar.py) is run
  as it is; only its hard-coded ``https://api.kavenegar.com`` is pointed at the fake.
- Requests shaped like the official .NET SDK's (kavenegar/kavenegar-dotnet:Kavenegar/KavenegarApi.cs,
  ``Execute``): every pair written as ``key=value&`` (a trailing ``&``), texts through
  ``HttpUtility.UrlEncodeUnicode`` (``%uXXXX`` for non-ASCII, ``+`` for a space), the
  ``sendarray`` arrays as raw JSON.
- SOAP 1.1 and 1.2 envelopes for ``SendSimpleByApikey``, the operation the official C# sample
  calls (kavenegar/kavenegar-soap-csharp, WSDL ``v1.wsdl``: ``apikey, sender, message,
  receptor: ArrayOfString, unixdate: long, msgmode: int, status, statusmessage``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import kavenegar
import pytest
import requests
from lxml import etree

from emulator.sms_provider import FakeSmsProviderServer

TEXT = "سلام علی، قبض + مبلغ ۱۲۰۰ 👋"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
KN = "http://api.kavenegar.com/"


class _PointedAtFake:
    """``requests`` as the SDK module sees it, with its fixed https host sent to the fake over http."""

    exceptions = requests.exceptions

    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, url: str, **kwargs):
        return requests.post(url.replace("https://api.kavenegar.com", self.base), timeout=5, **kwargs)


@pytest.fixture
def sdk(server: FakeSmsProviderServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[kavenegar.KavenegarAPI]:
    monkeypatch.setattr(kavenegar, "requests", _PointedAtFake(f"http://127.0.0.1:{server.port}"))
    yield kavenegar.KavenegarAPI("test-key")


def test_official_python_sdk_send_status_and_account(server, sdk):
    sent = sdk.sms_send({"sender": "10004346", "receptor": "09121111111,09122222222", "message": TEXT})
    assert [e["receptor"] for e in sent] == ["09121111111", "09122222222"]
    assert [m["message"] for m in server.sent] == [TEXT, TEXT]
    statuses = sdk.sms_status({"messageid": ",".join(str(e["messageid"]) for e in sent)})
    assert [s["messageid"] for s in statuses] == [e["messageid"] for e in sent]
    assert sdk.account_info()["remaincredit"] == server.credit


def test_official_python_sdk_sendarray_and_localid(server, sdk):
    sent = sdk.sms_sendarray(
        {
            "receptor": json.dumps(["09121111111", "09122222222"]),
            "sender": json.dumps(["10004346", "10004346"]),
            "message": json.dumps([TEXT, "second"], ensure_ascii=False),
            "localmessageids": "774618100985683650,373405062660543800",
        }
    )
    assert [m["message"] for m in server.sent] == [TEXT, "second"]
    (found,) = sdk.sms_statuslocalmessageid({"localid": "774618100985683650"})
    assert found["messageid"] == sent[0]["messageid"]


def test_official_python_sdk_sees_errors_as_api_exceptions(server, sdk):
    with pytest.raises(kavenegar.APIException, match="411"):
        sdk.sms_send({"receptor": "12", "message": "x"})
    sdk.apikey = "wrong-key"
    with pytest.raises(kavenegar.APIException, match="403"):
        sdk.sms_send({"receptor": "09121111111", "message": "x"})


def url_encode_unicode(text: str) -> str:
    """What .NET's ``HttpUtility.UrlEncodeUnicode`` makes of ``text`` (the .NET SDK encodes texts with it)."""
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char in "-_.!*()"):
            out.append(char)
        elif char == " ":
            out.append("+")
        elif char.isascii():
            out.append(f"%{ord(char):02x}")
        else:
            units = char.encode("utf-16-be")
            out.extend(f"%u{units[i : i + 2].hex()}" for i in range(0, len(units), 2))
    return "".join(out)


def dotnet_form(pairs: list[tuple[str, object]]) -> bytes:
    """The .NET SDK's ``Execute`` body: ``key=value&`` for each pair, trailing ``&`` included."""
    return "".join(f"{key}={value}&" for key, value in pairs).encode("utf-8")


def post_form(server: FakeSmsProviderServer, method: str, body: bytes) -> requests.Response:
    return requests.post(
        f"{server.base_url}/test-key/{method}.json",
        data=body,
        timeout=5,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_dotnet_shaped_send_is_accepted_and_stored_as_sent(server):
    body = dotnet_form(
        [
            ("sender", url_encode_unicode("10004346")),
            ("receptor", url_encode_unicode("09121111111")),
            ("message", url_encode_unicode(TEXT)),
            ("type", 1),
            ("date", 0),
            ("localid", "42"),
        ]
    )
    assert b"%u0633" in body and body.endswith(b"&")
    reply = post_form(server, "sms/send", body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["entries"][0]["message"] == TEXT
    assert [(m["receptor"], m["message"], m["localid"]) for m in server.sent] == [("09121111111", TEXT, "42")]


def test_dotnet_shaped_sendarray_is_accepted(server):
    body = dotnet_form(
        [
            ("message", json.dumps(["اول", "second"], ensure_ascii=False)),
            ("sender", json.dumps(["10004346", "10004346"])),
            ("receptor", json.dumps(["09121111111", "09122222222"])),
            ("type", json.dumps([1, 0])),
            ("date", 0),
            ("localmessageids", "7,8"),
        ]
    )
    reply = post_form(server, "sms/sendarray", body)
    assert reply.status_code == 200, reply.text
    assert [m["message"] for m in server.sent] == ["اول", "second"]


@pytest.mark.parametrize("body", [b"receptor=\xff&message=x", b"receptor=%ud800&message=x"])
def test_broken_escapes_are_still_refused(server, body):
    assert post_form(server, "sms/send", body).json()["return"]["status"] == 422


def send_simple(version: str, apikey: str = "test-key", receptors: tuple[str, ...] = ("09121111111",)) -> bytes:
    items = "".join(f"<string>{r}</string>" for r in receptors)
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{version}"><soap:Body>'
        f'<SendSimpleByApikey xmlns="{KN}"><apikey>{apikey}</apikey><sender>10004346</sender>'
        f"<message>{TEXT}</message><receptor>{items}</receptor><unixdate>0</unixdate><msgmode>1</msgmode>"
        "<status>0</status><statusmessage /></SendSimpleByApikey></soap:Body></soap:Envelope>"
    ).encode()


def post_soap(server: FakeSmsProviderServer, body: bytes, version: str) -> requests.Response:
    if version == SOAP12:
        headers = {"Content-Type": f'application/soap+xml; charset=utf-8; action="{KN}SendSimpleByApikey"'}
    else:
        headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": f'"{KN}SendSimpleByApikey"'}
    return requests.post(server.soap_url, data=body, headers=headers, timeout=5)


@pytest.mark.parametrize("version", [SOAP11, SOAP12], ids=["soap1.1", "soap1.2"])
def test_send_simple_by_apikey_in_both_soap_versions(server, version):
    reply = post_soap(server, send_simple(version, receptors=("09121111111", "09122222222")), version)
    assert reply.status_code == 200, reply.text
    root = etree.fromstring(reply.content)
    assert root.tag == f"{{{version}}}Envelope"
    ids = [int(e.text) for e in root.iterfind(f".//{{{KN}}}SendSimpleByApikeyResult/{{{KN}}}long")]
    assert len(ids) == 2 and all(i > 0 for i in ids)
    assert root.findtext(f".//{{{KN}}}status") == "200"
    assert [(m["receptor"], m["message"]) for m in server.sent] == [("09121111111", TEXT), ("09122222222", TEXT)]
    if version == SOAP12:
        assert reply.headers["Content-Type"].startswith("application/soap+xml")


def test_soap12_bad_key_and_bad_envelope(server):
    refused = etree.fromstring(post_soap(server, send_simple(SOAP12, apikey="nope"), SOAP12).content)
    assert refused.findtext(f".//{{{KN}}}status") == "403"
    fault = post_soap(server, send_simple(SOAP12).replace(b"SendSimpleByApikey", b"NoSuchOperation"), SOAP12)
    assert fault.status_code == 500
    assert etree.fromstring(fault.content).find(f".//{{{SOAP12}}}Fault/{{{SOAP12}}}Code") is not None
