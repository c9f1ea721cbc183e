"""A received TIFF as a PDF for viewing, with libtiff's ``tiff2pdf`` when the host has it (FAX-16).

``tiff2pdf`` ships with libtiff-tools, which ``hylafax-server`` pulls in. Without
it the fax keeps its original TIFF only, and the record says so.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

TIMEOUT_S = 60


class ConversionError(RuntimeError):
    """``tiff2pdf`` ran and failed (its own words kept)."""


def tiff2pdf_path() -> str | None:
    """Where ``tiff2pdf`` is, or None when this host has none."""
    return shutil.which("tiff2pdf")


def tiff_to_pdf(content: bytes, program: str) -> bytes:
    """The PDF ``program`` (``tiff2pdf``) makes of ``content``; ``ConversionError`` when it fails."""
    with tempfile.TemporaryDirectory(prefix="commsuite-fax-") as folder:
        source, target = Path(folder) / "in.tif", Path(folder) / "out.pdf"
        source.write_bytes(content)
        try:
            done = subprocess.run(
                [program, "-o", str(target), str(source)], capture_output=True, timeout=TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ConversionError(f"tiff2pdf did not run: {exc}") from exc
        if done.returncode != 0 or not target.exists():
            words = done.stderr.decode("utf-8", "replace").strip()[:300]
            raise ConversionError(f"tiff2pdf failed (exit {done.returncode}): {words}")
        return target.read_bytes()
