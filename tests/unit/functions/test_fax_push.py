"""The fax push handlers: hostile or malformed bodies, other tables, duplicates, deleted rows, Dataverse down."""

from __future__ import annotations

import json
from types import SimpleNamespace

import azure.functions as func
import pytest

from connectors.dataverse.remote_context import MAX_PUSH_BYTES
from connectors.errors import UnavailableError
from functions import fax_push
from services.fax.sending import PushResult

FAX_ID = "6f1c1e02-5a2b-4d5e-9c1a-0000000000aa"


class FakePush:
    """Answers each fax id once with ``first``, then NOT_PENDING (the row is claimed), as the sender does."""

    def __init__(self, first: PushResult = PushResult.SUBMITTED, error: Exception | None = None):
        self.first, self.error, self.sent = first, error, []

    def send(self, fax_id: str) -> PushResult:
        if self.error is not None:
            raise self.error
        self.sent.append(fax_id)
        return self.first if self.sent.count(fax_id) == 1 else PushResult.NOT_PENDING


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakePush:
    push = FakePush()
    monkeypatch.setattr(fax_push, "services", lambda: SimpleNamespace(fax=push))
    return push


def context(record_id: str = FAX_ID, entity: str = "fax", message: str = "Create") -> bytes:
    return json.dumps(
        {"MessageName": message, "PrimaryEntityName": entity, "PrimaryEntityId": record_id, "InputParameters": []}
    ).encode()


def message(body: bytes) -> func.ServiceBusMessage:
    return func.ServiceBusMessage(body=body, content_type="application/json")


def webhook(body: bytes) -> func.HttpRequest:
    return func.HttpRequest(method="POST", url="/api/fax/push", body=body, headers={})


HOSTILE = [
    b"",
    b"@\x02\x0bmsbin1 binary xml",
    b"\xff\xfe\x00not utf-8",
    b"[1, 2, 3]",
    b'{"PrimaryEntityName": "fax", "MessageName": "Create"}',
    context(record_id="not-a-guid"),
    context(record_id="00000000-0000-0000-0000-000000000000"),
    context(entity="fax; drop table"),
    b" " * (MAX_PUSH_BYTES + 1),
]


@pytest.mark.parametrize("body", HOSTILE)
def test_a_malformed_queue_message_raises_so_it_is_dead_lettered_and_nothing_is_sent(fake: FakePush, body: bytes):
    with pytest.raises(ValueError):
        fax_push.fax_push_queue(message(body))
    assert fake.sent == []


@pytest.mark.parametrize("body", HOSTILE)
def test_a_malformed_webhook_body_is_400_and_nothing_is_sent(fake: FakePush, body: bytes):
    assert fax_push.fax_push_webhook(webhook(body)).status_code == 400
    assert fake.sent == []


def test_a_push_for_another_table_is_ignored(fake: FakePush):
    fax_push.fax_push_queue(message(context(entity="comms_sms")))
    assert fax_push.fax_push_webhook(webhook(context(entity="comms_sms"))).status_code == 400
    assert fake.sent == []


def test_a_duplicate_message_reaches_the_sender_which_sends_once(fake: FakePush):
    fax_push.fax_push_queue(message(context(message="Create")))
    fax_push.fax_push_queue(message(context(message="Update")))
    assert fake.sent == [FAX_ID, FAX_ID]
    reply = fax_push.fax_push_webhook(webhook(context()))
    assert reply.status_code == 200 and json.loads(reply.get_body()) == {"fax": FAX_ID, "result": "not pending"}


def test_the_webhook_says_what_came_of_the_fax(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(fax_push, "services", lambda: SimpleNamespace(fax=FakePush(PushResult.GONE)))
    reply = fax_push.fax_push_webhook(webhook(context(FAX_ID.upper())))
    assert json.loads(reply.get_body()) == {"fax": FAX_ID, "result": "gone"}
    fax_push.fax_push_queue(message(context()))  # a deleted row: handled, not redelivered


def test_dataverse_down_redelivers_the_message_and_is_503_on_the_webhook(monkeypatch: pytest.MonkeyPatch):
    down = FakePush(error=UnavailableError("503", system="dataverse", operation="retrieve"))
    monkeypatch.setattr(fax_push, "services", lambda: SimpleNamespace(fax=down))
    with pytest.raises(UnavailableError):
        fax_push.fax_push_queue(message(context()))
    assert fax_push.fax_push_webhook(webhook(context())).status_code == 503


def test_an_app_without_a_fax_server_leaves_the_fax_to_polling(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setattr(fax_push, "services", lambda: SimpleNamespace(fax=None))
    fax_push.fax_push_queue(message(context()))
    assert "COMMS_FAX_SERVER_KEY" in caplog.text
    assert fax_push.fax_push_webhook(webhook(context())).status_code == 404
