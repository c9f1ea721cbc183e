"""Planning a bulk SMS send: members → per-recipient texts → provider-sized batches (SMS-08, -09, -10, -15).

A bulk send walks the members of a marketing list (or a campaign's lists) in
one fixed order, :func:`member_order`, so every run of the same bulk sees the
same sequence and a resumed run can start after the last member it finished
(the bulk record's cursor, :func:`cursor_of`). Each member gets a
deterministic message id, :func:`message_id` (bulk id + table + record id):
it is the SMS row's primary key and the id handed to the provider, so a
resend after a crash is recognised and never texts twice (SMS-10).

:func:`plan_step` turns the next members into messages (the template filled
with each member's placeholder values, :class:`Filled`, which
:mod:`domain.sms.bulk_related` plans from the member and the records related
to it; the «لغو11» notice appended to marketing texts), skips (no mobile,
opted out, a number already texted in this bulk) and failures (a template
field missing, a related record gone), and :func:`batches` cuts the
messages to the provider's ``max_batch``. :func:`sending_starts_at` applies
quiet hours: marketing waits for the window (deferred, never dropped),
transactional bulks do not.
Pure: no I/O, no clock; ``now`` is passed in.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from domain.numbers import NumberPlan
from domain.sms.policy import MessageKind, SendingWindow, append_opt_out_notice, next_allowed_send
from domain.sms.recipients import DEFAULT_COLUMNS, RecipientError, RecipientProblem, resolve_recipient
from domain.sms.segments import count_segments
from domain.sms.template_render import render
from domain.sms.templates import RenderOptions, Template, TemplateError

#: Namespace of bulk message ids; changing it would resend every interrupted bulk.
BULK_NAMESPACE = uuid.UUID("5b0f7c1e-2f4a-5d8e-9c3b-7a6e1d2c4b90")
CURSOR_SEPARATOR = ":"
DEFAULT_WINDOW = SendingWindow()


@dataclass(frozen=True)
class Member:
    """One member of the bulk's audience: its table, record id and the columns fetched for it."""

    table: str
    record_id: str
    fields: Mapping[str, object]

    @property
    def key(self) -> tuple[str, str]:
        return (self.table, self.record_id.lower())


@dataclass(frozen=True)
class Filled:
    """One member's placeholder values by path (SMS-12), or, in ``error``, why its text cannot be filled."""

    fields: Mapping[str, object] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True)
class BulkMessage:
    """A text to send: ``our_id`` is both the SMS row's id and the id given to the provider."""

    our_id: str
    member: Member
    to: str
    text: str
    segments: int


class SkipReason(enum.Enum):
    NO_MOBILE = "no_mobile"
    OPTED_OUT = "opted_out"
    DUPLICATE_NUMBER = "duplicate_number"
    ALREADY_HANDLED = "already_handled"


@dataclass(frozen=True)
class Skipped:
    """A member not texted, with the plain reason (counted as skipped, not as failed)."""

    member: Member
    reason: SkipReason
    detail: str


@dataclass(frozen=True)
class Failed:
    """A member whose text could not be made (a template field missing); written on its SMS row."""

    our_id: str
    member: Member
    to: str
    error: str


@dataclass(frozen=True)
class StepPlan:
    """What to do with one slice of members; ``cursor`` is where the slice ends."""

    messages: tuple[BulkMessage, ...]
    skipped: tuple[Skipped, ...]
    failed: tuple[Failed, ...]
    cursor: str | None


@dataclass(frozen=True)
class BulkContent:
    """What every member is sent: a parsed template, or fixed text when ``template`` is ``None``.

    ``kind`` decides quiet hours and the opt-out notice (SMS-08, SMS-15).
    """

    template: Template | None
    text: str | None = None
    kind: MessageKind = MessageKind.MARKETING
    options: RenderOptions = RenderOptions()
    notice: str | None = None

    def __post_init__(self) -> None:
        if self.template is None and not (self.text or "").strip():
            raise ValueError("a bulk send needs a template or a text")


@dataclass(frozen=True)
class Audience:
    """How members become recipients: the numbering plan, the phone columns tried, the opt-out list."""

    plan: NumberPlan
    opted_out: Collection[str] = frozenset()
    columns: Sequence[str] = DEFAULT_COLUMNS


def message_id(bulk_id: str, table: str, record_id: str) -> str:
    """The deterministic id of the message a bulk sends to one record (SMS-10)."""
    if not bulk_id or not table or not record_id:
        raise ValueError("a bulk message id needs the bulk id, the table and the record id")
    return str(uuid.uuid5(BULK_NAMESPACE, f"{bulk_id.lower()}/{table}/{record_id.lower()}"))


def member_order(members: Iterable[Member]) -> list[Member]:
    """Members in the one order every run uses, each record once (a record in two lists is texted once)."""
    unique = {m.key: m for m in members}
    return [unique[k] for k in sorted(unique)]


def cursor_of(member: Member) -> str:
    """The resume point after ``member``: ``table:record id``."""
    return f"{member.table}{CURSOR_SEPARATOR}{member.record_id.lower()}"


