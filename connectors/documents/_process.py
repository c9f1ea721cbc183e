"""Run one converter program in its own process group, with a deadline that kills the whole group.

LibreOffice starts ``soffice.bin`` from a launcher, so killing only the
direct child would leave the real converter running; the group goes instead.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from connectors.documents.errors import ConversionFailedError, ConversionTimeoutError

_MAX_WORDS = 300


def run(command: Sequence[str], *, cwd: Path, timeout_s: float, what: str, env: dict[str, str] | None = None) -> None:
    """Run ``command``; ``ConversionTimeoutError`` after ``timeout_s``, ``ConversionFailedError`` on a non-zero exit."""
    try:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    except OSError as exc:
        raise ConversionFailedError(f"{what} could not be started ({exc.__class__.__name__})") from exc
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise ConversionTimeoutError(f"{what} took longer than {timeout_s:g} s and was stopped") from None
    finally:
        if process.poll() is None:
            _kill_group(process)
    if process.returncode != 0:
        raise ConversionFailedError(f"{what} failed (exit {process.returncode}): {_words(output)}")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def _words(output: bytes) -> str:
    """The program's error lines (``Error: ...``, as gs and soffice write them), else the end of what it said."""
    text = output.decode("utf-8", "replace").strip()
    errors = [line.strip() for line in text.splitlines() if line.lstrip().lower().startswith("error")]
    return ("; ".join(errors) or text)[-_MAX_WORDS:]
