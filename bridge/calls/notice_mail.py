"""Sending the e-mail call notices (``[notices] kind = "email"``) with Dataverse's ``SendEmail`` (issue 14).

The notice is written as a draft e-mail activity through the outbox like every other notice. Unless
``[notices] email = "draft"``, its id is also put in a small durable queue (SQLite, beside the outbox)
and :meth:`NoticeMailer.send_due` posts ``emails(<id>)/Microsoft.Dynamics.CRM.SendEmail`` with
``IssueSend: true`` for each: the CRM marks it *Completed* / *Pending Send* and its server-side
synchronisation (or the e-mail router) delivers it. The action exists from CRM 2016 (8.0) on
(https://learn.microsoft.com/en-us/previous-versions/dynamicscrm-2016/developers-guide/mt608061(v=crm.8)).

* 404: the draft has not reached Dataverse yet (the outbox is behind); asked again next round.
* Any other refusal (already sent, no recipient, no right to send as the user): logged once at
  WARNING and dropped; the e-mail stays where it is, a draft the user can still open.
* Transport failures: asked again next round; after :data:`MAX_ATTEMPTS` rounds the id is dropped.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from connectors.dataverse import DataverseClient, NotFoundError, RecordId
from connectors.dataverse.refs import entity_path
from connectors.errors import ConnectorError, RejectedError
from dataverse_schema.names import Email

log = logging.getLogger(__name__)
FILE_NAME = "notice-mail.db"
SEND_ACTION = "Microsoft.Dynamics.CRM.SendEmail"
MAX_ATTEMPTS = 60
_SCHEMA = """
CREATE TABLE IF NOT EXISTS to_send (
    environment TEXT NOT NULL,
    email_id TEXT NOT NULL,
    queued_at REAL NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (environment, email_id)
)
"""


class NoticeMailer:
    """The e-mail notices waiting for ``SendEmail``, per environment, kept across restarts."""

    def __init__(
        self, clients: Mapping[str, DataverseClient], path: Path, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._clients = dict(clients)
        self._clock = clock
        self._lock = threading.Lock()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(_SCHEMA)

    def queue(self, environment: str, email_id: str) -> None:
        """Send ``email_id`` once its draft is in ``environment`` (a second queue of the same id is a no-op)."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO to_send (environment, email_id, queued_at) VALUES (?, ?, ?)",
                (environment, email_id, self._clock()),
            )

    def waiting(self) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT environment, email_id FROM to_send ORDER BY queued_at").fetchall()
        return [(environment, email_id) for environment, email_id in rows]

    def send_due(self) -> int:
        """One round: ``SendEmail`` for every waiting notice; returns how many were sent."""
        sent = 0
        for environment, email_id in self.waiting():
            client = self._clients.get(environment)
            if client is None:
                self._forget(environment, email_id)
                continue
            try:
                client.request(
                    "POST",
                    f"{entity_path(Email.SET, RecordId(email_id))}/{SEND_ACTION}",
                    json={"IssueSend": True, "TrackingToken": ""},
                    idempotent=False,
                    operation="send_email",
                )
            except NotFoundError:
                self._retry_later(environment, email_id, "its draft is not in the CRM yet")
                continue
            except RejectedError as exc:
                log.warning(
                    "a call notice e-mail was not sent and stays a draft in %s: %s",
                    environment,
                    exc,
                    extra={"environment": environment},
                )
                self._forget(environment, email_id)
                continue
            except ConnectorError as exc:
                self._retry_later(environment, email_id, type(exc).__name__)
                continue
            self._forget(environment, email_id)
            sent += 1
        return sent

    async def run(self, interval_s: float, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Send due notices every ``interval_s`` until cancelled."""
        while True:
            try:
                await asyncio.to_thread(self.send_due)
            except sqlite3.Error as exc:
                log.error("the notice e-mail queue %s cannot be read: %s", FILE_NAME, exc)
            await sleep(interval_s)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _retry_later(self, environment: str, email_id: str, why: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE to_send SET attempts = attempts + 1 WHERE environment = ? AND email_id = ?",
                (environment, email_id),
            )
            (attempts,) = self._db.execute(
                "SELECT attempts FROM to_send WHERE environment = ? AND email_id = ?", (environment, email_id)
            ).fetchone()
        if attempts >= MAX_ATTEMPTS:
            log.warning(
                "a call notice e-mail in %s was not sent after %d tries (%s); it stays a draft",
                environment,
                attempts,
                why,
                extra={"environment": environment},
            )
            self._forget(environment, email_id)

    def _forget(self, environment: str, email_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM to_send WHERE environment = ? AND email_id = ?", (environment, email_id))
