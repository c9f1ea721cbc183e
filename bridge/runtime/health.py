"""What the local health endpoint reports: ``/healthz`` and ``/readyz`` (JSON), ``/metrics`` (Prometheus 0.0.4).

``/healthz`` is liveness: 200 while the process serves, ``"status": "ok"`` or
``"degraded"`` with its ``reasons``; a container or systemd check asks it, so a
CRM outage (which a restart cannot mend, and which the outbox rides out) never
restarts the daemon. ``/readyz`` has the same body and answers 503 while
degraded, for a monitoring system that must see the outage.

CALL-14, CALL-26. This module holds the snapshot (systems, environments, holds) and
its two renderings; :mod:`bridge.runtime.health_server` serves them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from bridge.runtime.holds import HoldHealth, hold_metrics
from bridge.runtime.metrics import Metric, render
from bridge.runtime.version import bridge_version
from connectors.dataverse import RequestStats
from connectors.pbx.base import ConnectionState

log = logging.getLogger(__name__)

#: Failed Dataverse requests in a row (no answer, or a 5xx) after which an environment is "unreachable".
UNREACHABLE_AFTER = 3
#: An unsent write older than this (seconds) makes the bridge "degraded": calls reach the CRM late.
LATE_AFTER_S = 300.0


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
