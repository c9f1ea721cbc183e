"""PDF and PostScript to a fax TIFF (Class F, Group 3) with Ghostscript, for servers that take only TIFF.

``gs -sDEVICE=tiffg3`` at 204 x 196 (or 98) dpi on a page 1728 pixels wide
and A4 or letter high, each page fitted to it (``-dFitPage``), multi-page
into one file (https://ghostscript.readthedocs.io/en/latest/Devices.html#tiff-file-formats).
``-dSAFER`` keeps a hostile PostScript from reading or writing files, and
``-dLastPage`` caps the pages. Debian package ``ghostscript``.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from connectors.documents import _process
from connectors.documents.errors import ConversionFailedError, ConverterMissingError
from connectors.documents.formats import SourceFormat
from connectors.documents.limits import FAX_WIDTH_PX, FAX_X_DPI, ConversionLimits
from domain.fax import DocumentKind

PROGRAM = "gs"
PACKAGE = "ghostscript"


class GhostscriptConverter:
    """Renders PDF / PostScript to Class F TIFF by running ``program`` (``gs``) under the time limit."""

    name = "Ghostscript"

    def __init__(self, program: str | None, limits: ConversionLimits | None = None):
        self.program, self.limits = program, limits or ConversionLimits()

    @classmethod
    def on_this_host(cls, limits: ConversionLimits | None = None) -> GhostscriptConverter:
        """The converter with ``gs`` from ``PATH`` (absent: every conversion names the package)."""
        return cls(shutil.which(PROGRAM), limits)

    def convert(self, content: bytes, source: SourceFormat) -> tuple[DocumentKind, bytes]:
        """The Group 3 TIFF Ghostscript renders of a PDF or PostScript ``content``."""
        if source not in (SourceFormat.PDF, SourceFormat.POSTSCRIPT):
            raise ValueError(f"{source} is not PDF or PostScript")
        if self.program is None:
            raise ConverterMissingError(
                f"this fax server takes TIFF only, and Ghostscript is not installed here (Debian package {PACKAGE})",
                package=PACKAGE,
            )
        limits = self.limits
        with tempfile.TemporaryDirectory(prefix="commsuite-gs-") as folder:
            work = Path(folder)
            source_path, target = work / f"document.{source.value}", work / "document.tif"
            source_path.write_bytes(content)
            command = [
                self.program,
                "-q",
                "-dSAFER",
                "-dBATCH",
                "-dNOPAUSE",
                "-sDEVICE=tiffg3",
                f"-r{FAX_X_DPI}x{limits.resolution.y_dpi}",
                f"-g{FAX_WIDTH_PX}x{limits.page_rows}",
                "-dFIXEDMEDIA",
                "-dFitPage",
                "-dPDFFitPage",
                f"-dLastPage={limits.max_pages}",
                f"-sOutputFile={target}",
                str(source_path),
            ]
            _process.run(command, cwd=work, timeout_s=limits.timeout_s, what="Ghostscript")
            if not target.is_file() or target.read_bytes()[:4] not in (b"II*\x00", b"MM\x00*"):
                raise ConversionFailedError("Ghostscript made no TIFF of the document")
            return DocumentKind.TIFF, target.read_bytes()
