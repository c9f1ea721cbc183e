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

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from connectors.dataverse import NotFoundError, ValidationError
from dataverse_schema.names import Account, Contact, Lead, Sms, SystemUser
from domain.numbers import NumberPlan, normalise
from domain.sms.recipients import (
    Recipient,
    RecipientError,
    opt_out_spellings,
    opted_out_numbers,
    resolve_recipient,
)
from domain.sms.related import (
    MAX_HOPS,
    Known,
    Resolved,
    Root,
    TableShape,
    first_hops,
    lookup_target,
    resolve_paths,
    unreadable_related,
)
from domain.sms.segments import SegmentCount, count_segments
from domain.sms.template_parser import parse_template
from domain.sms.template_render import render
from domain.sms.templates import Calendar, RenderOptions, Template, TemplateError, TemplateRenderError
from services.sms.accounts import ProviderAccount, ProviderRegistry
from services.sms.rows import RecordLink, SmsRow, field_value
from services.sms.store import SmsStore
from services.sms.store import Template as TemplateRow
from services.sms.template_access import secured_fields, secured_refusal

#: Phone columns tried, in order, on each kind of recipient record.
RECIPIENT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    Contact.TABLE: (Contact.MOBILEPHONE,),
    Lead.TABLE: (Lead.MOBILEPHONE,),
    SystemUser.TABLE: (SystemUser.MOBILEPHONE,),
    Account.TABLE: (Account.TELEPHONE1, Account.TELEPHONE2, Account.TELEPHONE3),
}
#: Tried on any other table (a customised one): the usual names of the standard phone columns.
FALLBACK_COLUMNS = (Contact.MOBILEPHONE, Contact.TELEPHONE1)
TYPED_NUMBER = Sms.PHONENUMBER


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
        is_filled = sms.segments is not None and bool(sms.message)
        template, source, syntax = (None, None, None) if is_filled else self._parsed(sms)
        known = Known()
        record = (
            self._read(
                record_link, self._hops(template, sms, record_link, is_recipient=True), known.records, sender_of(sms)
            )
            if record_link
            else {}
        )
        recipient = self._resolve(sms, record_link, record)
        if is_filled:
            # Parts already counted: the text was filled before (an earlier attempt or a bulk send) and is sent
            # as written; filling it again would parse customer data as placeholders.
            return Composed(recipient.mobile, str(sms.message), count_segments(str(sms.message)), False)
        if template is None:
            raise (
                ComposeError(f"the text cannot be filled: {syntax} | {syntax.message_fa}")
                if syntax
                else ComposeError("the SMS has no text")
            )
        allows_secured = source is not None and source.allows_secured
        fields = self._fields(sms, template, record_link, record, known, allows_secured=allows_secured)
        is_jalali = source is None or source.is_jalali
        options = RenderOptions(calendar=Calendar.JALALI if is_jalali else Calendar.GREGORIAN, tz=self._tz)
        try:
            rendered = render(template, fields, options)
        except TemplateError as exc:
            raise _fill_error(exc) from None
        return Composed(recipient.mobile, rendered.text, rendered.segments, True)

    def route(self, sms: SmsRow) -> Route:
        """Pick the account and sending number (SMS-04, -13, -17); raises :class:`ComposeError`."""
        number = self._store.number(sms.number_id) if sms.number_id else None
        if number is None and sms.owner_id:
            own = self._store.sending_numbers(user_id=sms.owner_id)
            own = [
                n for n in own if not sms.provider_account_id or _same(n.provider_account_id, sms.provider_account_id)
            ]
            number = own[0] if own else None
        account_id = sms.provider_account_id or (number.provider_account_id if number else None)
        account = self._registry.by_id(account_id) if account_id else self._registry.default()
        if account is None:
            raise ComposeError(
                "no SMS provider account is chosen and none is flagged default (SMS Provider Accounts → Default)"
                if not account_id
                else "the chosen SMS provider account is not active"
            )
        if account.provider is None:
            raise ComposeError(
                f"SMS provider account {account.row.name or account.account_key} cannot be used: {account.problem}"
            )
        if number is None:
            defaults = [n for n in self._store.sending_numbers(account_id=account.account_id) if n.is_default]
            number = defaults[0] if defaults else None
        if number is None:
            return Route(account, account.default_sender, None)
        return Route(account, number.number, number.number_id)

    def _recipient_link(self, sms: SmsRow) -> RecordLink | None:
        parties = self._store.recipients(sms.sms_id)
        if len(parties) > 1:
            raise ComposeError(
                f"the SMS has {len(parties)} recipients; an SMS goes to one recipient (use a bulk send for several)"
            )
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
        spellings = [s for e164 in candidates for s in opt_out_spellings(e164, self._plan)]
        opted_out = opted_out_numbers(self._store.opted_out(spellings, candidates), self._plan)
        resolved = resolve_recipient(source, self._plan, opted_out, columns=columns)
        if isinstance(resolved, RecipientError):
            raise ComposeError(f"{resolved.reason} | {resolved.reason_fa}")
        return resolved

    def _parsed(self, sms: SmsRow) -> tuple[Template | None, TemplateRow, TemplateError | None]:
        """The template to fill; a syntax error is kept so recipient problems are reported first."""
        source = self._source_text(sms)
        try:
            return parse_template(source.body), source, None
        except TemplateError as exc:
            return None, source, exc

    def _source_text(self, sms: SmsRow) -> TemplateRow:
        """The template row, or the typed text as one (Jalali dates; never secured columns)."""
        if sms.template_id:
            return self._store.template(sms.template_id)
        if not sms.message or not sms.message.strip():
            raise ComposeError("the SMS has no text and no template | پیامک متن یا قالب ندارد")
        return TemplateRow(sms.message, True)

    def _read(
        self,
        link: RecordLink,
        lookups: Iterable[str],
        known: dict[tuple[str, str], Mapping[str, Any]],
        caller: str | None,
    ) -> dict[str, Any]:
        """One read of a record as the sender, expanding the lookups the template follows first (SMS-12)."""
        shape = self._store.table_shape(link.table) if lookups else None
        expand = {nav for lookup in lookups if shape for nav in shape.navigations(lookup)}
        try:
            record = self._store.record(link, expand, caller=caller)
        except ValidationError:
            if not expand:
                raise
            # a relationship with a navigation name of its own: read plainly, follow the lookups by id
            record = self._store.record(link, caller=caller)
        except NotFoundError:
            raise ComposeError(
                f"the {link.table} record cannot be read as the SMS's owner (it is gone or they may not read it)"
            ) from None
        for lookup in lookups:
            target = lookup_target(record, lookup, shape) if shape else None
            nested = record.get(shape.lookups.get(lookup, {}).get(target[0], "")) if shape and target else None
            if target and isinstance(nested, Mapping):
                known[target] = nested
        return record

    @staticmethod
    def _hops(template: Template | None, sms: SmsRow, link: RecordLink | None, *, is_recipient: bool) -> set[str]:
        """The lookups the template follows first from the recipient (or the regarding) record."""
        if template is None:
            return set()
        roots = _roots(sms, link, {}, {})
        start = roots.get("recipient" if is_recipient else "regarding")
        by_root = first_hops(template, roots, "recipient" if link else None)
        return {hop for name, hops in by_root.items() if roots[name] is start for hop in hops}

    def _fields(
        self,
        sms: SmsRow,
        template: Template,
        link: RecordLink | None,
        record: Mapping[str, Any],
        known: Known,
        *,
        allows_secured: bool,
    ) -> dict[str, object]:
        """Placeholder values from the recipient, the regarding record and records related to them, read as
        the SMS's owner; column-secured columns are refused unless the template allows them."""
        regarding: Mapping[str, Any] = {}
        if sms.regarding is not None and sms.regarding != link:
            try:
                regarding = self._read(
                    sms.regarding, self._hops(template, sms, link, is_recipient=False), known.records, sender_of(sms)
                )
            except ValidationError as exc:
                raise ComposeError(f"the regarding record cannot be read: {exc}") from None
        roots = _roots(sms, link, record, regarding)
        recipient = "recipient" if link else None
        resolved = self._resolve_paths(template, roots, known, recipient, sender_of(sms))
        if resolved.problems:
            raise _fill_error(TemplateRenderError(resolved.problems))
        if not allows_secured:
            refused = secured_fields(template, roots, known, recipient, self._store.secured_columns)
            if refused:
                raise ComposeError(secured_refusal(refused))
        return {path: field_value(value) for path, value in resolved.fields.items()}

    def _resolve_paths(
        self, template: Template, roots: Mapping[str, Root], known: Known, recipient: str | None, caller: str | None
    ) -> Resolved:
        """Read shapes and related records until every path is resolved; each record at most once."""
        for _ in range(2 * MAX_HOPS + 2):
            resolved = resolve_paths(template, roots, known, recipient)
            if not resolved.needs:
                return resolved
            for table in resolved.needs.shapes:
                known.shapes[table] = self._table_shape(table)
            for table, record_id in resolved.needs.records:
                known.records[(table, record_id)] = self._related(table, record_id, caller)
        raise ComposeError("the template's related fields could not be resolved")

    def _table_shape(self, table: str) -> TableShape:
        try:
            return self._store.table_shape(table)
        except NotFoundError:
            raise ComposeError(f"the table {table} does not exist in Dataverse") from None

    def _related(self, table: str, record_id: str, caller: str | None) -> Mapping[str, Any]:
        try:
            return self._store.record(RecordLink(table, record_id), caller=caller)
        except NotFoundError:
            raise ComposeError(unreadable_related(table, record_id)) from None


def _roots(
    sms: SmsRow, link: RecordLink | None, record: Mapping[str, Any], regarding: Mapping[str, Any]
) -> dict[str, Root]:
    """Root names a placeholder path may start with: the recipient's table, ``recipient``, ``regarding``."""
    roots: dict[str, Root] = {}
    if link is not None:
        roots[link.table] = roots["recipient"] = roots["regarding"] = Root(link.table, record)
    if sms.regarding is not None and sms.regarding != link:
        roots["regarding"] = Root(sms.regarding.table, regarding)
        roots.setdefault(sms.regarding.table, roots["regarding"])
    return roots


def sender_of(sms: SmsRow) -> str | None:
    """The user whose rights placeholders are read with: the SMS's owner when a user owns it.

    A team-owned SMS (only a user allowed to assign to that team can make one) is read with the
    app's rights; its secured columns are still refused unless the template allows them.
    """
    if sms.owner_id and sms.owner_table in (None, SystemUser.TABLE):
        return sms.owner_id
    return None


def _fill_error(exc: TemplateError) -> ComposeError:
    return ComposeError(f"the text cannot be filled: {exc} | {exc.message_fa}")


def _same(left: str | None, right: str | None) -> bool:
    return bool(left and right and left.lower() == right.lower())


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
