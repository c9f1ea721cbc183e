"""A Persian company header (FAX-14, X-05) drawn right to left: its order on the line, shaping, numbers and cuts.

Each field is compared with the same words drawn here with Pillow's raqm layout
right to left, at the place the mirrored layout puts it: the header text ending
at the right margin, then (leftwards) "از <number>", the date and time, and
"صفحه N از M" at the left margin. The wrong drawings it must not match are the
same words with their numbers not isolated (a leading ``+`` then moves to the
far side of its digits and digit groups swap) and in left-to-right order.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, ImageDraw, ImageFont, features

from connectors.documents import ConverterMissingError, HeaderStamper
from connectors.documents.header import BAND_IN, ELLIPSIS, FONT_PX, GAP_PX, MARGIN_PX, RTL, find_font, fit
from connectors.documents.header_text import LRI, PDI, HeaderStyle, PageHeader
from tests.unit.connectors.documents.test_header import FINE_ROWS, PERSIAN, frames, ink_columns, overlap, page_tiff

pytestmark = pytest.mark.timeout(60)

ESFAND_30_1403 = datetime(2025, 3, 20, 6, 10, tzinfo=UTC)
PERSIAN_STYLE = HeaderStyle(ZoneInfo("Asia/Tehran"), jalali=True, persian=True)
WIDTH = 1728


def font() -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font()), FONT_PX, layout_engine=ImageFont.Layout.RAQM)


def drawn_alone(text: str, direction: str | None = RTL, width: int | None = None) -> Image.Image:
    """``text`` drawn here as the stamper draws a field, at the left of a band ``width`` wide, 1-bit."""
    square = round(BAND_IN * 204)
    width = width or round(font().getlength(text, direction=direction)) + 4
    image = Image.new("L", (width, square), 255)
    ImageDraw.Draw(image).text((0, square / 2), text, font=font(), fill=0, anchor="lm", direction=direction)
    image = image.resize((width, FINE_ROWS), Image.Resampling.LANCZOS)
    return image.point(lambda value: 0 if value < 160 else 255).convert("1")


def stamped(header: PageHeader) -> Image.Image:
    [page] = frames(HeaderStamper().stamp(page_tiff(), header))
    return page.crop((0, 0, WIDTH, FINE_ROWS))


def field_boxes(fixed: list[str]) -> list[tuple[int, int]]:
    """Where the mirrored layout puts each field (reading order), as (left, right) columns."""
    boxes, left = [], MARGIN_PX
    for field in reversed(fixed):
        width = round(font().getlength(field, direction=RTL))
        boxes.append((left, left + width))
        left += width + GAP_PX
    return list(reversed(boxes))


@pytest.fixture(scope="module")
def header() -> PageHeader:
    return PageHeader(PERSIAN, ESFAND_30_1403, "+98 21 8888 1000", PERSIAN_STYLE)


@pytest.fixture(scope="module")
def band(header: PageHeader) -> Image.Image:
    return stamped(header)


def test_each_field_is_where_the_mirrored_layout_puts_it_and_drawn_right_to_left(header, band) -> None:
    text, fixed = header.fields(1, 1)
    assert fixed[-1] == "صفحه ۱ از ۱"
    boxes = field_boxes(fixed)
    assert boxes[-1][0] == MARGIN_PX  # "page 1 of 1" is leftmost, the last field in reading order
    assert [left for left, _ in boxes] == sorted((left for left, _ in boxes), reverse=True)
    for field, (left, _) in zip(fixed, boxes, strict=True):
        expected = drawn_alone(field)
        assert overlap(band.crop((left, 0, left + expected.size[0], FINE_ROWS)), expected) > 0.97, field
    title = drawn_alone(text)
    end = WIDTH - MARGIN_PX
    assert overlap(band.crop((end - title.size[0] + 4, 0, end + 4, FINE_ROWS)), title) > 0.97
    assert not any(ink_columns(band.crop((end + 1, 0, WIDTH, FINE_ROWS))))  # the right margin stays blank
    assert any(ink_columns(band.crop((end - 6, 0, end + 1, FINE_ROWS))))  # the header text reaches it


def test_the_sending_number_and_the_zone_keep_their_plus_in_front_and_their_groups_in_order(header, band) -> None:
    _, fixed = header.fields(1, 1)
    boxes = field_boxes(fixed)
    for field, (left, _) in zip(fixed[:2], boxes[:2], strict=True):
        assert LRI in field and PDI in field
        right = drawn_alone(field)
        not_isolated = drawn_alone(field.replace(LRI, "").replace(PDI, ""), width=right.size[0])
        drawn = band.crop((left, 0, left + right.size[0], FINE_ROWS))
        assert overlap(drawn, right) > 0.97
        assert overlap(drawn, not_isolated) < 0.75, field


def test_persian_words_are_shaped_and_read_right_to_left_not_left_to_right(header, band) -> None:
    _, fixed = header.fields(1, 1)
    page_field = fixed[-1]
    right = drawn_alone(page_field)
    drawn = band.crop((MARGIN_PX, 0, MARGIN_PX + right.size[0], FINE_ROWS))
    assert overlap(drawn, right) > 0.97
    assert overlap(drawn, words_in_reading_order_from_the_left(page_field, right.size[0])) < 0.75


def words_in_reading_order_from_the_left(text: str, width: int) -> Image.Image:
    """Each word shaped, but the words placed left to right in reading order: a layout without bidi reordering."""
    square = round(BAND_IN * 204)
    image = Image.new("L", (width, square), 255)
    draw, x = ImageDraw.Draw(image), 0.0
    for word in text.split(" "):
        draw.text((x, square / 2), word, font=font(), fill=0, anchor="lm", direction=RTL)
        x += font().getlength(word, direction=RTL) + font().getlength(" ")
    image = image.resize((width, FINE_ROWS), Image.Resampling.LANCZOS)
    return image.point(lambda value: 0 if value < 160 else 255).convert("1")


def test_a_long_persian_header_is_cut_at_its_end_on_the_left_and_stops_before_the_fields() -> None:
    long_header = (PERSIAN + " ") * 40
    header = PageHeader(long_header, ESFAND_30_1403, "+98 21 8888 1000", PERSIAN_STYLE)
    band = stamped(header)
    _, fixed = header.fields(1, 1)
    fields_end = field_boxes(fixed)[0][1]
    assert not any(ink_columns(band.crop((fields_end + 2, 0, fields_end + GAP_PX - 2, FINE_ROWS))))
    room = WIDTH - MARGIN_PX - fields_end - GAP_PX
    cut = fit(long_header.strip(), font(), room, direction=RTL)
    assert cut.endswith(ELLIPSIS) and font().getlength(cut, direction=RTL) <= room
    expected = drawn_alone(cut)
    end = WIDTH - MARGIN_PX
    assert overlap(band.crop((end - expected.size[0] + 4, 0, end + 4, FINE_ROWS)), expected) > 0.97


def test_english_words_keep_the_left_to_right_layout_whatever_the_calendar_or_header_text() -> None:
    header = PageHeader(PERSIAN, ESFAND_30_1403, "", HeaderStyle(ZoneInfo("Asia/Tehran"), jalali=True))
    band = stamped(header)
    _, fixed = header.fields(1, 1)
    assert fixed == ["1403/12/30 09:40 +0330", "Page 1 of 1"]
    last = drawn_alone(fixed[-1], direction=None)
    start = WIDTH - MARGIN_PX - round(font().getlength(fixed[-1]))
    assert overlap(band.crop((start, 0, start + last.size[0], FINE_ROWS)), last) > 0.97  # rightmost, as before
    assert any(ink_columns(band.crop((MARGIN_PX, 0, MARGIN_PX + 8, FINE_ROWS))))  # the header text at the left


def test_persian_words_without_the_raqm_layout_are_refused_even_under_a_latin_header(monkeypatch) -> None:
    monkeypatch.setattr(features, "check", lambda name: name != "raqm")
    with pytest.raises(ConverterMissingError, match="right-to-left"):
        HeaderStamper().stamp(page_tiff(), PageHeader("Contoso", ESFAND_30_1403, style=PERSIAN_STYLE))
