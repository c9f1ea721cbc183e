"""The SMDR pairing of ring and final records, kept across restarts (issue 11, point 2.2).

A Panasonic prints an inbound call's ring record when it rings and its final
record when it ends; the connector pairs them in memory
(:meth:`~connectors.pbx.smdr.connector.SmdrConnector.pairing_snapshot`). The
worker keeps that pairing in ``smdr-pairing-<system>.json`` beside the outbox
(and ``open-calls.db``), rewritten after each batch of events and at a stop
(with a raw journal: together with the lines it covers, once their updates are
stored, :mod:`bridge.runtime.line_replay`), and hands it back to the next life's
connector before it reads a line, so a call whose records span a restart or a
``kill -9`` is logged once.

The file is replaced atomically (written beside, then renamed); it is not
fsync'd, because losing it to a power cut costs only a duplicate call, never a
lost one. A file that cannot be read is renamed ``*.unreadable`` and the link
starts without it.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Far above a real snapshot (~80 KB); a larger file is refused as unreadable.
MAX_BYTES = 4 * 1024 * 1024


def pairing_path(outbox: str | Path, system_key: str) -> Path:
    """Where ``system_key``'s pairing is kept: beside the outbox file."""
    return Path(outbox).with_name(f"smdr-pairing-{system_key}.json")


class PairingFile:
    """One system's saved pairing: :meth:`load` at start, :meth:`save` after each batch and at stop."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def load(self) -> Any | None:
        """The saved snapshot, ``None`` when there is none; ``ValueError`` when it cannot be read."""
        try:
            if self.path.stat().st_size > MAX_BYTES:
                raise ValueError(f"{self.path} is larger than {MAX_BYTES} bytes")
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{self.path}: {exc}") from exc
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{self.path}: not JSON ({exc})") from exc

    def set_aside(self) -> None:
        """Keep an unreadable file for inspection (``*.unreadable``) and start without it."""
        try:
            os.replace(self.path, self.path.with_name(self.path.name + ".unreadable"))
        except OSError as exc:
            log.warning("pairing file %s could not be set aside: %s", self.path, exc)

    def save(self, snapshot: Any) -> bool:
        """Replace the file with ``snapshot``; ``False`` when it could not be: an ``OSError`` is logged, never
        raised (calls still flow)."""
        temporary = self.path.with_name(self.path.name + ".tmp")
        try:
            temporary.write_text(json.dumps(snapshot, separators=(",", ":")), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError as exc:
            log.warning(
                "SMDR pairing not saved to %s: %s; a call spanning a restart may be logged twice", self.path, exc
            )
            return False
        return True
