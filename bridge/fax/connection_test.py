"""Answers the fax server form's *Test Connection* command (FAX-20).

A browser cannot reach an on-premises fax server, so the command only stamps the
server row's *Test Requested On*. The bridge that serves the server (its key is
in ``[fax.servers.<key>]``) looks for a request newer than the row's *Tested On*
at the send interval, one query per look, runs the connector's ``check()`` (log
in and out) and writes *Test Result*, *Tested On* and the link columns through
the outbox; a *Header Time Zone* no zone answers to is named in the result and
the link detail (its faxes' headers are printed in UTC meanwhile, FAX-14). A
request is answered once per process even before the outbox has
written the answer. *Tested On* is never earlier than the request it answers, so
a bridge clock behind the browser's does not make the request look unanswered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bridge.outbox.store import OutboxItem
from connectors.dataverse import RecordId, odata
from connectors.errors import AuthError, ConnectorError, NotSentError, UnavailableError
from connectors.fax.base import FaxServer
from dataverse_schema.fax import FAX_SERVER
from dataverse_schema.names import FaxServer as FaxServerTable
from services.fax.directory import DirectoryClient
from services.fax.hosted import build_connector
from services.fax.page_header import zone_problem
from services.fax.rows import Sink

log = logging.getLogger(__name__)
_LINK = FAX_SERVER.column(FaxServerTable.LINKSTATUS).options
_SELECT = (FaxServerTable.ID, FaxServerTable.TESTREQUESTEDON, FaxServerTable.TESTEDON)
#: New in this release (FAX-14): a solution not yet imported lacks it, and the test runs without it (X-01).
_OPTIONAL = (FaxServerTable.HEADERTIMEZONE,)
_RESULT_LENGTH = 500


def _stamp(value: Any) -> datetime | None:
    """A Dataverse date-time (ISO text in a read, a datetime in tests) as an aware datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class ConnectionTester:
    """Answers the test requests on one fax server row (``server_key``)."""

    def __init__(
        self, client: DirectoryClient, server: FaxServer, server_key: str, sink: Sink, *, clock: Callable[[], datetime]
    ):
        self.client, self.server, self.server_key, self.sink, self.clock = client, server, server_key, sink, clock
        self._answered: set[tuple[str, datetime]] = set()

    def run_once(self) -> list[str]:
        """One look: test once per unanswered request; returns the results written."""
        flt = odata.and_(
            odata.eq(FaxServerTable.SERVERKEY, self.server_key), odata.ne(FaxServerTable.TESTREQUESTEDON, None)
        )
        rows = self.client.optional_columns.run(
            FaxServerTable.TABLE,
            _OPTIONAL,
            lambda present: list(self.client.query(FaxServerTable.SET, select=_SELECT + present, filter=flt)),
            consequence="a Test Connection does not check the Header Time Zone",
        )
        results = []
        for row in rows:
            requested = _stamp(row.get(FaxServerTable.TESTREQUESTEDON))
            tested = _stamp(row.get(FaxServerTable.TESTEDON))
            record_id = str(row[FaxServerTable.ID])
            if requested is None or (tested is not None and tested >= requested):
                continue
            if (record_id, requested) in self._answered:
                continue
            body = self._test(requested, zone_problem(str(row.get(FaxServerTable.HEADERTIMEZONE) or "")))
            self.sink(FaxServerTable.SET, RecordId(record_id), body)
            self._answered.add((record_id, requested))
            results.append(body[FaxServerTable.TESTRESULT])
        return results

    def _test(self, requested: datetime, problem: str = "") -> dict[str, Any]:
        """Log in and out; ``problem`` (a row setting the bridge cannot use) follows the outcome."""
        body = self._check(requested)
        if problem:
            log.warning("fax server %s: %s", self.server_key, problem)
            for column in (FaxServerTable.TESTRESULT, FaxServerTable.LINKDETAIL):
                kept = body[column][: max(0, _RESULT_LENGTH - len(problem) - 1)]
                body[column] = " ".join(filter(None, (kept, problem)))
        return body

    def _check(self, requested: datetime) -> dict[str, Any]:
        now = self.clock()
        try:
            greeting = self.server.check()
        except ConnectorError as exc:
            log.warning(
                "fax connection test on %s failed: %s",
                self.server_key,
                exc,
                extra={"system": self.server_key, "operation": "fax-test"},
            )
            status = (
                "Login failed"
                if isinstance(exc, AuthError)
                else ("Disconnected" if isinstance(exc, NotSentError | UnavailableError) else "Error")
            )
            result = f"Failed at {now:%Y-%m-%d %H:%M:%S} UTC: {exc}"
            return self._body(requested, now, status, result, result)
        result = f"Connected at {now:%Y-%m-%d %H:%M:%S} UTC: {greeting}".strip()
        body = self._body(requested, now, "Connected", result, "")
        body[FaxServerTable.LASTSEENON] = now
        return body

    def _body(self, requested: datetime, now: datetime, status: str, result: str, detail: str) -> dict[str, Any]:
        return {
            FaxServerTable.TESTRESULT: result[:_RESULT_LENGTH],
            FaxServerTable.TESTEDON: max(now, requested),
            FaxServerTable.LINKSTATUS: _LINK.value_of(status),
            FaxServerTable.LINKDETAIL: detail[:_RESULT_LENGTH],
        }


class ConnectionTestLoop:
    """Runs :meth:`ConnectionTester.run_once` every ``interval_s`` in a thread until :meth:`stop`."""

    def __init__(self, tester: ConnectionTester, interval_s: float):
        self.tester, self.interval_s = tester, interval_s
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await asyncio.to_thread(self.tester.run_once)
            except ConnectorError as exc:
                log.warning(
                    "fax connection-test look on %s: %s",
                    self.tester.server_key,
                    exc,
                    extra={"system": self.tester.server_key, "operation": "fax-test"},
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.interval_s)

    async def stop(self) -> None:
        self._stopping.set()


def serve(bridge: Any, context: Any, config: Any) -> ConnectionTestLoop:
    """Start answering test requests for ``config`` (a ``FaxServerConfig``) on ``bridge``."""
    client = context.services[config.environment].dataverse
    server = build_connector(config.kind, config.settings)

    def sink(entity_set: str, ref: Any, body: Any) -> None:
        bridge.enqueue(OutboxItem(config.environment, entity_set, ref, body))

    def clock() -> datetime:
        return datetime.now(UTC)

    loop = ConnectionTestLoop(
        ConnectionTester(client, server, config.key, sink, clock=clock), config.polling.send_interval_s
    )
    bridge.add_task(f"fax-test-{config.key}", loop.run)
    bridge.on_shutdown(loop.stop)
    return loop
