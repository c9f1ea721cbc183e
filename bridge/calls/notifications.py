"""Lasting notices in the CRM: a missed call, a caller waiting in a queue (CALL-03, CALL-05, CALL-34).

A :class:`~bridge.calls.listeners.CallListener`. Pop-ups disappear when the browser
is closed; an in-app notification (``appnotification``,
MicrosoftDocs/powerapps-docs:powerapps-docs/developer/model-driven-apps/clientapi/send-in-app-notifications.md) stays
in the user's notification centre. For a missed inbound call the
extension's user gets one, titled with the caller's name or number, with
actions that open the matched record and the phone call; when the system says
so, the users whose extensions a queue rings get one for a waiting caller.
Only users allowed to see the call (:mod:`domain.calls.visibility`) are told.

Each notice has a deterministic id (call, user, kind) and is upserted through
the outbox, so a replayed call never notifies twice. Where ``appnotification``
does not exist (on-premises), the notice is a task, a post or an e-mail instead
(:mod:`bridge.calls.notice_kinds`).
"""

from __future__ import annotations

import functools
import json
import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from bridge.calls.logger import CrmEnvironment, phone_call_id
from bridge.calls.notice_kinds import NoticeKind, fallback_item, post_id
from bridge.calls.notice_mail import NoticeMailer
from bridge.outbox.store import Outbox, OutboxItem, log_if_not_stored
from connectors.dataverse import RecordId, bind, deterministic_id
from dataverse_schema import navigation
from dataverse_schema.names import Appnotification, PhoneCall, SystemUser
from domain.calls.activity import external_number, skip_reason
from domain.calls.events import CallEvent, Direction
from domain.calls.record import CallChange, CallOutcome, CallRecord, CallUpdate
from domain.calls.system_settings import CallVisibility, TelephonySystemSettings
from domain.calls.visibility import audience_of, recipients
from domain.inline_text import inline
from domain.number_index import Match

log = logging.getLogger(__name__)

APPNOTIFICATIONS = Appnotification.SET
ICON_INFO, ICON_WARNING = 100_000_000, 100_000_003
TOAST_TIMED = 200_000_000
MISSED_TTL_S = 7 * 24 * 3600
WAITING_TTL_S = 15 * 60
DATA_MAX = 5000
_MARKDOWN = re.compile(r"([\\`*_\[\]()#>!|])")
#: The most of a caller's name, and of a number, put in a notice: its title still fits in 200 characters.
NAME_MAX, NUMBER_MAX = 120, 40
_TEXTS = {
    "en": {
        "unknown": "unknown number",
        "open": "Open {who}",
        "open_call": "Open call",
        "on_extension": " on extension {extension}",
        "missed_title": "Missed call from {who}",
        "missed_body": "{who} ({number}) called{where} and was not answered.",
        "title_queue": "a queue",
        "body_queue": "?",
        "waiting_title": "Caller waiting in {queue}: {who}",
        "waiting_body": "{who} ({number}) is waiting in queue {queue}.",
    },
    "fa": {
        "unknown": "شماره ناشناس",
        "open": "باز کردن {who}",
        "open_call": "باز کردن تماس",
        "on_extension": " با داخلی {extension}",
        "missed_title": "تماس بی‌پاسخ از {who}",
        "missed_body": "تماس {who} ({number}){where} بی‌پاسخ ماند.",
        "title_queue": "نامشخص",
        "body_queue": "نامشخص",
        "waiting_title": "منتظر در صف {queue}: {who}",
        "waiting_body": "{who} ({number}) در صف {queue} منتظر است.",
    },
}


@dataclass(frozen=True)
class Notice:
    """One notification for one user, before it becomes a request body."""

    kind: str
    user_id: str
    title: str
    body: str
    icon: int
    ttl_s: int
    actions: tuple[tuple[str, str], ...]  # (title, relative app URL)
    #: The body as plain text, for a task, a post or an e-mail.
    text: str = ""
    #: The caller's matched record (table, id): what a task or e-mail is regarding, where a post goes.
    regarding: tuple[str, str] | None = None


