"""The company header drawn into the top margin of fax pages (FAX-14): Latin and Persian, numbering, hostile text."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from PIL import Image, ImageDraw, ImageFont, features

from connectors.documents import ConversionLimits, ConverterMissingError, ImageConverter, Resolution, SourceFormat
from connectors.documents.header import (
    BAND_IN,
    ELLIPSIS,
    FONT_PX,
    GAP_PX,
    MARGIN_PX,
    HeaderStamper,
    find_font,
    fit,
)
from connectors.documents.header_text import MAX_CHARS, PageHeader, clean, is_right_to_left

pytestmark = pytest.mark.timeout(60)

WHEN = datetime(2026, 12, 6, 9, 40, tzinfo=UTC)
PERSIAN = "شرکت نمونه\u200cی پارس"  # "Pars sample company", with the zero-width non-joiner Persian spelling needs
FINE_ROWS = round(BAND_IN * 196)


def page_tiff(pages: int = 1, *, ink_at_top: bool = False, resolution: Resolution = Resolution.FINE) -> bytes:
    """A fax TIFF (through the real image converter) of ``pages`` pages of bars, the top margin blank unless asked."""
    frames = []
    for index in range(pages):
        image = Image.new("L", (1728, 2292), 255)
        for y in range(300 + 20 * index, 2200, 60):
            image.paste(0, (200, y, 1500, y + 12))
        if ink_at_top:
            image.paste(0, (0, 0, 1728, 30))
            image.paste(0, (0, 2262, 1728, 2292))
        frames.append(image)
    out = io.BytesIO()
    frames[0].save(out, "TIFF", dpi=(204, 196), save_all=True, append_images=frames[1:])
    limits = ConversionLimits(resolution=resolution)
    return ImageConverter(limits).convert(out.getvalue(), SourceFormat.TIFF)[1]


def pad(image: Image.Image, width: int) -> Image.Image:
    """``image`` on a white ground ``width`` wide, at its left."""
    ground = Image.new("1", (width, image.size[1]), 1)
    ground.paste(image, (0, 0))
    return ground


def frames(content: bytes) -> list[Image.Image]:
    with Image.open(io.BytesIO(content)) as image:
        found = []
        for index in range(image.n_frames):
            image.seek(index)
            found.append(image.convert("1").copy())
        return found


def ink_columns(image: Image.Image) -> list[bool]:
    """For each column, whether it has any black pixel."""
    grey = image.convert("L")
    width, height = grey.size
    pixels = grey.load()
    return [any(pixels[x, y] < 128 for y in range(height)) for x in range(width)]


def ink_rows(image: Image.Image, columns: tuple[int, int]) -> list[int]:
    """Rows with a black pixel between the two columns."""
    strip = image.convert("L").crop((columns[0], 0, columns[1], image.size[1]))
    return [y for y in range(strip.size[1]) if strip.crop((0, y, strip.size[0], y + 1)).getextrema()[0] < 128]


def reference(
    text: str, engine: ImageFont.Layout, rows: int = FINE_ROWS, words_left_to_right: bool = False
) -> Image.Image:
    """``text`` drawn here with the stamper's font and size, on square pixels, fitted to ``rows`` and made 1-bit.

    ``words_left_to_right`` draws each word shaped but the words in logical order from the left: the
    mistake of shaping without bidirectional reordering.
    """
    font = ImageFont.truetype(str(find_font()), FONT_PX, layout_engine=engine)
    square = round(BAND_IN * 204)
    image = Image.new("L", (round(font.getlength(text)) + 4, square), 255)
    draw = ImageDraw.Draw(image)
    if words_left_to_right:
        x, space = 0.0, font.getlength(" ")
        for word in text.split(" "):
            draw.text((x, square / 2), word, font=font, fill=0, anchor="lm")
            x += font.getlength(word) + space
    else:
        draw.text((0, square / 2), text, font=font, fill=0, anchor="lm")
    image = image.resize((image.size[0], rows), Image.Resampling.LANCZOS)
    return image.point(lambda value: 0 if value < 160 else 255).convert("1")


def overlap(left: Image.Image, right: Image.Image) -> float:
    """Black pixels in both over black pixels in either (1.0: the same drawing)."""
    a, b = left.convert("L").tobytes(), right.convert("L").tobytes()
    both = sum(1 for x, y in zip(a, b, strict=True) if x < 128 and y < 128)
    either = sum(1 for x, y in zip(a, b, strict=True) if x < 128 or y < 128)
    return both / either


def agreement(left: list[bool], right: list[bool]) -> float:
    return sum(a == b for a, b in zip(left, right, strict=True)) / len(left)


def test_this_host_has_a_font_with_persian_letters_and_the_raqm_layout():
    path = find_font()
    assert path is not None, "install fonts-dejavu-core (./dev test does)"
    assert features.check("raqm"), "Pillow's raqm layout needs FriBiDi (Debian libfribidi0)"
    font = ImageFont.truetype(str(path), FONT_PX)
    assert font.getmask("ش").getbbox() != font.getmask("\U000f0000").getbbox()  # a real glyph, not the missing box


def test_a_latin_header_inks_the_band_and_leaves_the_body_untouched():
    original = page_tiff()
    [before] = frames(original)
    [after] = frames(HeaderStamper().stamp(original, PageHeader("Contoso Ltd", WHEN, "+44 20 7946 0000")))
    assert after.size == before.size
    assert after.crop((0, 0, 1728, FINE_ROWS)).getextrema() == (0, 255)  # ink in the band
    assert before.crop((0, 0, 1728, FINE_ROWS)).getextrema() == (255, 255)
    body = (0, FINE_ROWS, 1728, before.size[1])
    assert after.crop(body).tobytes() == before.crop(body).tobytes()
    with Image.open(io.BytesIO(HeaderStamper().stamp(original, PageHeader("x", WHEN)))) as stamped:
        assert (stamped.mode, stamped.info["compression"], stamped.info["dpi"]) == ("1", "group4", (204.0, 196.0))


def test_the_header_text_starts_at_the_left_margin_as_a_reference_rendering_does():
    [after] = frames(HeaderStamper().stamp(page_tiff(), PageHeader("Contoso Ltd", WHEN)))
    expected = reference("Contoso Ltd", ImageFont.Layout.RAQM)
    width = expected.size[0]
    drawn = ink_columns(after.crop((MARGIN_PX, 0, MARGIN_PX + width, FINE_ROWS)))
    assert agreement(drawn, ink_columns(expected)) > 0.97


def test_a_persian_header_is_shaped_and_right_to_left():
    assert is_right_to_left(PERSIAN)
    [after] = frames(HeaderStamper().stamp(page_tiff(), PageHeader(PERSIAN, WHEN)))
    shaped = reference(PERSIAN, ImageFont.Layout.RAQM)  # right to left, letters joined
    wrong_order = reference(PERSIAN, ImageFont.Layout.RAQM, words_left_to_right=True)
    unshaped = reference(PERSIAN, ImageFont.Layout.BASIC)  # letters isolated, in logical order
    for other in (wrong_order, unshaped):
        width = max(shaped.size[0], other.size[0])
        drawn = after.crop((MARGIN_PX, 0, MARGIN_PX + width, FINE_ROWS))
        assert overlap(drawn, pad(shaped, width)) > 0.97
        assert overlap(drawn, pad(other, width)) < 0.7


def test_pages_are_numbered_across_the_fax():
    header = PageHeader("Contoso Ltd", WHEN)
    pages = frames(HeaderStamper().stamp(page_tiff(3), header, first_page=2, total_pages=5))
    assert len(pages) == 3
    for index, page in enumerate(pages):
        label = f"Page {index + 2} of 5"
        expected = reference(label, ImageFont.Layout.RAQM)
        start = 1728 - MARGIN_PX - round(ImageFont.truetype(str(find_font()), FONT_PX).getlength(label))
        drawn = ink_columns(page.crop((start, 0, start + expected.size[0], FINE_ROWS)))
        assert agreement(drawn, ink_columns(expected)) > 0.97
    assert header.fields(3, 5)[1] == ["2026-12-06 09:40 UTC", "Page 3 of 5"]
    assert PageHeader("x", WHEN, "+98 21 8888 1000").fields(1, 1)[1][0] == "From +98 21 8888 1000"


def test_a_header_too_long_for_the_line_is_cut_with_an_ellipsis_never_wrapped():
    original = page_tiff()
    [before] = frames(original)
    long_header = "Contoso International Trading and Shipping Company " * 20
    [after] = frames(HeaderStamper().stamp(original, PageHeader(long_header, WHEN, "+44 20 7946 0000")))
    body = (0, FINE_ROWS, 1728, before.size[1])
    assert after.crop(body).tobytes() == before.crop(body).tobytes()  # nothing wrapped onto the page
    font = ImageFont.truetype(str(find_font()), FONT_PX)
    fixed = PageHeader(long_header, WHEN, "+44 20 7946 0000").fields(1, 1)[1]
    fixed_start = 1728 - MARGIN_PX - sum(round(font.getlength(f)) for f in fixed) - GAP_PX * (len(fixed) - 1)
    gap = ink_columns(after.crop((fixed_start - GAP_PX + 2, 0, fixed_start - 1, FINE_ROWS)))
    assert not any(gap)  # the header stops before the fixed fields
    cut = fit(clean(long_header), font, 600)
    assert cut.endswith(ELLIPSIS) and font.getlength(cut) <= 600
    assert fit("Contoso", font, 1000) == "Contoso"
    assert fit("Contoso", font, 1) == ""


def test_hostile_header_text_is_cleaned_and_bounded():
    assert clean("Contoso\x00\x1b[31m\nLtd\u202e\u2066evil\x7f\u0085") == "Contoso[31m Ltdevil"
    assert clean("شرکت\u200cها") == "شرکت\u200cها"  # the zero-width non-joiner stays
    assert len(clean("A" * 10_000)) == MAX_CHARS
    original = page_tiff()
    [before] = frames(original)
    hostile = ("\x07\u202eEvil\r\nCorp\t" * 1_000)[:10_000]
    [after] = frames(HeaderStamper().stamp(original, PageHeader(hostile, WHEN, "\x00+1\n555")))
    body = (0, FINE_ROWS, 1728, before.size[1])
    assert after.crop(body).tobytes() == before.crop(body).tobytes()
    assert after.crop((0, 0, 1728, FINE_ROWS)).getextrema() == (0, 255)


def test_a_page_with_ink_in_the_margin_is_shrunk_below_the_band_not_covered():
    original = page_tiff(ink_at_top=True)
    [before] = frames(original)
    [after] = frames(HeaderStamper().stamp(original, PageHeader("Contoso Ltd", WHEN)))
    height = after.size[1]
    before_rows, after_rows = ink_rows(before, (16, 22)), ink_rows(after, (16, 22))
    assert before_rows[0] == 0  # the page had ink in the band's place
    scale = (height - FINE_ROWS) / height
    assert abs(after_rows[0] - FINE_ROWS) <= 1  # its top bar now starts just under the band
    assert abs(after_rows[-1] - (FINE_ROWS + before_rows[-1] * scale)) <= 2  # its last ink is still on the page
    assert after_rows[-1] < height
    assert after.crop((0, 0, MARGIN_PX - 2, FINE_ROWS)).getextrema() == (255, 255)  # nothing drawn over the bar


def test_normal_resolution_gets_a_band_of_half_the_rows():
    limits = ConversionLimits(resolution=Resolution.NORMAL)
    original = page_tiff(resolution=Resolution.NORMAL)
    [before] = frames(original)
    [after] = frames(HeaderStamper(limits).stamp(original, PageHeader("Contoso Ltd", WHEN)))
    rows = round(BAND_IN * 98)
    assert after.crop((0, 0, 1728, rows)).getextrema() == (0, 255)
    assert (
        after.crop((0, rows, 1728, before.size[1])).tobytes() == before.crop((0, rows, 1728, before.size[1])).tobytes()
    )


def test_without_a_font_the_header_names_the_package(tmp_path):
    stamper = HeaderStamper(font_path=None)
    stamper.font_path = None
    with pytest.raises(ConverterMissingError) as raised:
        stamper.stamp(page_tiff(), PageHeader("Contoso", WHEN))
    assert raised.value.package == "fonts-dejavu-core"
    assert find_font((tmp_path / "none.ttf",)) is None


def test_a_right_to_left_header_without_raqm_is_refused_not_misdrawn(monkeypatch):
    monkeypatch.setattr(features, "check", lambda name: name != "raqm")
    with pytest.raises(ConverterMissingError, match="right-to-left"):
        HeaderStamper().stamp(page_tiff(), PageHeader(PERSIAN, WHEN))
    [after] = frames(HeaderStamper().stamp(page_tiff(), PageHeader("Contoso", WHEN)))  # Latin needs no raqm
    assert after.crop((0, 0, 1728, FINE_ROWS)).getextrema() == (0, 255)


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        PageHeader("Contoso", datetime(2026, 12, 6, 9, 40))
