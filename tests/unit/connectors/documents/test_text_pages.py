"""Plain text laid out on fax pages (SMS-07 answers by fax): alignment, shaping, bidi order, wrapping, pages,
hostile text. Checked by pixel properties of the real TIFF, not against a stored image."""

from __future__ import annotations

import io
import math

import pytest
from PIL import Image, ImageChops, ImageFilter, features

from connectors.documents import ConversionLimits, ConverterMissingError, Resolution, is_fax_ready
from connectors.documents.errors import UnsupportedDocumentError
from connectors.documents.text_pages import (
    CUT_MARK,
    MAX_CHARS,
    SIDE_MARGIN_IN,
    Line,
    TextRenderer,
    clean_text,
    direction_of,
    lay_out,
)

pytestmark = pytest.mark.timeout(120)

MARGIN = round(SIDE_MARGIN_IN * 204)
RIGHT = 1728 - MARGIN


def pages_of(content: bytes) -> list[Image.Image]:
    with Image.open(io.BytesIO(content)) as image:
        found = []
        for index in range(image.n_frames):
            image.seek(index)
            found.append(image.convert("L").copy())
        return found


def ink(image: Image.Image) -> Image.Image:
    """White where the page is black: ``getbbox`` then gives the ink's box."""
    return image.point(lambda value: 255 if value < 128 else 0)


def ink_box(image: Image.Image) -> tuple[int, int, int, int]:
    box = ink(image).getbbox()
    assert box is not None, "the page has no ink"
    return box


def ink_bands(image: Image.Image) -> list[tuple[int, int]]:
    """Runs of rows holding ink: the printed lines, top to bottom."""
    marked = ink(image)
    width, height = marked.size
    bands, start = [], None
    for y in range(height):
        has_ink = marked.crop((0, y, width, y + 1)).getbbox() is not None
        if has_ink and start is None:
            start = y
        elif not has_ink and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, height))
    return bands


def first_page(text: str, renderer: TextRenderer | None = None) -> Image.Image:
    return pages_of((renderer or TextRenderer()).render(text).content)[0]


def best_match(page: Image.Image, word: str) -> tuple[int, int, float]:
    """Where ``word``, rendered alone on the same first line, best fits in ``page``'s first line: (left
    column, the word's ink width, share of ink pixels with no counterpart within a pixel there). The pixel
    of slack absorbs the word being drawn at another fraction of a pixel alone than within the line."""
    alone = ink(first_page(word))
    x0, y0, x1, y1 = alone.getbbox()
    template, line = alone.crop((x0, y0, x1, y1)).convert("1"), ink(page).crop((0, y0, 1728, y1)).convert("1")
    near_template = template.convert("L").filter(ImageFilter.MaxFilter(3)).convert("1")
    near_line = line.convert("L").filter(ImageFilter.MaxFilter(3)).convert("1")
    total = template.histogram()[255]
    scores = []
    for x in range(0, 1728 - (x1 - x0)):
        box = (x, 0, x + x1 - x0, y1 - y0)
        missing = ImageChops.logical_and(template, ImageChops.invert(near_line.crop(box)))
        extra = ImageChops.logical_and(line.crop(box), ImageChops.invert(near_template))
        scores.append(((missing.histogram()[255] + extra.histogram()[255]) / total, x))
    share, x = min(scores)
    return x, x1 - x0, share


def test_this_host_renders_with_a_font_and_the_raqm_layout():
    renderer = TextRenderer()
    assert renderer.font_path is not None, "no font: install fonts-dejavu-core (./dev test does)"
    assert features.check("raqm"), "Pillow has no libraqm layout: install libfribidi0 (./dev test does)"


def test_the_result_is_a_fax_tiff_in_both_resolutions_and_codings():
    for resolution, rows, compression in ((Resolution.FINE, 2291, "group4"), (Resolution.NORMAL, 1146, "group3")):
        limits = ConversionLimits(resolution=resolution)
        document = TextRenderer(limits, compression=compression).render("Your balance is 1,250,000 rials.")
        assert is_fax_ready(document.content) and document.pages == 1 and not document.is_cut
        with Image.open(io.BytesIO(document.content)) as image:
            assert image.size == (1728, rows) and image.mode == "1"
            assert image.info["compression"] == compression
            assert tuple(round(v) for v in image.info["dpi"]) == (204, resolution.y_dpi)


def test_an_english_line_starts_at_the_left_margin():
    left, _, right, _ = ink_box(first_page("Your balance is 1,250,000 rials."))
    assert MARGIN - 1 <= left <= MARGIN + 4
    assert right < 1728 / 2  # a short line: nothing near the right margin


def test_a_persian_line_ends_at_the_right_margin():
    left, _, right, _ = ink_box(first_page("مانده حساب شما ۱٬۲۵۰٬۰۰۰ ریال است"))
    assert RIGHT - 4 <= right <= RIGHT + 1
    assert left > 1728 / 2  # a short line: nothing near the left margin


def test_a_shaped_persian_word_is_narrower_than_its_letters_standing_alone():
    """Joined (medial) beh is a short stroke; with a zero-width non-joiner between them each beh stands
    alone in its wide isolated form. Without shaping both would be five isolated letters, equally wide."""
    joined = ink_box(first_page("ببببب"))
    apart = ink_box(first_page("ب\u200cب\u200cب\u200cب\u200cب"))
    assert (joined[2] - joined[0]) < 0.6 * (apart[2] - apart[0])