def members_after(ordered: Sequence[Member], cursor: str | None) -> list[Member]:
    """The members of ``ordered`` (from :func:`member_order`) still to handle after ``cursor``.

    A malformed cursor raises ``ValueError``: restarting from the beginning
    would be safe (ids are deterministic) but hides a damaged record.
    """
    if not cursor:
        return list(ordered)
    table, sep, record_id = cursor.partition(CURSOR_SEPARATOR)
    if not sep or not table or not record_id:
        raise ValueError(f"the bulk's resume point {cursor[:60]!r} is not 'table:record id'")
    mark = (table, record_id.lower())
    return [m for m in ordered if m.key > mark]


def plan_step(
    members: Sequence[Member],
    bulk_id: str,
    content: BulkContent,
    audience: Audience,
    *,
    handled_ids: Collection[str] = frozenset(),
    numbers_used: Collection[str] = frozenset(),
    filled: Mapping[tuple[str, str], Filled] | None = None,
) -> StepPlan:
    """Turn ``members`` (a slice in :func:`member_order`) into messages, skips and failures.

    ``handled_ids`` are message ids whose SMS rows already reached an outcome
    (sent or failed) in an earlier run; ``numbers_used`` are mobiles this bulk
    already texted, so two records sharing a mobile get one text. ``filled``
    holds each member's placeholder values by :attr:`Member.key`; a templated
    bulk needs an entry for every member (``ValueError`` otherwise).
    """
    messages: list[BulkMessage] = []
    skipped: list[Skipped] = []
    failed: list[Failed] = []
    used = set(numbers_used)
    for member in members:
        our_id = message_id(bulk_id, member.table, member.record_id)
        if our_id in handled_ids:
            skipped.append(Skipped(member, SkipReason.ALREADY_HANDLED, "sent in an earlier run"))
            continue
        recipient = resolve_recipient(member.fields, audience.plan, audience.opted_out, columns=audience.columns)
        if isinstance(recipient, RecipientError):
            reason = SkipReason.OPTED_OUT if recipient.problem is RecipientProblem.OPTED_OUT else SkipReason.NO_MOBILE
            skipped.append(Skipped(member, reason, recipient.reason))
            continue
        if recipient.mobile in used:
            skipped.append(
                Skipped(
                    member,
                    SkipReason.DUPLICATE_NUMBER,
                    f"another member with {recipient.mobile} is texted by this bulk",
                )
            )
            continue
        used.add(recipient.mobile)
        fill = (filled or {}).get(member.key)
        if fill is None and content.template is not None:
            raise ValueError(f"no placeholder values were given for the {member.table} {member.record_id}")
        if fill is not None and fill.error is not None:
            failed.append(Failed(our_id, member, recipient.mobile, fill.error))
            continue
        try:
            text = compose_text(content, fill.fields if fill is not None else {})
        except TemplateError as exc:
            failed.append(Failed(our_id, member, recipient.mobile, str(exc)))
            continue
        messages.append(BulkMessage(our_id, member, recipient.mobile, text, count_segments(text).parts))
    cursor = cursor_of(members[-1]) if members else None
    return StepPlan(tuple(messages), tuple(skipped), tuple(failed), cursor)


def compose_text(content: BulkContent, fields: Mapping[str, object]) -> str:
    """The text a member receives, its template filled with ``fields`` (values by placeholder path);
    raises ``TemplateError`` listing missing fields (never retry unchanged)."""
    template = content.template
    text = (content.text or "") if template is None else render(template, fields, content.options).text
    if content.kind is MessageKind.MARKETING:
        text = append_opt_out_notice(text, content.notice) if content.notice else append_opt_out_notice(text)
    return text


def batches(messages: Sequence[BulkMessage], max_batch: int) -> list[tuple[BulkMessage, ...]]:
    """``messages`` cut into provider calls of at most ``max_batch`` (Kavenegar 200, SMS.ir 100, Twilio 1)."""
    if max_batch < 1:
        raise ValueError("a provider batch holds at least one message")
    return [tuple(messages[i : i + max_batch]) for i in range(0, len(messages), max_batch)]


def sending_starts_at(
    now: datetime, kind: MessageKind, window: SendingWindow = DEFAULT_WINDOW, send_after: datetime | None = None
) -> datetime:
    """When the bulk may send: after ``send_after`` and, for marketing, inside the window (SMS-08).

    Returns ``now`` when it may send at once; a later time means wait (deferred, not dropped).
    """
    start = max(now, send_after) if send_after is not None else now
    return next_allowed_send(start, kind, window)


@dataclass(frozen=True)
class BulkCounters:
    """The bulk record's progress counters (total, sent, failed, skipped)."""

    total: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0

    def plus(self, *, sent: int = 0, failed: int = 0, skipped: int = 0) -> BulkCounters:
        return BulkCounters(self.total, self.sent + sent, self.failed + failed, self.skipped + skipped)

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.skipped
