"""Images of every kind become Class F TIFF (1-bit, G4 / G3, 204 dpi, 1728 wide, A4 / letter pages)."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from connectors.documents import (
    ConversionLimits,
    CorruptDocumentError,
    DocumentTooLargeError,
    ImageConverter,
    Paper,
    Resolution,
    SourceFormat,
    is_fax_ready,
)
from connectors.documents.images import G3
from domain.fax import DocumentKind
from tests.unit.connectors.documents.images_files import animated_gif, image_bytes, png_claiming


def pages_of(tiff: bytes) -> list[tuple[str, tuple[int, int], dict]]:
    with Image.open(io.BytesIO(tiff)) as image:
        found = []
        for index in range(image.n_frames):
            image.seek(index)
            found.append((image.mode, image.size, dict(image.info)))
        return found


@pytest.mark.parametrize(
    "content, source",
    [
        (image_bytes("PNG", mode="RGBA"), SourceFormat.PNG),
        (image_bytes("PNG", mode="P"), SourceFormat.PNG),
        (image_bytes("JPEG", size=(3000, 2000)), SourceFormat.JPEG),
        (image_bytes("GIF"), SourceFormat.GIF),
        (image_bytes("BMP"), SourceFormat.BMP),
        (image_bytes("TIFF", compression="tiff_lzw"), SourceFormat.TIFF),
        (image_bytes("TIFF", mode="CMYK"), SourceFormat.TIFF),
        (image_bytes("TIFF", size=(2480, 3508), mode="1", compression="group4", dpi=(300, 300)), SourceFormat.TIFF),
    ],
)
def test_every_image_becomes_a_class_f_a4_fine_page(content, source):
    kind, tiff = ImageConverter().convert(content, source)
    assert kind is DocumentKind.TIFF and tiff.startswith(b"II*\x00")
    [(mode, size, info)] = pages_of(tiff)
    assert (mode, size, info["compression"], info["dpi"]) == ("1", (1728, 2291), "group4", (204.0, 196.0))
    assert is_fax_ready(tiff) and not is_fax_ready(content)


def test_letter_normal_resolution_and_group_3():
    limits = ConversionLimits(paper=Paper.LETTER, resolution=Resolution.NORMAL)
    _, tiff = ImageConverter(limits, compression=G3).convert(image_bytes("PNG"), SourceFormat.PNG)
    [(mode, size, info)] = pages_of(tiff)
    assert (mode, size, info["compression"], info["dpi"]) == ("1", (1728, 1078), "group3", (204.0, 98.0))


def test_a_multi_frame_image_gives_one_page_per_frame():
    _, tiff = ImageConverter().convert(animated_gif(3), SourceFormat.GIF)
    assert [size for _, size, _ in pages_of(tiff)] == [(1728, 2291)] * 3


def test_too_many_frames_are_refused():
    with pytest.raises(DocumentTooLargeError, match="more than 2 pages"):
        ImageConverter(ConversionLimits(max_pages=2)).convert(animated_gif(3), SourceFormat.GIF)


def test_an_image_is_not_enlarged_past_its_own_size_on_paper():
    small = image_bytes("PNG", size=(300, 300), dpi=(300, 300))  # one inch square
    _, tiff = ImageConverter().convert(small, SourceFormat.PNG)
    with Image.open(io.BytesIO(tiff)) as page:
        ink = page.convert("L").point(lambda value: 255 - value).getbbox()
    assert ink is not None and ink[2] - ink[0] <= 60  # the bar is a quarter inch: ~51 px at 204 dpi


@pytest.mark.parametrize(
    "content, source",
    [
        (image_bytes("PNG")[:200], SourceFormat.PNG),  # truncated
        (image_bytes("JPEG")[:300], SourceFormat.JPEG),
        (b"GIF89a" + b"\xff" * 40, SourceFormat.GIF),
        (b"II*\x00" + b"\x00" * 40, SourceFormat.TIFF),
        (b"BM" + b"\x00" * 12 + b"\x28\x00\x00\x00" + b"\xff" * 30, SourceFormat.BMP),
    ],
)
def test_a_damaged_image_is_corrupt(content, source):
    with pytest.raises(CorruptDocumentError, match="the image cannot be read: it is damaged"):
        ImageConverter().convert(content, source)


def test_a_decompression_bomb_is_refused_before_decoding():
    bomb = png_claiming(30_000, 30_000)  # 900 megapixels in a file of about a hundred bytes
    assert len(bomb) < 200
    with pytest.raises(DocumentTooLargeError, match="too large to fax"):
        ImageConverter().convert(bomb, SourceFormat.PNG)


def test_an_image_over_our_pixel_limit_is_refused_before_decoding():
    with pytest.raises(DocumentTooLargeError, match="8000 x 8000 pixels, more than the 50000000"):
        ImageConverter().convert(png_claiming(8000, 8000), SourceFormat.PNG)
