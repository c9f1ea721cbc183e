"""The call logger, registrar and notifier with an in-memory CRM: what they queue, and what they refuse."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.calls.autoregister import AutoRegistrar
from bridge.calls.logger import CallLogger, CrmEnvironment, phone_call_id
from bridge.calls.notifications import CallNotifier
from bridge.outbox.store import Outbox
from connectors.dataverse import AlternateKey
from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.record import CallChange, CallOutcome, CallRecord, CallStatus, CallUpdate
from domain.calls.system_settings import CallVisibility, ExtensionSettings, TelephonySystemSettings
from domain.number_index import NO_MATCH, Match, RecordRef
from domain.numbers import NumberPlan
from services.calls.telephony_settings import SystemOptions

T0 = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
AGENT, OWNER, CONTACT = (
    "aaaaaaaa-0000-0000-0000-000000000001",
    "bbbbbbbb-0000-0000-0000-000000000002",
    "cccccccc-0000-0000-0000-000000000003",
)
SYSTEM = TelephonySystemSettings(
    key="hq",
    record_id="dddddddd-0000-0000-0000-000000000004",
    plan=NumberPlan(98, "21"),
    hidden_extensions=frozenset({"600"}),
    extensions={"101": ExtensionSettings("101", user_id=AGENT)},
)


class Settings:
    def __init__(self, system: TelephonySystemSettings | None, options: SystemOptions | None = None) -> None:
        self.system, self.options = system, options or SystemOptions()

    def settings_for(self, key: str) -> TelephonySystemSettings | None:
        return self.system

    def options_for(self, key: str) -> SystemOptions:
        return self.options

    async def refresh(self) -> None:
        """Nothing to re-read."""


class Numbers:
    is_ready = True
    entity_sets = {"contact": "contacts"}

    def lookup(self, number, *, owner_id=None) -> Match:
        ref = RecordRef("contact", CONTACT, "mobilephone", OWNER, T0)
        return Match(ref) if getattr(number, "e164", number) == "+989121234567" else NO_MATCH

    def name_of(self, ref: RecordRef) -> str | None:
        return "Reza"


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "o.db") as box:
        yield box


def update(changes: set[CallChange], **fields) -> CallUpdate:
    record = CallRecord(
        "hq",
        "c1",
        2,
        CallStatus.RINGING,
        T0,
        direction=Direction.INBOUND,
        external_number="09121234567",
        extension="101",
        line="trunk-1",
    )
    return CallUpdate(replace(record, **fields), None, frozenset(changes))


def ended(**fields) -> CallUpdate:
    return update(
        {CallChange.ENDED}, **{"status": CallStatus.ENDED, "outcome": CallOutcome.MISSED, "ended_at": T0, **fields}
    )


def crm(settings: Settings | None = None, numbers: Numbers | None = None) -> dict[str, CrmEnvironment]:
    return {"prod": CrmEnvironment("prod", settings or Settings(SYSTEM), numbers or Numbers())}


def test_one_upsert_per_call_change_folded_while_waiting(outbox: Outbox) -> None:
    logger = CallLogger(outbox, {"hq": ["prod"]}, crm())
    logger.on_call(update({CallChange.NEW}), SYSTEM)
    logger.on_call(update({CallChange.RINGING}), SYSTEM)  # pop-up only: nothing queued
    logger.on_call(update({CallChange.ANSWERED}, status=CallStatus.TALKING, answered_at=T0), SYSTEM)
    (queued,) = outbox.pending("prod")
    assert queued.item.ref == AlternateKey({"comms_systemkey": "hq", "comms_pbxcallid": "c1"})
    assert queued.item.body["comms_answered"] is True and queued.item.body["activityid"] == phone_call_id(
        update(set()).record
    )
    assert logger.stats.queued == 2


@pytest.mark.parametrize(
    "fields",
    [
        {"external_number": "123"},
        {"extension": "600"},
        {"direction": Direction.INTERNAL},
    ],
)
def test_calls_never_logged(outbox: Outbox, fields: dict) -> None:
    logger = CallLogger(outbox, {"hq": ["prod"]}, crm())
    logger.on_call(update({CallChange.ANSWERED}, **fields), SYSTEM)
    assert outbox.depth() == 0 and logger.stats.skipped == 1


def test_new_call_without_a_number_waits(outbox: Outbox) -> None:
    logger = CallLogger(outbox, {"hq": ["prod"]}, crm())
    logger.on_call(update({CallChange.NEW}, external_number=None), SYSTEM)
    assert outbox.depth() == 0


def test_each_environment_gets_its_own_upsert_and_unknown_systems_none(outbox: Outbox) -> None:
    crms = {"prod": CrmEnvironment("prod"), "branch": CrmEnvironment("branch", Settings(None), None)}
    logger = CallLogger(outbox, {"hq": ["prod", "branch"]}, crms)
    logger.on_call(ended(), SYSTEM)
    logger.on_call(replace(ended(), record=replace(ended().record, system="other")), SYSTEM)
    assert outbox.depth("prod") == 1 and outbox.depth("branch") == 1


def test_unconfigured_environment_is_refused() -> None:
    with pytest.raises(ValueError, match="no CRM environment"):
        CallLogger(None, {"hq": ["nowhere"]}, {})  # type: ignore[arg-type]


def test_missed_call_notice_goes_to_the_extension_user_once(outbox: Outbox) -> None:
    notifier = CallNotifier(outbox, {"hq": ["prod"]}, crm())
    notifier.on_call(ended(), SYSTEM)
    notifier.on_call(ended(), SYSTEM)
    (queued,) = outbox.pending("prod")
    assert queued.item.entity_set == "appnotifications"
    assert queued.item.body["ownerid@odata.bind"] == f"/systemusers({AGENT})"
    assert queued.item.body["title"] == "Missed call from Reza" and "etn=contact" in queued.item.body["data"]


def test_notices_respect_visibility_and_options(outbox: Outbox) -> None:
    owner_rule = replace(SYSTEM, visibility=CallVisibility.RECORD_OWNER)
    CallNotifier(outbox, {"hq": ["prod"]}, crm(Settings(owner_rule))).on_call(ended(), SYSTEM)
    assert {q.item.body["ownerid@odata.bind"] for q in outbox.pending()} == {
        f"/systemusers({AGENT})",
        f"/systemusers({OWNER})",
    }
    quiet = Settings(SYSTEM, SystemOptions(notify_missed_calls=False))
    before = outbox.depth()
    CallNotifier(outbox, {"hq": ["prod"]}, crm(quiet)).on_call(
        replace(ended(), record=replace(ended().record, call_id="c2")), SYSTEM
    )
    assert outbox.depth() == before


def test_waiting_caller_notice_only_when_enabled(outbox: Outbox) -> None:
    queued = update({CallChange.QUEUED}, status=CallStatus.QUEUED, queue="support", ringing_extensions=("101",))
    CallNotifier(outbox, {"hq": ["prod"]}, crm()).on_call(queued, SYSTEM)
    assert outbox.depth() == 0
    enabled = Settings(SYSTEM, SystemOptions(notify_waiting_calls=True))
    CallNotifier(outbox, {"hq": ["prod"]}, crm(enabled)).on_call(queued, SYSTEM)
    (item,) = outbox.pending()
    assert item.item.body["title"] == "Caller waiting in support: Reza"


def test_notices_follow_the_systems_language_like_the_subject(outbox: Outbox) -> None:
    """X-05: a system whose Subject Language is fa gets Persian notices, names and numbers kept upright."""
    persian = Settings(replace(SYSTEM, language="fa"), SystemOptions(notify_waiting_calls=True))
    CallNotifier(outbox, {"hq": ["prod"]}, crm(persian)).on_call(ended(), SYSTEM)
    queued = update({CallChange.QUEUED}, status=CallStatus.QUEUED, queue="support", ringing_extensions=("101",))
    CallNotifier(outbox, {"hq": ["prod"]}, crm(persian)).on_call(queued, SYSTEM)
    missed, waiting = (q.item.body for q in outbox.pending())
    assert missed["title"] == "تماس بی‌پاسخ از \u2068Reza\u2069"
    assert missed["body"].startswith("تماس **\u2068Reza\u2069** (\u2068+98") and missed["body"].endswith("بی‌پاسخ ماند.")
    assert '"title": "باز کردن \u2068Reza\u2069"' in missed["data"] and '"title": "باز کردن تماس"' in missed["data"]
    assert waiting["title"] == "منتظر در صف support: \u2068Reza\u2069"


def test_markdown_in_names_is_escaped(outbox: Outbox) -> None:
    class OddNames(Numbers):
        def name_of(self, ref):
            return "[evil](javascript:x) *bold*"

    CallNotifier(outbox, {"hq": ["prod"]}, crm(numbers=OddNames())).on_call(ended(), SYSTEM)
    assert "\\[evil\\]\\(javascript:x\\) \\*bold\\*" in outbox.pending()[0].item.body["body"]


def test_new_line_and_extension_registered_once_hidden_never(outbox: Outbox) -> None:
    registrar = AutoRegistrar(outbox, {"hq": ["prod"]}, crm())
    call = update({CallChange.RINGING}, line="trunk-9", ringing_extensions=("205", "600", "x" * 30))
    registrar.on_call(call, SYSTEM)
    registrar.on_call(call, SYSTEM)
    registrar.on_state(CallEvent(EventKind.STATE, "hq", "", T0, extension="205"), SYSTEM)
    registrar.on_state(CallEvent(EventKind.STATE, "hq", "", T0, extension="101"), SYSTEM)
    keys = sorted(dict(q.item.ref.columns).popitem()[1] for q in outbox.pending())
    assert keys == ["205", "trunk-9"]


def test_registration_waits_for_the_crm_row_and_obeys_the_switches(outbox: Outbox) -> None:
    call = update({CallChange.RINGING}, line="trunk-9", ringing_extensions=("205",))
    AutoRegistrar(outbox, {"hq": ["prod"]}, crm(Settings(None))).on_call(call, SYSTEM)
    off = replace(SYSTEM, auto_register_lines=False, auto_register_extensions=False)
    AutoRegistrar(outbox, {"hq": ["prod"]}, crm(Settings(off))).on_call(call, SYSTEM)
    assert outbox.depth() == 0


def test_stale_clock_free(outbox: Outbox) -> None:
    """The listeners read no clock: the same update queues the same body at any time."""
    logger = CallLogger(outbox, {"hq": ["prod"]}, crm())
    logger.on_call(ended(ended_at=T0 + timedelta(days=400)), SYSTEM)
    assert outbox.pending()[0].item.body["actualend"] == "2025-05-30T08:00:00Z"


class SharedNumber(Numbers):
    """Two contacts share the caller's number: the first write carries the other one in the description."""

    def lookup(self, number, *, owner_id=None) -> Match:
        other = RecordRef("contact", "eeeeeeee-0000-0000-0000-000000000005", "telephone1", AGENT, T0)
        return Match(RecordRef("contact", CONTACT, "mobilephone", OWNER, T0), (other,))