def test_a_latin_word_inside_persian_text_sits_between_the_persian_words_in_reading_order():
    """«خوش ABC دنیا» read right to left: خوش at the right margin, then ABC, then دنیا on the left."""
    page = first_page("خوش ABC دنیا")
    found = {word: best_match(page, word) for word in ("خوش", "ABC", "دنیا")}
    assert all(share < 0.05 for _, _, share in found.values())
    (x_right, width_right, _), (x_mid, width_mid, _), (x_left, width_left, _) = found.values()
    assert x_left + width_left < x_mid and x_mid + width_mid < x_right
    assert RIGHT - 4 <= x_right + width_right <= RIGHT + 1


def test_digits_inside_persian_text_keep_their_left_to_right_order():
    page = first_page("کد شما 2048 است")
    x_digits, width, share = best_match(page, "2048")
    assert share < 0.05
    assert best_match(page, "8402")[2] > 0.2  # the digits reversed are nowhere on the line
    x_last, width_last, share_last = best_match(page, "است")  # the last word, read last: on the left
    assert share_last < 0.05 and x_last + width_last < x_digits


def test_long_text_wraps_inside_the_margins_by_measured_width():
    page = first_page("The quick brown fox jumps over the lazy dog. " * 12)
    left, _, right, _ = ink_box(page)
    assert left >= MARGIN - 1 and right <= RIGHT + 1
    assert right > RIGHT - 120  # lines are filled, not broken early
    assert len(ink_bands(page)) >= 4


def test_a_line_with_no_spaces_is_cut_to_fit():
    for word in ("x" * 400, "ب" * 300):
        page = first_page(word)
        left, _, right, _ = ink_box(page)
        assert left >= MARGIN - 1 and right <= RIGHT + 1
        assert len(ink_bands(page)) >= 2


def test_long_text_goes_on_as_many_pages_as_it_needs_no_line_lost_or_repeated():
    count = 150
    document = TextRenderer().render("\n".join(f"Line {n}" for n in range(1, count + 1)))
    pages = pages_of(document.content)
    per_page = len(ink_bands(pages[0]))
    assert document.pages == len(pages) == math.ceil(count / per_page) > 1
    assert len(ink_bands(pages[-1])) == count - per_page * (len(pages) - 1)
    assert is_fax_ready(document.content)


def test_a_megabyte_of_text_is_bounded_and_says_it_was_cut():
    renderer = TextRenderer(ConversionLimits(max_pages=2))
    document = renderer.render("آزمایش متن " * 100_000)
    assert document.is_cut and document.pages == 2
    assert len(clean_text("a" * 1_000_000)) == MAX_CHARS
    last = pages_of(document.content)[-1]
    mark = ink_box(first_page(CUT_MARK, renderer))
    assert ink_box(last)[3] > mark[3] + 1000  # the mark is the last line, far down a full last page


def test_bidi_overrides_and_control_characters_are_removed_before_drawing():
    plain = first_page("abcdef 123")
    for hostile in ("abc\u202edef\u202c 123", "a\x00b\x07c\x1bdef\u2066 123\u2069", "\u200fabc\u061cdef 123"):
        assert ImageChops.difference(plain, first_page(hostile)).getbbox() is None


def test_nothing_to_print_is_refused():
    with pytest.raises(UnsupportedDocumentError):
        TextRenderer().render("\u202e\x00\n\n \t")


def test_without_a_font_the_renderer_names_the_package(tmp_path, monkeypatch):
    renderer = TextRenderer()
    monkeypatch.setattr(renderer, "font_path", None)
    with pytest.raises(ConverterMissingError) as caught:
        renderer.render("hello")
    assert caught.value.package == "fonts-dejavu-core"


def test_right_to_left_text_without_raqm_is_refused_not_misdrawn(monkeypatch):
    monkeypatch.setattr(features, "check", lambda name: name != "raqm")
    with pytest.raises(ConverterMissingError, match="right-to-left"):
        TextRenderer().render("سلام")
    assert TextRenderer().render("hello").pages == 1  # left-to-right text needs no raqm


def test_clean_text_keeps_paragraphs_and_persian_joiners_and_collapses_blank_runs():
    assert clean_text("\n\n a\t b \r\n\r\n\r\n\r\nمی\u200cخواهم\u2028c\n\n") == "a b\n\nمی\u200cخواهم\nc"


def test_direction_is_the_first_strong_letter_and_digit_lines_follow_the_text():
    assert direction_of("123 سلام abc") == "rtl" and direction_of("(1) abc سلام") == "ltr"
    assert direction_of("123 ۴۵۶") is None
    lines = lay_out("سلام\n12345\nabc", lambda text, _d: len(text) * 10.0, 1000)
    assert [line.direction for line in lines] == ["rtl", "rtl", "ltr"]


def test_lay_out_breaks_at_spaces_by_measured_width_and_never_before_a_mark():
    def measure(text: str, _direction: str) -> float:
        return 10.0 * len(text)

    assert lay_out("aaa bbb ccc", measure, 75) == [Line("aaa bbb", "ltr"), Line("ccc", "ltr")]
    assert [line.text for line in lay_out("abcdefghij", measure, 40)] == ["abcd", "efgh", "ij"]
    vowelled = "بَبَبَبَ"  # letters each carrying a fatha (a combining mark)
    pieces = [line.text for line in lay_out(vowelled, measure, 30)]
    assert "".join(pieces) == vowelled and not any(p[0] == "\u064e" for p in pieces)
    assert len(lay_out("a\n" * 100, measure, 100, max_lines=7)) == 7
