"""Notifications plug-in (CALL-05): missed / waiting-call notices to the users the system's row names, as the
:class:`~bridge.calls.notifications.CallNotifier` listener; written as ``[notices] kind`` says, else as each
environment's server offers (:class:`~bridge.calls.notice_kinds.NoticeKindResolver`)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from bridge.calls.notice_kinds import NoticeKind, NoticeKindResolver
from bridge.calls.notice_mail import FILE_NAME as MAIL_FILE
from bridge.calls.notice_mail import NoticeMailer
from bridge.calls.notifications import CallNotifier
from bridge.plugins.crm import crm_context


def from_bridge(bridge: Any) -> None:
    context = crm_context(bridge)
    features = {name: functools.partial(getattr, client, "features") for name, client in context.clients.items()}
    notices = bridge.config.notices
    kind_of = NoticeKindResolver(notices.kind, features)
    mailer = None
    if notices.kind is NoticeKind.EMAIL and notices.email == "send":
        mailer = NoticeMailer(context.clients, Path(bridge.config.bridge.outbox).with_name(MAIL_FILE))
        bridge.add_task("notice_mail", functools.partial(mailer.run, notices.email_send_interval_s))
    notifier = CallNotifier(bridge.outbox, context.environments, context.crms, kind_of, mailer)
    bridge.add_listener(notifier, "notifications")
