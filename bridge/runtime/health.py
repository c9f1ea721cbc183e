"""The bridge's local health endpoint: ``/healthz`` and ``/readyz`` (JSON), ``/metrics`` (Prometheus 0.0.4).

``/healthz`` is liveness: 200 while the process serves, ``"status": "ok"`` or
``"degraded"`` with its ``reasons``; a container or systemd check asks it, so a
CRM outage (which a restart cannot mend, and which the outbox rides out) never
restarts the daemon. ``/readyz`` has the same body and answers 503 while
degraded, for a monitoring system that must see the outage.

CALL-14, CALL-26. A tiny HTTP/1.1 server on the event loop, meant for
loopback (a monitoring agent, systemd checks, an admin's ``curl``). It answers
GET and HEAD on two paths and nothing else; every request is read under a
deadline and size limits, so a slow or hostile client gets a 4xx (or is
dropped) and never stalls or crashes the bridge. Always ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bridge.config.model import ListenAddress
from bridge.runtime.holds import HoldHealth, hold_metrics
from bridge.runtime.listen import start_listening
from bridge.runtime.metrics import CONTENT_TYPE, Metric, render
from bridge.runtime.version import bridge_version
from connectors.dataverse import RequestStats
from connectors.pbx.base import ConnectionState

log = logging.getLogger(__name__)

MAX_LINE_BYTES = 8 * 1024
MAX_HEADER_LINES = 100
MAX_HEADER_BYTES = 32 * 1024
READ_DEADLINE_S = 5.0
MAX_CONNECTIONS = 32
#: Failed Dataverse requests in a row (no answer, or a 5xx) after which an environment is "unreachable".
UNREACHABLE_AFTER = 3
#: An unsent write older than this (seconds) makes the bridge "degraded": calls reach the CRM late.
LATE_AFTER_S = 300.0
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    503: "Service Unavailable",
    505: "HTTP Version Not Supported",
}


@dataclass(frozen=True)
class SystemHealth:
    key: str
    kind: str
    state: str
    events: int = 0
    call_updates: int = 0
    restarts: int = 0
    unclassified_calls: int = 0
    telnet_resyncs: int = 0
    recovered_from_cdr: int = 0
    cdr_rows_skipped: int = 0


@dataclass(frozen=True)
class EnvironmentHealth:
    name: str
    outbox_depth: int
    oldest_age_s: float
    acked: int = 0
    dead_lettered: int = 0
    requests: int = 0
    failed_sends: int = 0
    drainer_running: bool = True
    #: Seconds since Dataverse last answered the drainer's client (``None``: not since the start).
    since_answer_s: float | None = None
    #: Requests since then that got no answer or a 5xx, and the last of them ("ConnectTimeout", "HTTP 503").
    consecutive_failures: int = 0
    last_failure: str = ""

    @property
    def unreachable(self) -> bool:
        """Dataverse has not answered the last :data:`UNREACHABLE_AFTER` requests."""
        return self.consecutive_failures >= UNREACHABLE_AFTER

    def reasons(self) -> list[str]:
        """Why this environment degrades the bridge, in words for a person; empty when it does not."""
        found = []
        if not self.drainer_running:
            found.append(f"{self.name}: the outbox drainer is not running")
        if self.unreachable:
            since = "never since the start" if self.since_answer_s is None else f"{self.since_answer_s:.0f} s ago"
            found.append(
                f"{self.name}: Dataverse unreachable ({self.consecutive_failures} failed requests, "
                f"last {self.last_failure or 'unknown'}; last answer {since})"
            )
        if self.outbox_depth and self.oldest_age_s >= LATE_AFTER_S:
            found.append(f"{self.name}: {self.outbox_depth} write(s) waiting, the oldest for {self.oldest_age_s:.0f} s")
        return found


@dataclass(frozen=True)
class HealthSnapshot:
    uptime_s: float
    systems: tuple[SystemHealth, ...]
    environments: tuple[EnvironmentHealth, ...]
    live_calls: int = 0
    listener_errors: Mapping[str, int] = field(default_factory=dict)
    stopping: bool = False
    #: The running bridge's version and, with ``[updates]``, what the release feed announced (CALL-44).
    version: str = field(default_factory=bridge_version)
    update: Mapping[str, Any] | None = None
    holds: tuple[HoldHealth, ...] = ()  # received items kept on disk, not yet in the CRM

    def reasons(self) -> list[str]:
        """Everything that makes the bridge ``degraded``, one phrase each; empty when it is ``ok``."""
        found = [
            f"{s.key}: the telephony link is {s.state}"
            for s in self.systems
            if s.state != ConnectionState.CONNECTED.value
        ]
        for environment in self.environments:
            found += environment.reasons()
        for hold in self.holds:
            found += hold.reasons()
        if self.stopping:
            found.append("the bridge is stopping")
        return found

    @property
    def status(self) -> str:
        """``ok`` when every link is up, every drainer runs and every Dataverse answers in time;
        ``degraded`` otherwise (still alive: the outbox keeps what cannot be sent)."""
        return "degraded" if self.reasons() else "ok"

    def as_json(self) -> bytes:
        reasons = self.reasons()
        body = {
            "status": "degraded" if reasons else "ok",
            "reasons": reasons,
            "version": self.version,
            "update": dict(self.update) if self.update is not None else None,
            "uptime_s": round(self.uptime_s, 1),
            "live_calls": self.live_calls,
            "stopping": self.stopping,
            "systems": [asdict(s) for s in self.systems],
            "environments": [{**asdict(e), "unreachable": e.unreachable} for e in self.environments],
            "listener_errors": dict(self.listener_errors),
            "holds": [asdict(h) for h in self.holds],
        }
        return json.dumps(body, ensure_ascii=False, indent=1).encode("utf-8") + b"\n"


def reachability(seen: Sequence[RequestStats]) -> tuple[float | None, int, str]:
    """One environment's Dataverse as its clients saw it (the drainer's, the SMS services'...).

    Seconds since any of them last had an answer, and the failures in a row and last failure of the
    client that heard from Dataverse last: a client that answered after another's failures wins.
    """
    heard = [stats for stats in seen if stats.last_heard_at() is not None]
    answers = [age for age in (stats.since_answer_s() for stats in seen) if age is not None]
    since = min(answers) if answers else None
    if not heard:
        return since, 0, ""
    latest = max(heard, key=lambda stats: stats.last_heard_at() or 0.0)
    return since, latest.consecutive_failures, latest.last_failure


def metrics_of(snapshot: HealthSnapshot) -> str:
    """The Prometheus exposition text of ``snapshot``."""
    states = [state.value for state in ConnectionState]
    link = Metric("commsuite_bridge_link_state", "gauge", "1 for the state each telephony link is in, 0 otherwise.")
    events = Metric("commsuite_bridge_events_total", "counter", "Call events received per telephony system.")
    updates = Metric("commsuite_bridge_call_updates_total", "counter", "Call record changes per telephony system.")
    restarts = Metric(
        "commsuite_bridge_connector_restarts_total", "counter", "Connectors restarted after an unexpected error."
    )
    unclassified = Metric(
        "commsuite_bridge_unclassified_calls_total",
        "counter",
        "Calls the channel rules could not classify (kept out of the CRM unless marked).",
    )
    resyncs = Metric(
        "commsuite_bridge_smdr_telnet_resyncs_total",
        "counter",
        "Telnet negotiations the SMDR link gave up on (lines around them may be damaged).",
    )
    from_cdr = Metric(
        "commsuite_bridge_calls_from_cdr_total",
        "counter",
        "PBX call detail records (Cdr events, Master.csv rows) that logged a call the bridge had not seen (CALL-14).",
    )
    cdr_skipped = Metric(
        "commsuite_bridge_cdr_rows_skipped_total", "counter", "Master.csv lines the CDR catch-up could not read."
    )
    for s in snapshot.systems:
        from_cdr.add(s.recovered_from_cdr, system=s.key)
        cdr_skipped.add(s.cdr_rows_skipped, system=s.key)
        unclassified.add(s.unclassified_calls, system=s.key)
        resyncs.add(s.telnet_resyncs, system=s.key)
        for state in states:
            link.add(1 if s.state == state else 0, system=s.key, kind=s.kind, state=state)
        events.add(s.events, system=s.key)
        updates.add(s.call_updates, system=s.key)
        restarts.add(s.restarts, system=s.key)
    per_env = {
        "outbox_depth": ("gauge", "Writes waiting in the outbox."),
        "outbox_oldest_age_seconds": ("gauge", "Age of the oldest waiting write."),
        "outbox_acked_total": ("counter", "Writes Dataverse accepted."),
        "outbox_dead_lettered_total": ("counter", "Writes Dataverse refused for good (see the dead letters)."),
        "dataverse_requests_total": ("counter", "Dataverse requests sent by the drainer, retries included."),
        "dataverse_failed_sends_total": ("counter", "Drainer sends that failed and will be retried."),
        "drainer_running": ("gauge", "1 while the environment's drainer thread runs."),
        "dataverse_reachable": ("gauge", "0 once Dataverse has not answered the last few requests, else 1."),
        "dataverse_consecutive_failures": ("gauge", "Dataverse requests in a row with no answer or a 5xx."),
        "dataverse_since_answer_seconds": ("gauge", "Seconds since Dataverse last answered (-1: not yet)."),
    }
    env_metrics = {name: Metric(f"commsuite_bridge_{name}", kind, text) for name, (kind, text) in per_env.items()}
    for e in snapshot.environments:
        values = (
            e.outbox_depth,
            e.oldest_age_s,
            e.acked,
            e.dead_lettered,
            e.requests,
            e.failed_sends,
            1 if e.drainer_running else 0,
            0 if e.unreachable else 1,
            e.consecutive_failures,
            -1 if e.since_answer_s is None else round(e.since_answer_s, 3),
        )
        for metric, value in zip(env_metrics.values(), values, strict=True):
            metric.add(value, environment=e.name)
    errors = Metric("commsuite_bridge_listener_errors_total", "counter", "Listener calls that raised (skipped).")
    for name, count in snapshot.listener_errors.items():
        errors.add(count, listener=name)
    return render(
        [
            Metric("commsuite_bridge_up", "gauge", "1 while the bridge runs.").add(0 if snapshot.stopping else 1),
            Metric(
                "commsuite_bridge_degraded", "gauge", "1 while /healthz says degraded (see its reasons), else 0."
            ).add(1 if snapshot.reasons() else 0),
            Metric("commsuite_bridge_uptime_seconds", "gauge", "Seconds since the bridge started.").add(
                round(snapshot.uptime_s, 3)
            ),
            Metric("commsuite_bridge_live_calls", "gauge", "Calls in progress.").add(snapshot.live_calls),
            Metric("commsuite_bridge_info", "gauge", "1, labelled with the running bridge's version.").add(
                1, version=snapshot.version
            ),
            Metric(
                "commsuite_bridge_update_available", "gauge", "1 when the signed release feed announces a newer bridge."
            ).add(1 if snapshot.update and snapshot.update.get("available") else 0),
            link,
            events,
            updates,
            restarts,
            unclassified,
            resyncs,
            from_cdr,
            cdr_skipped,
            *env_metrics.values(),
            *hold_metrics(snapshot.holds),
            errors,
        ]
    )


class _BadRequest(Exception):
    def __init__(self, status: int, allow: bool = False):
        self.status, self.allow = status, allow


class HealthServer:
    """Serves ``/healthz`` and ``/metrics`` from ``snapshot()``; ``port`` is the bound port after :meth:`start`."""

    def __init__(self, address: ListenAddress, snapshot: Callable[[], Awaitable[HealthSnapshot]]):
        self.address = address
        self.port = address.port
        self._snapshot = snapshot
        self._server: asyncio.base_events.Server | None = None
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def start(self) -> None:
        self._server, self.port = await start_listening(
            self._serve,
            self.address.host,
            self.address.port,
            limit=MAX_LINE_BYTES,
            what="health endpoint",
            exposed='it has no sign-in: set [bridge] health_listen = "127.0.0.1:{port}" unless a '
            "monitor elsewhere needs it, and firewall the port",
        )

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2.0)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._slots.locked():
            writer.close()
            return
        async with self._slots:
            try:
                await self._answer(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            except Exception:
                log.exception("health request failed")
            finally:
                writer.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_DEADLINE_S):
                method, path = await _read_request(reader)
        except _BadRequest as bad:
            _respond(writer, bad.status, b"", "text/plain", allow=bad.allow)
            return
        except TimeoutError:
            _respond(writer, 408, b"", "text/plain")
            return
        status, body, content_type = await self._route(path)
        _respond(writer, status, b"" if method == "HEAD" else body, content_type, length=len(body))
        await writer.drain()

    async def _route(self, path: str) -> tuple[int, bytes, str]:
        if path not in ("/healthz", "/readyz", "/metrics"):
            return 404, b"not found: try /healthz, /readyz or /metrics\n", "text/plain; charset=utf-8"
        try:
            snapshot = await self._snapshot()
        except Exception:
            log.exception("health snapshot failed")
            return 500, b"health snapshot failed; see the bridge log\n", "text/plain; charset=utf-8"
        if path == "/healthz":  # liveness: 200 while the process serves, whatever the CRM does
            return 200, snapshot.as_json(), "application/json"
        if path == "/readyz":  # for monitoring: 503 while degraded, with the same body
            return (503 if snapshot.reasons() else 200), snapshot.as_json(), "application/json"
        return 200, metrics_of(snapshot).encode("utf-8"), CONTENT_TYPE


async def _read_request(reader: asyncio.StreamReader) -> tuple[str, str]:
    line = await _read_line(reader, 414)
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _BadRequest(400)
    method, target, version = parts
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise _BadRequest(505)
    total = 0
    for _ in range(MAX_HEADER_LINES + 1):
        header = await _read_line(reader, 431)
        if not header:
            break
        total += len(header)
        if total > MAX_HEADER_BYTES or ":" not in header:
            raise _BadRequest(431 if total > MAX_HEADER_BYTES else 400)
    else:
        raise _BadRequest(431)
    if method not in ("GET", "HEAD"):
        raise _BadRequest(405, allow=True)
    if not target.startswith("/"):
        raise _BadRequest(400)
    return method, target.split("?", 1)[0]


async def _read_line(reader: asyncio.StreamReader, too_long: int) -> str:
    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise _BadRequest(too_long) from None
    except asyncio.IncompleteReadError as exc:
        if not exc.partial:
            raise
        raise _BadRequest(400) from None
    try:
        return raw.decode("ascii").rstrip("\r\n")
    except UnicodeDecodeError:
        raise _BadRequest(400) from None


def _respond(
    writer: asyncio.StreamWriter,
    status: int,
    body: bytes,
    content_type: str,
    *,
    allow: bool = False,
    length: int | None = None,
) -> None:
    head = [
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}",
        f"Content-Type: {content_type}",
        f"Content-Length: {len(body) if length is None else length}",
        "Connection: close",
        "Cache-Control: no-store",
    ]
    if allow:
        head.append("Allow: GET, HEAD")
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("ascii") + body)
