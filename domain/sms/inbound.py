"""An inbound SMS, interpreted: who sent it, whose line it reached, what the keyword rules say (SMS-02, -04, -16, -21).

:func:`interpret` takes one :class:`~domain.sms.messages.InboundSms` as a
provider returned it and decides, without any I/O:

- the sender's number in E.164 (:func:`domain.numbers.normalise` with the
  CRM's numbering plan) and the CRM record that carries it, found in the
  local :class:`~domain.number_index.NumberIndex` (no query per message);
- the owner: the user the receiving line is dedicated to (SMS-04), whose
  records also win a tie between several matching records;
- the keyword outcome (:func:`domain.sms.keywords.dry_run`) on the text with
  Arabic letters, digits and invisible marks unified for matching;
- the activity's idempotency key: (account key, provider message id).

:class:`HighWaterMark` is the polling cursor of one provider account
(SMS-21): the newest receive time stored, so only messages at or before
the mark need their key checked before a write.
Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from domain.number_index import Match, NumberIndex
from domain.numbers import NumberPlan, normalise
from domain.sms.keywords import DryRun, KeywordRule, dry_run
from domain.sms.messages import InboundSms
from domain.sms.text import unify_letters

MAX_STORED_CHARS = 4_000
MAX_PROVIDER_ID_CHARS = 100


@dataclass(frozen=True)
class LineOwner:
    """One of our numbers (E.164): its SMS Number record and the user it is dedicated to, if any."""

    number: str
    number_record_id: str | None = None
    user_id: str | None = None


@dataclass(frozen=True)
class InboundDecision:
    """Everything the service needs to store and act on one inbound message."""

    account_key: str
    provider_id: str
    sender: str
    line: str
    text: str
    match: Match
    owner_id: str | None
    line_record_id: str | None
    rules: DryRun
    received_at: datetime | None

    @property
    def key(self) -> tuple[str, str]:
        """The activity's alternate key: (account key, provider message id)."""
        return (self.account_key, self.provider_id)


class InboundError(ValueError):
    """An inbound message that cannot be stored as given (no id, no sender); kept for inspection."""


def interpret(
    sms: InboundSms,
    *,
    account_key: str,
    plan: NumberPlan,
    index: NumberIndex | None,
    lines: Mapping[str, LineOwner],
    rules: Iterable[KeywordRule],
) -> InboundDecision:
    """Decide sender, record, owner and keyword outcome for ``sms`` received on ``account_key``.

    ``lines`` maps our numbers (E.164) to their owners. Raises
    :class:`InboundError` for a message without a provider id or sender.
    """
    provider_id = sms.provider_id.strip()
    if not provider_id or len(provider_id) > MAX_PROVIDER_ID_CHARS:
        raise InboundError("the inbound message has no usable provider message id")
    if not account_key:
        raise InboundError("the inbound message names no provider account")
    sender = _e164(sms.sender, plan)
    if sender is None:
        raise InboundError("the inbound message has no sender number")
    line = _e164(sms.line, plan) or sms.line.strip()
    owner = lines.get(line) or LineOwner(line)
    match = index.lookup(sender, owner_id=owner.user_id) if index is not None else Match(None)
    text = sms.text[:MAX_STORED_CHARS]
    outcome = dry_run(rules, unify_letters(text), line=line)
    return InboundDecision(
        account_key=account_key,
        provider_id=provider_id,
        sender=sender,
        line=line,
        text=text,
        match=match,
        owner_id=owner.user_id,
        line_record_id=owner.number_record_id,
        rules=outcome,
        received_at=sms.received_at,
    )


def _e164(raw: str, plan: NumberPlan) -> str | None:
    if not raw or not raw.strip():
        return None
    number = normalise(raw, plan)
    return number.e164 if number is not None else None


@dataclass(frozen=True)
class HighWaterMark:
    """The newest receive time stored for one provider account (SMS-21)."""

    received_at: datetime | None = None

    def is_certainly_new(self, sms: InboundSms) -> bool:
        """True for a message received after the mark: it cannot have been stored yet.

        Anything else (at or before the mark, or without a receive time) may
        have been stored by an earlier poll or a webhook, so the caller checks
        its key before writing; a late message older than the mark is never
        dropped on the mark's word alone.
        """
        if self.received_at is None:
            return True
        return sms.received_at is not None and sms.received_at > self.received_at

    def advance(self, stored: Iterable[InboundSms]) -> HighWaterMark:
        """The mark after ``stored`` messages were written."""
        times = [s.received_at for s in stored if s.received_at is not None]
        if self.received_at is not None:
            times.append(self.received_at)
        return HighWaterMark(max(times) if times else None)
