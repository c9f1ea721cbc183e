"""The CRM's telephony rows as last read, kept beside the outbox (issue 11, 2.4).

Every successful settings read rewrites ``crm-settings-<environment>.json``
(written to a temporary file, flushed and renamed, so a crash leaves the old
copy or the new one, never half of either). At the next start the bridge
parses it the same way as a fresh read, so the links, pop-ups and call logging
use the CRM's numbering, extensions and hidden extensions at once, also while
Dataverse is unreachable or silent. A copy that cannot be read is renamed
``*.unreadable`` and the file's fallback settings are used until the CRM answers.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


@dataclass(frozen=True)
class KeptRows:
    """The three tables' rows of one environment as read at ``read_at``."""

    systems: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    extensions: list[dict[str, Any]]
    read_at: str


def cache_path(folder: str | Path, environment: str) -> Path:
    """Where ``environment``'s rows are kept in ``folder`` (the outbox's folder)."""
    return Path(folder) / f"crm-settings-{_UNSAFE.sub('_', environment)}.json"


def save_rows(
    path: Path,
    environment: str,
    systems: list[dict[str, Any]],
    lines: list[dict[str, Any]],
    extensions: list[dict[str, Any]],
    now: datetime | None = None,
) -> None:
    """Replace the copy at ``path``; a failure is logged, never raised (the read itself succeeded)."""
    document = {
        "format": FORMAT,
        "environment": environment,
        "read_at": (now or datetime.now(UTC)).isoformat(),
        "systems": systems,
        "lines": lines,
        "extensions": extensions,
    }
    temporary = path.with_name(path.name + ".tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(document, handle, ensure_ascii=False, default=str)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        log.warning("the CRM settings could not be kept at %s: %s", path, exc, extra={"environment": environment})


def load_rows(path: Path, environment: str) -> KeptRows | None:
    """The rows kept at ``path``, or ``None`` when there are none (an unreadable copy is set aside)."""
    if not path.exists():
        return None
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != FORMAT or document.get("environment") != environment:
            raise ValueError("not a settings copy of this environment")
        rows = KeptRows(
            *(_row_list(document, name) for name in ("systems", "lines", "extensions")),
            read_at=str(document.get("read_at", "?")),
        )
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        aside = path.with_name(path.name + ".unreadable")
        log.warning(
            "the kept CRM settings %s cannot be read (%s); moved to %s, the file's settings are used "
            "until the CRM answers",
            path,
            exc,
            aside,
            extra={"environment": environment},
        )
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        return None
    return rows


def _row_list(document: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = document.get(name)
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise ValueError(f"{name} is not a list of rows")
    return rows
