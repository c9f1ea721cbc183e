"""What an SMS activity will send: to which mobile, which text, from which number and account.

Serves SMS-01 and -03 (the recipient is the *To* party or the regarding
record of any table; placeholders are filled from it), SMS-11/-12
(templates, related-record fields), SMS-15 (no mobile or opted out: a plain
error, never sent), SMS-04/-17 (the owner's dedicated number, else the
account's default number) and SMS-13 (the account named on the SMS, else the
number's, else the default). Every user mistake becomes a :class:`ComposeError`
whose words go onto the record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from connectors.dataverse import ValidationError
from domain.numbers import NumberPlan, normalise
from domain.sms.recipients import Recipient, RecipientError, resolve_recipient
from domain.sms.segments import SegmentCount, count_segments
from domain.sms.templates import (
    Calendar,
    RenderOptions,
    TemplateError,
    flatten_fields,
    parse_template,
    render,
)
from functions.sms.accounts import ProviderAccount, ProviderRegistry
from functions.sms.rows import RecordLink, SmsRow, field_value
from functions.sms.store import SmsStore

#: Phone columns tried, in order, on each kind of recipient record.
RECIPIENT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "contact": ("mobilephone",), "lead": ("mobilephone",), "systemuser": ("mobilephone",),
    "account": ("telephone1", "telephone2", "telephone3"),
}
FALLBACK_COLUMNS = ("mobilephone", "telephone1")
TYPED_NUMBER = "comms_phonenumber"


class ComposeError(Exception):
    """The SMS cannot be sent as it stands; ``str()`` is the reason for the record. Never retry unchanged."""


@dataclass(frozen=True)
class Route:
    """The provider account and our number an SMS goes out through."""

    account: ProviderAccount
    sender: str | None
    number_id: str | None


@dataclass(frozen=True)
class Composed:
    """The message ready to send: E.164 recipient, final text and its parts."""

    to: str
    text: str
    segments: SegmentCount
    is_rendered_now: bool


class Composer:
    """Builds a :class:`Composed` message and a :class:`Route` for an SMS row."""

    def __init__(self, store: SmsStore, registry: ProviderRegistry, *, plan: NumberPlan, tz: tzinfo) -> None:
        self._store = store
        self._registry = registry
        self._plan = plan
        self._tz = tz

    def compose(self, sms: SmsRow) -> Composed:
        """Resolve the recipient and fill the text; raises :class:`ComposeError`."""
        record_link = self._recipient_link(sms)
        record = self._store.record(record_link) if record_link else {}
        recipient = self._resolve(sms, record_link, record)
        if sms.segments is not None and sms.message:
            # Parts already counted: the text was filled before (an earlier attempt or a bulk send) and is sent
            # as written; filling it again would parse customer data as placeholders.
            return Composed(recipient.mobile, sms.message, count_segments(sms.message), False)
        text, is_jalali = self._source_text(sms)
        fields = self._fields(sms, record_link, record)
        options = RenderOptions(calendar=Calendar.JALALI if is_jalali else Calendar.GREGORIAN, tz=self._tz)
        try:
            rendered = render(parse_template(text), fields, options)
        except TemplateError as exc:
            raise ComposeError(f"the text cannot be filled: {exc} | {exc.message_fa}") from None
        return Composed(recipient.mobile, rendered.text, rendered.segments, True)

    def route(self, sms: SmsRow) -> Route:
        """Pick the account and sending number (SMS-04, -13, -17); raises :class:`ComposeError`."""
        number = self._store.number(sms.number_id) if sms.number_id else None
        if number is None and sms.owner_id:
            own = self._store.sending_numbers(user_id=sms.owner_id)
            own = [n for n in own if not sms.provider_account_id or _same(n.provider_account_id, sms.provider_account_id)]
            number = own[0] if own else None
        account_id = sms.provider_account_id or (number.provider_account_id if number else None)
        account = self._registry.by_id(account_id) if account_id else self._registry.default()
        if account is None:
            raise ComposeError("no SMS provider account is chosen and none is flagged default (SMS Provider "
                               "Accounts → Default)" if not account_id else "the chosen SMS provider account is "
                               "not active")
        if account.provider is None:
            raise ComposeError(f"SMS provider account {account.row.name or account.account_key} cannot be used: "
                               f"{account.problem}")
        if number is None:
            defaults = [n for n in self._store.sending_numbers(account_id=account.account_id) if n.is_default]
            number = defaults[0] if defaults else None
        if number is None:
            return Route(account, account.default_sender, None)
        return Route(account, number.number, number.number_id)

    def _recipient_link(self, sms: SmsRow) -> RecordLink | None:
        parties = self._store.recipients(sms.sms_id)
        if len(parties) > 1:
            raise ComposeError(f"the SMS has {len(parties)} recipients; an SMS goes to one recipient (use a bulk "
                               "send for several)")
        if parties:
            return parties[0]
        return sms.regarding

    def _resolve(self, sms: SmsRow, link: RecordLink | None, record: Mapping[str, Any]) -> Recipient:
        if sms.phone and sms.phone.strip():
            source: Mapping[str, object] = {TYPED_NUMBER: sms.phone}
            columns: tuple[str, ...] = (TYPED_NUMBER,)
        elif link is not None:
            source, columns = record, RECIPIENT_COLUMNS.get(link.table, FALLBACK_COLUMNS)
        else:
            raise ComposeError("the SMS has no phone number, no recipient and no regarding record")
        candidates = [n.e164 for c in columns if (n := normalise(_text(source.get(c)), self._plan)) is not None]
        resolved = resolve_recipient(source, self._plan, self._store.opted_out(candidates), columns=columns)
        if isinstance(resolved, RecipientError):
            raise ComposeError(f"{resolved.reason} | {resolved.reason_fa}")
        return resolved

    def _source_text(self, sms: SmsRow) -> tuple[str, bool]:
        if sms.template_id:
            template = self._store.template(sms.template_id)
            return template.body, template.is_jalali
        if not sms.message or not sms.message.strip():
            raise ComposeError("the SMS has no text and no template | پیامک متن یا قالب ندارد")
        return sms.message, True

    def _fields(self, sms: SmsRow, link: RecordLink | None, record: Mapping[str, Any]) -> dict[str, object]:
        records: dict[str, Any] = {key: field_value(value) for key, value in record.items()}
        if link is not None:
            records[link.table] = dict(records)
            records["recipient"] = dict(records)
        if sms.regarding is not None and sms.regarding != link:
            try:
                regarding = self._store.record(sms.regarding)
            except ValidationError as exc:
                raise ComposeError(f"the regarding record cannot be read: {exc}") from None
            records["regarding"] = {key: field_value(value) for key, value in regarding.items()}
            records.setdefault(sms.regarding.table, records["regarding"])
        elif link is not None:
            records["regarding"] = records[link.table]
        return flatten_fields(records)


def _same(left: str | None, right: str | None) -> bool:
    return bool(left and right and left.lower() == right.lower())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
