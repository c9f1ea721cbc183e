"""What a call notice becomes in each CRM: an in-app notification, a task, a post or an e-mail (CALL-05, issue 14).

``appnotification`` exists only in Dataverse online
(MicrosoftDocs/dynamics-365-customer-engagement:ce/customerengagement/on-premises/developer/webapi/web-api-versions.md:
the
on-premises 9.x entity reference has none, and 8.x predates it). Where it is missing a
notice becomes what every version offers, chosen by ``[notices] kind`` in ``bridge.toml``:

- ``task``: a task assigned to the user (its owner), regarding the caller's record; it shows
  in the user's open activities (the default on-premises);
- ``post``: an automatic post on the caller's record's wall (activity feeds, 8.0 and later);
  with no matched record there is no wall, so the notice becomes a task;
- ``email``: an e-mail activity from and to the user, owned by them, regarding the caller's
  record. It is written as a draft, then sent with ``SendEmail`` unless ``[notices] email =
  "draft"`` (:mod:`bridge.calls.notice_mail`); delivering it (server-side sync) is the CRM's.

Without a setting, :class:`NoticeKindResolver` asks each environment's client what its
server offers (``Features.app_notifications``, :mod:`dataverse_schema.versions`).
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import dataverse_schema
from connectors.dataverse import RecordId, bind, deterministic_id
from dataverse_schema import navigation
from dataverse_schema.names import ActivityParty, Appnotification, Email, Post, SystemUser, Task
from dataverse_schema.versions import Features

if TYPE_CHECKING:
    from bridge.calls.notifications import Notice

log = logging.getLogger(__name__)

PARTY_FROM = 1
PARTY_TO = 2
POST_SOURCE_AUTO = 1
POST_TYPE_STATUS = 7
TASK_PRIORITY_HIGH = 2
POST_TEXT_MAX = 1000


class NoticeKind(enum.Enum):
    """``[notices] kind``: the table a call notice is written to (``"appnotification"``, ``"task"``, ...)."""

    APPNOTIFICATION = Appnotification.TABLE
    TASK = Task.TABLE
    POST = Post.TABLE
    EMAIL = Email.TABLE


def fallback_item(kind: NoticeKind, notice: Notice, notice_id: str) -> tuple[str, RecordId, dict[str, Any]]:
    """(entity set, id, body) of ``notice`` as a task, a post or an e-mail."""
    if kind is NoticeKind.POST and notice.regarding is not None:
        return Post.SET, RecordId(notice_id), _post(notice)
    if kind is NoticeKind.EMAIL:
        return Email.SET, RecordId(notice_id), _email(notice)
    return Task.SET, RecordId(notice_id), _task(notice)


def post_id(kind: str, system: str, call_id: str) -> str:
    """A post is on the record, not the user: one per call and kind, whoever is told."""
    return deterministic_id(Post.TABLE, kind, system, call_id)


def _regarding(notice: Notice, activity: str) -> dict[str, str]:
    if notice.regarding is None:
        return {}
    table, record_id = notice.regarding
    return bind(navigation.regarding(table, activity), dataverse_schema.table(table).entity_set_name, record_id)


def _task(notice: Notice) -> dict[str, Any]:
    return {
        Task.SUBJECT: notice.title,
        Task.DESCRIPTION: notice.text,
        Task.PRIORITYCODE: TASK_PRIORITY_HIGH,
        **bind(navigation.OWNER, SystemUser.SET, notice.user_id),
        **_regarding(notice, Task.TABLE),
    }


def _email(notice: Notice) -> dict[str, Any]:
    user = bind(navigation.party(SystemUser.TABLE), SystemUser.SET, notice.user_id)
    sender = {ActivityParty.PARTICIPATIONTYPEMASK: PARTY_FROM, **user}  # SendEmail needs a sender
    to = {ActivityParty.PARTICIPATIONTYPEMASK: PARTY_TO, **user}
    return {
        Email.SUBJECT: notice.title,
        Email.DESCRIPTION: notice.text,
        Email.DIRECTIONCODE: True,
        **bind(navigation.OWNER, SystemUser.SET, notice.user_id),
        **_regarding(notice, Email.TABLE),
        navigation.activity_parties(Email.TABLE): [sender, to],
    }


def _post(notice: Notice) -> dict[str, Any]:
    """The post's ``regardingobjectid_<table>_post`` follows the pattern of every regarding lookup (UNCONFIRMED
    for posts on a real server; the emulator uses it)."""
    if notice.regarding is None:
        raise ValueError("a post needs the record it is posted on")
    text = f"{notice.title}\n{notice.text}"[:POST_TEXT_MAX]
    return {
        Post.TEXT: text,
        Post.SOURCE: POST_SOURCE_AUTO,
        Post.TYPE: POST_TYPE_STATUS,
        **_regarding(notice, Post.TABLE),
    }


class NoticeKindResolver:
    """Per environment: the configured kind, else ``appnotification`` where the server has it and ``task``
    where it does not. The server's version is read once per environment (``RetrieveVersion()``); while it
    cannot be read, notices are tasks, which every version has."""

    def __init__(self, configured: NoticeKind | None, features: Mapping[str, Callable[[], Features]]) -> None:
        self.configured = configured
        self._features = dict(features)
        self._known: dict[str, NoticeKind] = {}
        self._lock = threading.Lock()

    def __call__(self, environment: str) -> NoticeKind:
        if self.configured is not None:
            return self.configured
        with self._lock:
            known = self._known.get(environment)
        if known is not None:
            return known
        read = self._features.get(environment)
        if read is None:
            return NoticeKind.APPNOTIFICATION
        try:
            features = read()
        except Exception as exc:  # noqa: BLE001 - any failure to read the version: fall back, try again later
            log.warning("cannot read the version of %s (%s); this notice is a task", environment, type(exc).__name__)
            return NoticeKind.TASK
        kind = NoticeKind.APPNOTIFICATION if features.app_notifications else NoticeKind.TASK
        with self._lock:
            self._known[environment] = kind
        log.info("call notices in %s are %s (Dynamics %s)", environment, kind.value, features.version)
        return kind