class CallNotifier:
    """Queues ``appnotification`` upserts for missed calls and, where enabled, waiting callers."""

    def __init__(
        self,
        outbox: Outbox,
        environments: Mapping[str, Sequence[str]],
        crms: Mapping[str, CrmEnvironment],
        kind_of: Callable[[str], NoticeKind] = lambda environment: NoticeKind.APPNOTIFICATION,
        mailer: NoticeMailer | None = None,
    ) -> None:
        self.outbox = outbox
        self.kind_of = kind_of
        #: Sends e-mail notices once written (``[notices] email = "send"``); None leaves them drafts.
        self.mailer = mailer
        self.environments = {key: tuple(envs) for key, envs in environments.items()}
        self.crms = dict(crms)
        self.queued = 0

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        record = update.record
        missed = CallChange.ENDED in update.changes and _is_missed(record)
        waiting = CallChange.QUEUED in update.changes
        if not (missed or waiting) or record.direction is not Direction.INBOUND:
            return
        for environment in self.environments.get(record.system, ()):
            crm = self.crms.get(environment)
            if crm is None:
                continue
            options = crm.options(record.system)
            if (missed and options.notify_missed_calls) or (waiting and options.notify_waiting_calls):
                self.notify(crm, record, crm.system(system), missed=missed)

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """Device states carry no notice."""

    def notify(
        self, crm: CrmEnvironment, record: CallRecord, settings: TelephonySystemSettings, *, missed: bool
    ) -> int:
        """Queue the notices of ``record`` for ``crm``; returns how many."""
        if skip_reason(record, settings) is not None:
            return 0
        match = crm.match(record, settings)
        if match is not None and match.best is None and not crm.options(record.system).unknown_caller_events:
            return 0  # CALL-43: this system raises no notices for callers who match no record
        owner = match.best.owner_id if match and match.best else None
        audience = audience_of(record, settings, owner)
        if missed:
            candidates = [settings.user_of(record.extension)]
            if settings.visibility is CallVisibility.RECORD_OWNER:
                candidates.append(owner)
        else:
            candidates = [settings.user_of(ext) for ext in record.ringing_extensions]
        users = recipients(audience, settings.visibility, [u for u in candidates if u])
        kind = self.kind_of(crm.name) if users else NoticeKind.APPNOTIFICATION
        for user in users:
            notice = build_notice(record, user, match, crm, settings, missed=missed)
            if kind is NoticeKind.APPNOTIFICATION:
                item = OutboxItem(crm.name, APPNOTIFICATIONS, RecordId(notice_id(record, notice)), notice_body(notice))
            else:
                identity = (
                    post_id(notice.kind, record.system, record.call_id)
                    if kind is NoticeKind.POST and notice.regarding
                    else notice_id(record, notice)
                )
                item = OutboxItem(crm.name, *fallback_item(kind, notice, identity))
            written = self.outbox.submit(item)
            written.add_done_callback(functools.partial(log_if_not_stored, "a call notice", crm.name))
            if kind is NoticeKind.EMAIL and self.mailer is not None:
                self.mailer.queue(crm.name, str(item.ref.value))
            self.queued += 1
        return len(users)


def build_notice(
    record: CallRecord,
    user_id: str,
    match: Match | None,
    crm: CrmEnvironment,
    settings: TelephonySystemSettings,
    *,
    missed: bool,
) -> Notice:
    """The notice for ``user_id``: who called, on which extension, with links to the record and the call.

    Written in the system's language (its *Subject Language*, as the call's subject is: X-05).
    """
    persian = settings.language == "fa"
    words = _TEXTS["fa" if persian else "en"]
    number = external_number(record, settings)
    shown_number = inline(number.e164 if number else record.external_number, NUMBER_MAX) or words["unknown"]
    best = match.best if match else None
    name = crm.numbers.name_of(best) if best and crm.numbers else None
    who = next(filter(None, (inline(given, NAME_MAX) for given in (name, record.external_name))), shown_number)
    if persian:
        who, shown_number = inline(who, NAME_MAX, rtl=True), inline(shown_number, NUMBER_MAX, rtl=True)
    actions: list[tuple[str, str]] = []
    regarding = (best.table, best.record_id) if best is not None else None
    if best is not None:
        actions.append((words["open"].format(who=who)[:100], _record_url(best.table, best.record_id)))
    actions.append((words["open_call"], _record_url(PhoneCall.TABLE, phone_call_id(record))))
    if missed:
        where = words["on_extension"].format(extension=record.extension) if record.extension else ""
        title, kind, icon, ttl_s = words["missed_title"].format(who=who), "missed", ICON_WARNING, MISSED_TTL_S
        body = words["missed_body"].format(who=f"**{_escape(who)}**", number=_escape(shown_number), where=where)
        text = words["missed_body"].format(who=who, number=shown_number, where=where)
    else:
        named_queue = inline(record.queue, NUMBER_MAX)
        queue = named_queue or words["body_queue"]
        title = words["waiting_title"].format(who=who, queue=named_queue or words["title_queue"])
        kind, icon, ttl_s = "waiting", ICON_INFO, WAITING_TTL_S
        body = words["waiting_body"].format(
            who=f"**{_escape(who)}**", number=_escape(shown_number), queue=_escape(queue)
        )
        text = words["waiting_body"].format(who=who, number=shown_number, queue=queue)
    return Notice(kind, user_id, title[:200], body, icon, ttl_s, tuple(actions), text, regarding)


def notice_id(record: CallRecord, notice: Notice) -> str:
    """The same id on every replay: one notice per call, user and kind."""
    parts = [notice.kind, record.system, record.call_id, notice.user_id]
    if notice.kind == "waiting" and record.queue:
        parts.append(record.queue)  # a caller moved to another queue is a new wait
    return deterministic_id(Appnotification.TABLE, *parts)


def notice_body(notice: Notice) -> dict[str, object]:
    """The Web API body of an ``appnotification`` (``data`` is a JSON string of at most 5,000 characters)."""
    actions = [{"title": title, "data": {"url": url, "navigationTarget": "newWindow"}} for title, url in notice.actions]
    data = json.dumps({"actions": actions}, ensure_ascii=False)
    if len(data) > DATA_MAX:
        data = json.dumps({"actions": actions[-1:]}, ensure_ascii=False)
    return {
        Appnotification.TITLE: notice.title,
        Appnotification.BODY: notice.body,
        Appnotification.ICONTYPE: notice.icon,
        Appnotification.TOASTTYPE: TOAST_TIMED,
        Appnotification.TTLINSECONDS: notice.ttl_s,
        Appnotification.DATA: data,
        **bind(navigation.OWNER, SystemUser.SET, notice.user_id),
    }


def _is_missed(record: CallRecord) -> bool:
    return not record.is_answered and record.outcome is not CallOutcome.ANSWERED


def _record_url(table: str, record_id: str) -> str:
    return f"?pagetype=entityrecord&etn={table}&id={record_id}"


def _escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text)
