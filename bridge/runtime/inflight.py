"""What each worker thread is busy with, so a stop can say which work it leaves behind.

The daemon runs blocking work (Dataverse requests, SQLite) in worker threads; at
stop :func:`bridge.runtime.service.run_service` does not wait for those still
waiting on the network and names them. Thread names alone (``asyncio_0``) say
nothing to an administrator: code that starts such work wraps it in
``with busy("SMS dlr webhook"):`` and :func:`describe` gives that phrase back.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

#: The suite's root folder (``bridge/runtime/inflight.py`` is two levels below it).
_ROOT = Path(__file__).resolve().parents[2]

_lock = threading.Lock()
_doing: dict[int, str] = {}


@contextlib.contextmanager
def busy(what: str) -> Iterator[None]:
    """Note that the current thread does ``what`` until the block ends (blocks may nest)."""
    ident = threading.get_ident()
    with _lock:
        before = _doing.get(ident)
        _doing[ident] = what
    try:
        yield
    finally:
        with _lock:
            if before is None:
                _doing.pop(ident, None)
            else:
                _doing[ident] = before


def describe(thread: threading.Thread) -> str:
    """``thread``'s name, what it is busy with and where it waits, for a log line.

    ``asyncio_0 (SMS dlr webhook, in connectors/dataverse/transport.py:_send_once)``: the label
    given by :func:`busy` when there is one, else the first function of the suite the thread
    entered; then the last function of the suite on its stack (the call that waits).
    """
    with _lock:
        what = _doing.get(thread.ident) if thread.ident is not None else None
    frames = _suite_frames(thread)
    if what is None and frames:
        what = frames[0]
    parts = [part for part in (what, f"in {frames[-1]}" if frames else None) if part]
    return f"{thread.name} ({', '.join(parts)})" if parts else thread.name


def _suite_frames(thread: threading.Thread) -> list[str]:
    """``path:function`` of the suite's own frames on ``thread``'s stack, outermost first."""
    frame = sys._current_frames().get(thread.ident) if thread.ident is not None else None
    found: list[str] = []
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(_ROOT) and not _is_foreign(path.relative_to(_ROOT)):
            found.append(f"{path.relative_to(_ROOT).as_posix()}:{frame.f_code.co_name}")
        frame = frame.f_back
    return found[::-1]


def _is_foreign(relative: Path) -> bool:
    """A library installed under the suite's folder (a virtual environment) is not the suite."""
    return any(part in ("site-packages", "dist-packages", ".venv") for part in relative.parts)
