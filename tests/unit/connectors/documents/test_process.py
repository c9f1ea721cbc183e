"""Converter programs run under a deadline; a hanging one is killed with every process it started."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from connectors.documents import (
    ConversionFailedError,
    ConversionLimits,
    ConversionTimeoutError,
    OfficeConverter,
    _process,
)
from connectors.documents.formats import SourceFormat
from tests.unit.connectors.documents.office_files import docx

pytestmark = pytest.mark.timeout(60)


def script(tmp_path: Path, body: str) -> str:
    path = tmp_path / "fake-soffice"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_a_hanging_soffice_is_stopped_with_its_children(tmp_path):
    """Like soffice's launcher: a child that would outlive a kill of its parent alone."""
    pid_file = tmp_path / "child.pid"
    program = script(tmp_path, f"sleep 300 &\necho $! > {pid_file}\nwait\n")
    converter = OfficeConverter(program, ConversionLimits(timeout_s=1))
    with pytest.raises(ConversionTimeoutError, match="LibreOffice took longer than 1 s and was stopped"):
        converter.convert(docx("x"), SourceFormat.DOCX)
    child = int(pid_file.read_text())
    gone = threading.Event()
    for _ in range(50):  # the group was sent SIGKILL; wait (bounded) for the kernel to reap it
        if not _alive(child):
            gone.set()
            break
        gone.wait(0.1)
    assert gone.is_set(), "the converter's child process survived the timeout"


def test_a_failing_program_keeps_its_words(tmp_path):
    program = script(tmp_path, "echo 'Error: source file could not be loaded' >&2\nexit 1\n")
    with pytest.raises(ConversionFailedError, match="exit 1.*source file could not be loaded"):
        OfficeConverter(program).convert(docx("x"), SourceFormat.DOCX)


def test_a_program_that_writes_no_pdf_is_a_failure(tmp_path):
    with pytest.raises(ConversionFailedError, match="LibreOffice made no PDF"):
        OfficeConverter(script(tmp_path, "exit 0\n")).convert(docx("x"), SourceFormat.DOCX)


def test_a_program_that_cannot_start_is_a_failure(tmp_path):
    with pytest.raises(ConversionFailedError, match="could not be started"):
        _process.run([str(tmp_path / "missing")], cwd=tmp_path, timeout_s=5, what="LibreOffice")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie still answers kill(0); it is dead for our purpose
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False
