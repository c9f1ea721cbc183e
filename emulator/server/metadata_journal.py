"""The metadata journal: each change to table definitions as one JSON line beside the database.

The catalog records every change it applies; on start the lines are handed back, in order, to
the same code. A line that no longer applies (typically a table the start-up schema already
has) is logged and skipped, as is an unreadable one.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator.errors import ODataError

log = logging.getLogger(__name__)
Apply = Callable[[str, dict[str, Any]], None]


class MetadataJournal:
    """Appends changes to ``path`` (``None``: keep nothing) and replays them."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._replaying = False

    def record(self, operation: str, **arguments: Any) -> None:
        """Append one change (not while replaying: those lines are in the journal already)."""
        if self._path is None or self._replaying:
            return
        line = json.dumps({"op": operation, **arguments}, ensure_ascii=False)
        with open(self._path, "a", encoding="utf-8") as journal:
            journal.write(line + "\n")
            journal.flush()
            os.fsync(journal.fileno())

    def replay(self, apply: Apply) -> None:
        """Hand each recorded change to ``apply(operation, arguments)``, in order."""
        if self._path is None or not self._path.exists():
            return
        self._replaying = True
        try:
            for number, line in enumerate(self._path.read_text(encoding="utf-8").splitlines(), start=1):
                self._replay_line(apply, number, line)
        finally:
            self._replaying = False

    def _replay_line(self, apply: Apply, number: int, line: str) -> None:
        name = self._path.name if self._path is not None else ""
        try:
            entry = json.loads(line)
            apply(entry.pop("op"), entry)
        except ODataError as error:
            log.info("metadata journal %s line %d not re-applied: %s", name, number, error.message)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("metadata journal %s line %d is unreadable and was skipped: %s", name, number, exc)
