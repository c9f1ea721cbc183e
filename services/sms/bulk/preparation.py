"""Preparing a bulk run: the account, the content, the members left and what earlier runs did (SMS-08, -09, -10).

A run starts by settling the rows an earlier run left *Sending*
(:mod:`services.sms.bulk.reconcile`), then counts what is finished, keeps the
numbers already texted and the attempts made per row, and lists the members
after the bulk's cursor. A bulk whose account, audience or template cannot be
used is paused with the reason, as is one whose template reads a column-secured
column of its members or of the records related to them without *Allow Secured
Columns* (:mod:`services.sms.bulk.rights`, :mod:`services.sms.bulk.related`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from domain.numbers import NumberPlan
from domain.sms.bulk import Audience, BulkContent, BulkCounters, Member, members_after
from domain.sms.bulk_related import TemplatePaths
from domain.sms.policy import MessageKind
from domain.sms.recipients import opted_out_numbers
from domain.sms.templates import RenderOptions, TemplateError
from services.sms.bulk.reconcile import reconcile
from services.sms.bulk.related import secured_paths, template_paths
from services.sms.bulk.run_state import BulkRun, StopRun
from services.sms.bulk.store import BulkRecord, BulkStore
from services.sms.bulk.targets import TargetError, audience_keys, phone_columns
from services.sms.directory import AccountDirectory
from services.sms.template_access import secured_refusal


def message_kind(bulk: BulkRecord, default: MessageKind) -> MessageKind:
    """Transactional when the bulk says so, else the configured kind (quiet hours apply to marketing)."""
    return MessageKind.TRANSACTIONAL if bulk.is_transactional else default


def prepare_run(
    bulk: BulkRecord,
    *,
    store: BulkStore,
    accounts: AccountDirectory,
    plan: NumberPlan,
    kind: MessageKind,
    render: RenderOptions,
    clock: Callable[[], datetime],
) -> BulkRun:
    """The run's state; raises :class:`StopRun` (bulk paused) when the bulk cannot be sent as it stands."""
    account = accounts.by_record_id(bulk.account_id)
    if account is None:
        raise StopRun("the bulk's provider account is not configured or cannot be used", "Paused")
    content, allows_secured = bulk_content(store, bulk, message_kind(bulk, kind), render)
    try:
        keys = audience_keys(store.client, bulk)
    except TargetError as exc:
        raise StopRun(str(exc), "Paused") from exc
    paths = TemplatePaths()
    if content.template is not None:
        paths = template_paths(store, content.template, {table for table, _ in keys})
        refused = [] if allows_secured else secured_paths(store, paths)
        if refused:
            raise StopRun(secured_refusal(refused), "Paused")
    existing = store.existing_rows(bulk.bulk_id)
    reconciled = reconcile(store, account, existing.in_flight, existing.attempts, clock())
    finished = set(existing.finished) | set(reconciled.finished)
    attempts = {i: n for i, n in {**existing.attempts, **reconciled.resend}.items() if i not in finished}
    counters = BulkCounters(
        len(keys), existing.sent + reconciled.sent, existing.failed + reconciled.failed, bulk.skipped
    )
    return BulkRun(
        bulk,
        account,
        content,
        Audience(plan, opted_out_numbers(store.opted_out(), plan), bulk.phone_columns),
        store.sender_number(bulk.number_id),
        counters,
        finished,
        set(existing.numbers),
        members_after([Member(t, i, {}) for t, i in keys], bulk.cursor),
        attempts,
        paths=paths,
    )


def bulk_content(
    store: BulkStore, bulk: BulkRecord, kind: MessageKind, render: RenderOptions
) -> tuple[BulkContent, bool]:
    """The bulk's template (in its calendar) or fixed text, and whether the template may read column-secured
    columns; raises :class:`StopRun` when it cannot be used."""
    try:
        if bulk.template_id:
            row = store.template(bulk.template_id)
            options = replace(render, calendar=row.calendar)
            return BulkContent(row.template, kind=kind, options=options), row.allows_secured
        return BulkContent(None, bulk.message, kind=kind), False
    except TemplateError as exc:
        raise StopRun(f"the bulk's template cannot be used: {exc}", "Paused") from exc
    except ValueError as exc:
        raise StopRun(str(exc), "Paused") from exc


def columns_to_read(run: BulkRun, table: str) -> frozenset[str]:
    """The columns a step reads on a ``table`` member: the phone columns and every column its template's paths
    read or follow there."""
    return phone_columns(table, run.bulk.phone_columns) | run.paths.select(table)
