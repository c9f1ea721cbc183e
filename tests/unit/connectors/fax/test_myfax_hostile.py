"""Hostile MyFax replies (shape UNCONFIRMED, see connectors/fax/myfax.py): any reply to status, the inbound listing
or a submit is a value or a connector error; never ``OverflowError``, ``RecursionError`` or ``KeyError``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
import requests
import responses

from connectors.errors import ConnectorError
from connectors.fax.myfax import MyFaxServer, MyFaxSettings
from domain.fax import DialParts, FaxDocument, OutgoingFax

BASE = "https://fax.example.test"
ANY = re.compile(re.escape(BASE) + r"/.*")
FAX = OutgoingFax(key="act-1", documents=(FaxDocument.of("a.pdf", b"%PDF-1.4 x"),), dial=DialParts("+982112345678"))
REPLIES = {
    "deep": b"[" * 5000 + b"]" * 5000,
    "infinite-pages": b'{"fax_id": "F-1", "status": "sent", "pages": 1e999}',
    "infinite-listing": b'{"faxes": [{"fax_id": "F-2", "pages": 1e999}]}',
    "negative-pages": b'{"fax_id": "F-1", "status": "sent", "pages": -3}',
    "huge-id": json.dumps({"fax_id": 10**40, "status": "sent"}).encode(),
    "wrong-types": b'{"fax_id": [], "status": {}, "pages": "x", "faxes": "none"}',
    "list": b"[1]",
    "not-utf8": b'{"fax_id": "\xff"}',
    "empty": b"",
}


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.mark.parametrize("body", list(REPLIES.values()), ids=list(REPLIES))
def test_hostile_replies_are_values_or_connector_errors(wire, body: bytes) -> None:
    for method in ("GET", "POST"):
        wire.add(method, ANY, body=body, status=200)
    server = MyFaxServer(MyFaxSettings(base_url=BASE, access_token="t"), session=requests.Session())
    for call in (lambda: server.status(["F-1"]), server.list_received, lambda: server.submit(FAX)):
        try:
            call()
        except ConnectorError:
            continue


def test_an_infinite_page_count_is_a_bad_reply(wire) -> None:
    wire.add("GET", ANY, body=REPLIES["infinite-pages"], status=200)
    server = MyFaxServer(MyFaxSettings(base_url=BASE, access_token="t"), session=requests.Session())
    with pytest.raises(ConnectorError):
        server.status(["F-1"])


@pytest.mark.parametrize("body", [REPLIES["negative-pages"], b'{"faxes": [{"fax_id": "F-2", "pages": -1}]}'])
def test_a_negative_page_count_is_a_bad_reply(wire, body: bytes) -> None:
    wire.add("GET", ANY, body=body, status=200)
    server = MyFaxServer(MyFaxSettings(base_url=BASE, access_token="t"), session=requests.Session())
    with pytest.raises(ConnectorError):
        server.status(["F-1"]) if b"faxes" not in body else server.list_received()
