"""Hostile fax documents: any name and bytes are identified or refused with a ``DocumentError`` in words;
damaged or truncated images are refused the same way, never a Pillow exception."""

from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from connectors.documents.errors import DocumentError
from connectors.documents.formats import SourceFormat, identify
from connectors.documents.images import ImageConverter

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAGICS = [b"%PDF-", b"%!PS", b"II*\x00", b"MM\x00*", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF89a", b"BM",
          b"PK\x03\x04", b"\xef\xbb\xbf", b"\xff\xfe", b"{\\rtf1"]  # fmt: skip
NAMES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["a.pdf", "a.tif", "a.docx", "../../etc/passwd", "a.PDF\x00.exe", "\u202efdp.exe", ".", ""]),
)


@FAST
@given(name=NAMES, magic=st.sampled_from([b"", *MAGICS]), rest=st.binary(max_size=200))
def test_any_document_is_identified_or_refused_in_words(name: str, magic: bytes, rest: bytes) -> None:
    try:
        found = identify(name, magic + rest, None)
    except DocumentError as exc:
        assert str(exc)
        return
    assert isinstance(found, SourceFormat)


def _image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(
    "kind, source", [("PNG", SourceFormat.PNG), ("JPEG", SourceFormat.JPEG), ("GIF", SourceFormat.GIF),
                     ("BMP", SourceFormat.BMP), ("TIFF", SourceFormat.TIFF)]
)  # fmt: skip
@pytest.mark.parametrize("damage", ["truncate", "flip", "zero-size"])
@pytest.mark.filterwarnings("ignore:Truncated File Read")
def test_damaged_images_are_converted_or_refused_in_words(kind: str, source: SourceFormat, damage: str) -> None:
    data = _image(kind)
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data = data[:16] + bytes(b ^ 0xFF for b in data[16:60]) + data[60:]
    else:
        data = data[:12] + b"\x00" * 16 + data[28:]
    try:
        ImageConverter().convert(data, source)
    except DocumentError as exc:
        assert str(exc)
