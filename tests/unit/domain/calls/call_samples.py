"""Sample calls and one telephony system, shared by the activity tests (domain) and its Dataverse rendering."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord, CallStatus
from domain.calls.system_settings import ExtensionSettings, LineSettings, TelephonySystemSettings
from domain.number_index import RecordRef
from domain.numbers import NumberPlan

T0 = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
USER = "11111111-1111-1111-1111-111111111111"
CONTACT = "22222222-2222-2222-2222-222222222222"
ACCOUNT = "33333333-3333-3333-3333-333333333333"
SYSTEM = TelephonySystemSettings(
    key="hq",
    record_id="44444444-4444-4444-4444-444444444444",
    plan=NumberPlan(98, "21", "9", 5),
    hidden_extensions=frozenset({"600"}),
    ivr_variable="CUSTOMER_CODE",
    extensions={"101": ExtensionSettings("101", "55555555-5555-5555-5555-555555555555", USER)},
    lines={"trunk-1": LineSettings("trunk-1", "66666666-6666-6666-6666-666666666666", "+982191002000")},
)
CONTACT_REF = RecordRef("contact", CONTACT, "mobilephone", USER, T0)
ACCOUNT_REF = RecordRef("account", ACCOUNT, "telephone1", None, T0)


def call(**changes) -> CallRecord:
    base = CallRecord(
        "hq",
        "1714030100.200",
        3,
        CallStatus.TALKING,
        T0,
        direction=Direction.INBOUND,
        external_number="09121234567",
        extension="101",
        line="trunk-1",
        answered_at=T0 + timedelta(seconds=8),
        ring_seconds=8,
    )
    return replace(base, **changes)


def ended(**changes) -> CallRecord:
    return call(
        status=CallStatus.ENDED,
        outcome=CallOutcome.ANSWERED,
        ended_at=T0 + timedelta(seconds=98),
        talk_seconds=90,
        **changes,
    )


def names(ref: RecordRef) -> str | None:
    return {CONTACT: "Reza Ahmadi", ACCOUNT: "Pars Trading"}.get(ref.record_id)
