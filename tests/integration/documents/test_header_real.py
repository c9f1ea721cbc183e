"""The company header drawn on pages the real Ghostscript rendered (FAX-14): PostScript → G3 TIFF → stamped."""

from __future__ import annotations

import io
import shutil
from datetime import UTC, datetime

import pytest
from PIL import Image

from connectors.documents import ConversionLimits, DocumentPreparer, HeaderStamper, PageHeader, is_fax_ready
from connectors.documents.header import BAND_IN
from domain.fax import DocumentKind

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
#: Two A4 pages of text starting well below the top margin.
POSTSCRIPT = b"""%!PS
/Helvetica findfont 24 scalefont setfont
72 700 moveto (Offer, page one) show showpage
72 700 moveto (Offer, page two) show showpage
"""


def test_ghostscript_pages_get_the_header_and_keep_their_body():
    if shutil.which("gs") is None:
        pytest.fail("gs is not installed: ./dev test installs it (apt-get install ghostscript)")
    tiff = DocumentPreparer.on_this_host(ConversionLimits()).prepare("offer.ps", POSTSCRIPT, None, (DocumentKind.TIFF,))
    header = PageHeader("شرکت نمونه — Contoso", datetime(2026, 12, 6, 9, 40, tzinfo=UTC), "+98 21 8888 1000")
    stamped = HeaderStamper().stamp(tiff.content, header)
    assert is_fax_ready(stamped)
    rows = round(BAND_IN * 196)
    with Image.open(io.BytesIO(tiff.content)) as before, Image.open(io.BytesIO(stamped)) as after:
        assert after.n_frames == before.n_frames == 2
        for index in range(2):
            before.seek(index)
            after.seek(index)
            old, new = before.convert("1"), after.convert("1")
            width, height = old.size
            assert old.crop((0, 0, width, rows)).getextrema() == (255, 255)
            assert new.crop((0, 0, width, rows)).getextrema() == (0, 255)
            assert new.crop((0, rows, width, height)).tobytes() == old.crop((0, rows, width, height)).tobytes()
