"""Office documents (Word, Excel, OpenDocument, RTF, plain text) to PDF with LibreOffice headless.

``soffice --headless --convert-to pdf`` (LibreOffice's documented command-line
conversion, https://help.libreoffice.org/latest/en-US/text/shared/guide/start_parameters.html).
Each conversion gets a fresh temporary folder holding the input (named by its
sniffed format, never the user's file name), the output and its own
LibreOffice profile (``-env:UserInstallation``), so conversions never share
state, never see a user's macros and may run side by side. A document that
makes LibreOffice hang is stopped at the time limit with everything it
started. Needs the Debian packages ``libreoffice-writer-nogui`` (text
documents) and ``libreoffice-calc-nogui`` (spreadsheets).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from connectors.documents import _process
from connectors.documents.errors import ConversionFailedError, ConverterMissingError, DocumentTooLargeError
from connectors.documents.formats import OFFICE, SourceFormat
from connectors.documents.limits import ConversionLimits
from domain.fax import DocumentKind

PROGRAM = "soffice"
PACKAGES = "libreoffice-writer-nogui libreoffice-calc-nogui"
_SPREADSHEETS = frozenset({SourceFormat.XLSX, SourceFormat.ODS})


class OfficeConverter:
    """Converts Office documents to PDF by running ``program`` (``soffice``) under the limits' time limit."""

    name = "LibreOffice"

    def __init__(self, program: str | None, limits: ConversionLimits | None = None):
        self.program, self.limits = program, limits or ConversionLimits()

    @classmethod
    def on_this_host(cls, limits: ConversionLimits | None = None) -> OfficeConverter:
        """The converter with ``soffice`` from ``PATH`` (absent: every conversion says which package to install)."""
        return cls(shutil.which(PROGRAM), limits)

    def convert(self, content: bytes, source: SourceFormat) -> tuple[DocumentKind, bytes]:
        """The PDF LibreOffice makes of ``content``."""
        if source not in OFFICE:
            raise ValueError(f"{source} is not an Office format")
        if self.program is None:
            package = "libreoffice-calc-nogui" if source in _SPREADSHEETS else "libreoffice-writer-nogui"
            raise ConverterMissingError(
                f"Office documents cannot be faxed from this host: LibreOffice is not installed "
                f"(Debian package {package}); attach a PDF instead, or ask an administrator",
                package=package,
            )
        with tempfile.TemporaryDirectory(prefix="commsuite-office-") as folder:
            work = Path(folder)
            source_path, out = work / f"document.{source.value}", work / "out"
            source_path.write_bytes(content)
            command = [
                self.program,
                f"-env:UserInstallation={(work / 'profile').as_uri()}",
                "--headless",
                "--invisible",
                "--nologo",
                "--norestore",
                "--nolockcheck",
                "--nodefault",
                "--convert-to",
                "pdf",
                "--outdir",
                str(out),
                str(source_path),
            ]
            _process.run(command, cwd=work, timeout_s=self.limits.timeout_s, what="LibreOffice")
            return DocumentKind.PDF, _read_pdf(out / "document.pdf", self.limits)


def _read_pdf(path: Path, limits: ConversionLimits) -> bytes:
    if not path.is_file():
        raise ConversionFailedError("LibreOffice made no PDF of the document (it could not read it)")
    if path.stat().st_size > limits.max_input_bytes * 4:
        raise DocumentTooLargeError("the document's PDF is too large to fax")
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise ConversionFailedError("LibreOffice's output is not a PDF")
    return data
