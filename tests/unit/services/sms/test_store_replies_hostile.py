"""Dataverse replies the SMS service reads straight off a request (SMS-01, -03, -19): a body that is not the
documented JSON object is a ``BadResponseError`` (a connector error the callers already handle), never
``AttributeError``, ``KeyError``, ``JSONDecodeError`` or ``RecursionError``."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.dataverse.errors import BadResponseError
from services.sms.bulk.store import BulkStore
from services.sms.shapes import read_table_shape
from services.sms.store import SmsStore

SMS_ID = "3f2504e0-4f89-11d3-9a0c-0305e82c3301"
BODIES = [b"[" * 5000 + b"]" * 5000, b"[]", b'"x"', b"null", b"\xff", b"", b'{"value": 7}', b'{"value": [1]}']


class FakeClient:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code, response._content = 200, self.body
        return response


@pytest.mark.parametrize("body", BODIES)
def test_sms_store_reads_refuse_replies_that_are_not_objects(body: bytes) -> None:
    store = SmsStore(FakeClient(body))  # type: ignore[arg-type]
    for read in (
        lambda: store.get_sms(SMS_ID),
        lambda: store.recipients(SMS_ID),
        lambda: store.entity_set("new_customtable"),
    ):
        try:
            read()
        except BadResponseError:
            continue


@pytest.mark.parametrize("body", BODIES)
def test_bulk_and_shape_reads_refuse_replies_that_are_not_objects(body: bytes) -> None:
    for read in (
        lambda: BulkStore(FakeClient(body)).bulk(SMS_ID),  # type: ignore[arg-type]
        lambda: read_table_shape(FakeClient(body), "contact"),  # type: ignore[arg-type]
    ):
        try:
            read()
        except BadResponseError:
            continue
