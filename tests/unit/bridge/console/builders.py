"""Shared test data for the console: one PBX, three users, a matched contact."""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.console.settings import ConsoleSettings, ConsoleUser
from connectors.settings import Secret
from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord, CallStatus, CallUpdate, changes_between
from domain.calls.system_settings import CallVisibility, ExtensionSettings, TelephonySystemSettings
from domain.number_index import Match, RecordRef

T0 = datetime(2025, 1, 5, 9, 0, tzinfo=UTC)
AGENT_A = "aaaaaaaa-0000-0000-0000-000000000001"
AGENT_B = "aaaaaaaa-0000-0000-0000-000000000002"
SUPERVISOR = "aaaaaaaa-0000-0000-0000-000000000003"
CONTACT = "c0ffee00-0000-4000-8000-000000000001"
ORG = "https://contoso.crm4.dynamics.com"
TOKENS = {
    AGENT_A: "token-agent-a-0123456789",
    AGENT_B: "token-agent-b-0123456789",
    SUPERVISOR: "token-supervisor-0123456789",
}


def system(visibility: CallVisibility = CallVisibility.EVERYONE, key: str = "pbx1") -> TelephonySystemSettings:
    return TelephonySystemSettings(
        key=key,
        name="Head office",
        visibility=visibility,
        hidden_extensions=frozenset({"600"}),
        extensions={
            "101": ExtensionSettings("101", user_id=AGENT_A, channel="PJSIP/101"),
            "102": ExtensionSettings("102", user_id=AGENT_B, channel="PJSIP/102"),
            "200": ExtensionSettings("200", user_id=SUPERVISOR, channel="PJSIP/200"),
            "103": ExtensionSettings("103", can_originate=False),
        },
    )


def record(
    status: CallStatus = CallStatus.RINGING,
    *,
    call_id: str = "c1",
    revision: int = 1,
    number: str = "09121234567",
    name: str | None = None,
    ringing: tuple[str, ...] = ("101",),
    extension: str | None = None,
    queue: str | None = None,
    system_key: str = "pbx1",
    answered: bool = False,
) -> CallRecord:
    ended = status is CallStatus.ENDED
    return CallRecord(
        system=system_key,
        call_id=call_id,
        revision=revision,
        status=status,
        started_at=T0,
        direction=Direction.INBOUND,
        outcome=(CallOutcome.ANSWERED if answered else CallOutcome.MISSED) if ended else None,
        external_number=number,
        external_name=name,
        extension=extension,
        ringing_extensions=ringing,
        queue=queue,
        answered_at=T0 if answered or status is CallStatus.TALKING else None,
        ended_at=T0 if ended else None,
        talk_seconds=42 if ended and answered else None,
    )


def update(current: CallRecord, previous: CallRecord | None = None) -> CallUpdate:
    return CallUpdate(current, previous, changes_between(previous, current))


def contact_match(owner: str | None = AGENT_B) -> Match:
    return Match(RecordRef("contact", CONTACT, "mobilephone", owner, T0))


def settings(**overrides) -> ConsoleSettings:
    users = tuple(
        ConsoleUser(user_id=uid, name=name, token=Secret(TOKENS[uid]))
        for uid, name in ((AGENT_A, "Sara Ahmadi"), (AGENT_B, "Reza Karimi"), (SUPERVISOR, "Mina Rahimi"))
    )
    values = {"port": 0, "org_url": ORG, "users": users, "supervisors": frozenset({SUPERVISOR})}
    values.update(overrides)
    return ConsoleSettings(**values)


class FakePort:
    """A CommandPort that records what it was asked, optionally failing with ``error``."""

    def __init__(self, error: Exception | None = None):
        self.dials: list[tuple[str, str, str]] = []
        self.spies: list[tuple[str, str, str, bool]] = []
        self.answers: list[tuple[str, str, str]] = []
        self.error = error

    async def dial(self, system_key: str, extension: str, number: str) -> None:
        if self.error:
            raise self.error
        self.dials.append((system_key, extension, number))

    async def spy(self, system_key: str, supervisor_extension: str, target_channel: str, whisper: bool) -> None:
        if self.error:
            raise self.error
        self.spies.append((system_key, supervisor_extension, target_channel, whisper))

    async def answer(self, system_key: str, extension: str, channel: str) -> None:
        if self.error:
            raise self.error
        self.answers.append((system_key, extension, channel))


class DialOnlyPort:
    """A CommandPort from before answer by click: dial and spy only."""

    async def dial(self, system_key: str, extension: str, number: str) -> None: ...

    async def spy(self, system_key: str, supervisor_extension: str, target_channel: str, whisper: bool) -> None: ...
