"""The daemon's durable inbound hold (SMS-21 without Service Bus): kept in SQLite, stored once, refusals left."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bridge.sms.hold import LocalHold
from connectors.errors import UnavailableError
from domain.sms import InboundSms
from services.sms.inbound.hold import HoldError, decode_held

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def texts(*ids: str) -> list[InboundSms]:
    return [InboundSms(provider_id=i, sender="09121234567", line="3000", text=f"text {i}", received_at=AT) for i in ids]


def test_kept_texts_survive_a_new_hold_on_the_same_file_and_are_stored_once(tmp_path: Path) -> None:
    path = tmp_path / "hold.db"
    LocalHold(path).keep("kavenegar", texts("1", "2"))  # never closed: as after kill -9
    hold = LocalHold(path)
    hold.keep("kavenegar", texts("2"))  # fetched again: kept once
    assert hold.waiting() == ["kavenegar/1", "kavenegar/2"]
    stored: list[tuple[str, str]] = []
    report = hold.drain(lambda body: stored.append((decode_held(body)[0], decode_held(body)[1].provider_id)))
    assert stored == [("kavenegar", "1"), ("kavenegar", "2")] and report.stored == ["kavenegar/1", "kavenegar/2"]
    assert hold.waiting() == [] and hold.drain(stored.append).stored == []


def test_a_dataverse_failure_leaves_the_rest_for_next_time(tmp_path: Path) -> None:
    hold = LocalHold(tmp_path / "hold.db")
    hold.keep("kavenegar", texts("1", "2", "3"))
    calls: list[bytes] = []

    def receive(body: bytes) -> None:
        calls.append(body)
        if len(calls) == 2:
            raise UnavailableError("Dataverse is down", system="dataverse", operation="create")

    report = hold.drain(receive)
    assert report.stored == ["kavenegar/1"] and report.left == 2
    assert hold.waiting() == ["kavenegar/2", "kavenegar/3"]


def test_a_refused_text_is_left_for_a_person_and_not_retried(tmp_path: Path) -> None:
    hold = LocalHold(tmp_path / "hold.db")
    hold.keep("gone", texts("1"))

    def receive(body: bytes) -> None:
        raise HoldError("the held message names no provider account")

    assert hold.drain(receive).refused == ["gone/1"]
    assert hold.waiting() == [] and hold.drain(receive).refused == []