def test_description_written_once_and_not_again_for_a_call_logged_before_a_restart(outbox: Outbox) -> None:
    answered = update({CallChange.ANSWERED}, status=CallStatus.TALKING, answered_at=T0)
    first_life = CallLogger(outbox, {"hq": ["prod"]}, crm(numbers=SharedNumber()))
    first_life.on_call(answered, SYSTEM)
    first_life.on_call(ended(), SYSTEM)
    (written,) = outbox.pending("prod")
    assert "description" in written.item.body  # absorbed into one waiting row, description kept
    outbox.ack([written.id])  # Dataverse accepted it; then the bridge stopped with the call open

    restored = {("hq", "c1")}
    after_restart = CallLogger(
        outbox,
        {"hq": ["prod"]},
        crm(numbers=SharedNumber()),
        logged_before_restart=lambda system, call_id: (system, call_id) in restored,
    )
    fresh = CallLogger(outbox, {"hq": ["prod"]}, crm(numbers=SharedNumber()))
    after_restart.on_call(ended(), SYSTEM)
    fresh.on_call(replace(ended(), record=replace(ended().record, call_id="c2")), SYSTEM)
    bodies = {row.item.ref.columns["comms_pbxcallid"]: row.item.body for row in outbox.pending("prod")}
    assert "description" not in bodies["c1"]  # the agent's notes on it stay
    assert "description" in bodies["c2"]
