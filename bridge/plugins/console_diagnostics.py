"""The console's diagnostics port over the running bridge (CALL-39): the same checks as ``commsuite bridge check``,
AMI actions on the live link, and the raw frames of each system.

Connection tests run :func:`bridge.runtime.check.check_one_system`, so the console and the shell say the same
words from one implementation. Raw output comes from the raw journal (SMDR and caller-ID systems,
``raw-frames.db``) and, for AMI systems, from the connector's bounded ring of recent frames.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from bridge.config.model import BridgeConfig
from bridge.runtime.check import check_one_system
from bridge.runtime.check_result import CheckResult
from bridge.runtime.raw_journal import RawJournal, shared_journal
from connectors.errors import RejectedError


class BridgeDiagnostics:
    """:class:`~bridge.console.diagnostics.DiagnosticsPort` for a bridge: its config and its live connectors."""

    def __init__(
        self,
        config: BridgeConfig,
        connector: Callable[[str], Any],
        *,
        journal: Callable[[str], RawJournal | None] | None = None,
    ):
        self._config = config
        self._connector = connector
        self._journal = journal or self._shared_journal

    def system_keys(self) -> Sequence[str]:
        return sorted(self._config.systems)

    async def check(self, system_key: str) -> list[CheckResult]:
        return await check_one_system(self._config, system_key)

    async def ami_action(self, system_key: str, fields: Mapping[str, str]) -> list[list[tuple[str, str]]]:
        send = getattr(self._live(system_key), "send_action", None)
        if send is None:
            raise RejectedError("this system is not linked over AMI", system=system_key, operation="diagnostics")
        return [list(message.headers) + [("", line) for line in message.body] for message in await send(fields)]

    def raw(self, system_key: str, limit: int) -> list[dict[str, Any]]:
        frames: list[tuple[datetime, str, str]] = []
        journal = self._journal(system_key)
        if journal is not None:
            rows = journal.frames(system_key, limit=limit, newest=True)
            frames += [(f.received_at, "journal" if f.parsed else "journal (not parsed)", f.text) for f in rows]
        try:
            recent = list(getattr(self._live(system_key), "recent_frames", ()))[-limit:]
        except RejectedError:
            recent = []
        frames += [(at, "ami", raw.decode("utf-8", errors="replace")) for at, raw in recent]
        frames.sort(key=lambda frame: frame[0])
        return [{"at": at.isoformat(), "source": source, "text": text} for at, source, text in frames[-limit:]]

    def _live(self, system_key: str) -> Any:
        try:
            return self._connector(system_key)
        except KeyError:
            message = "the bridge runs no link for this system"
            raise RejectedError(message, system=system_key, operation="diagnostics") from None

    def _shared_journal(self, system_key: str) -> RawJournal | None:
        system = self._config.systems.get(system_key)
        if system is None or system.raw_journal is None or not system.raw_journal.exists():
            return None
        return shared_journal(system.raw_journal, system.raw_journal_days)
