"""Plain text laid out on fax pages, for answers sent by fax (SMS-07; X-05 Persian text).

:class:`TextRenderer` turns a text (an SMS keyword rule's rendered answer, say)
into a Class F TIFF as :class:`~connectors.documents.ImageConverter` makes
them: 1-bit, G4 (or G3), 1728 pixels wide at 204 dpi across, 196 (fine) or 98
(normal) lines per inch, one A4 or letter page per frame. The company header
(FAX-14) is not drawn here: the fax server prints it, or the fax sender stamps
it into the blank top margin left for it.

Layout, paragraph by paragraph (a paragraph is a line of the text):

- A paragraph's direction is that of its first strong letter (Unicode's bidi
  rules P2 and P3): Persian, Arabic or Hebrew make it right to left, laid out
  against the right margin; Latin, left to right against the left margin. A
  paragraph with no letter (digits only) takes the text's first direction.
- Each line is shaped and ordered by Pillow's libraqm layout (HarfBuzz shaping,
  FriBiDi ordering) with the paragraph's direction as the base, so joined
  Persian letters, and numbers and Latin words inside Persian text, come out in
  reading order. Lines are broken in logical order at spaces by measured width;
  a word wider than the line is cut where it fits (never before a combining mark).
- The text is cleaned first, as the header's text is
  (:func:`~connectors.documents.header_text.is_drawable`): control
  characters and bidi overrides, embeddings and isolates (which could reorder
  what the reader sees) are removed, the zero-width non-joiner and joiner kept,
  tabs and runs of spaces made one space, runs of blank lines one blank line.
- Bounds: only the first :data:`MAX_CHARS` characters are looked at, a line
  holds at most as many characters as the narrowest glyphs could fill, and at
  most ``ConversionLimits.max_pages`` pages are made. Text cut by either bound
  ends with :data:`CUT_MARK` on its own line and the result says it was cut.

Without libraqm a right-to-left text is refused (``ConverterMissingError``), as
the header is, rather than printed in the wrong order. The font is the header's
(:data:`~connectors.documents.header.FONTS`: Vazirmatn, else DejaVu Sans,
Debian ``fonts-dejavu-core``); a character the font lacks prints as its
missing-glyph box.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.documents.errors import ConverterMissingError, UnsupportedDocumentError
from connectors.documents.header import FONT_PACKAGE, find_font
from connectors.documents.header_text import is_drawable, is_right_to_left
from connectors.documents.images import G3, G4, pillow_image, save_fax_tiff
from connectors.documents.limits import FAX_WIDTH_PX, FAX_X_DPI, ConversionLimits

#: Characters of a text looked at; the rest is cut (about 12 full pages of Latin text).
MAX_CHARS = 20_000
#: Text height in pixels at 204 dpi (12 points).
FONT_PX = 34
#: Distance between baselines, as a multiple of the text height.
LINE_SPACING = 1.4
#: Margins in inches; the top one leaves room for the company header (0.2 in) above the text.
SIDE_MARGIN_IN, TOP_MARGIN_IN, BOTTOM_MARGIN_IN = 0.6, 0.6, 0.5
#: The last line of a text cut to its bounds.
CUT_MARK = "[\u2026]"
#: The narrowest glyph of a text font is wider than this share of its height; bounds a line's characters.
_NARROWEST_EM = 0.2
_RTL, _LTR = "rtl", "ltr"


@dataclass(frozen=True)
class TextDocument:
    """A rendered text: the fax TIFF, its page count, and whether the text was cut to the bounds."""

    content: bytes
    pages: int
    is_cut: bool


@dataclass(frozen=True)
class Line:
    """One printed line, in logical order, with its paragraph's direction (``rtl`` or ``ltr``)."""

    text: str
    direction: str


class TextRenderer:
    """Renders plain text to a fax TIFF with Pillow; ``font_path`` None means the header's :func:`find_font`."""

    name = "Pillow text"

    def __init__(
        self,
        limits: ConversionLimits | None = None,
        *,
        font_path: Path | None = None,
        compression: str = G4,
        max_chars: int = MAX_CHARS,
    ):
        if compression not in (G3, G4):
            raise ValueError(f"compression must be {G4!r} or {G3!r}")
        self.limits, self.compression, self.max_chars = limits or ConversionLimits(), compression, max_chars
        self.font_path = font_path or find_font()

    def render(self, text: str) -> TextDocument:
        """``text`` as fax pages; raises ``DocumentError`` (no font, no libraqm for RTL, nothing to print)."""
        cleaned = clean_text(text, self.max_chars)
        if not cleaned.strip():
            raise UnsupportedDocumentError("the text has nothing to print")
        image_module = pillow_image()
        font, has_raqm = self._font(cleaned)
        width = FAX_WIDTH_PX - 2 * _px(SIDE_MARGIN_IN)
        line_px = round(FONT_PX * LINE_SPACING)
        per_page = (_square_rows(self.limits) - _px(TOP_MARGIN_IN) - _px(BOTTOM_MARGIN_IN)) // line_px
        room = per_page * self.limits.max_pages

        def measure(line: str, direction: str) -> float:
            return float(font.getlength(line, direction=direction) if has_raqm else font.getlength(line))

        lines = lay_out(cleaned, measure, width, max_lines=room + 1)
        is_cut = len(lines) > room or len(text) > self.max_chars
        if is_cut:
            kept = lines[: room - 1]
            lines = [*kept, Line(CUT_MARK, kept[-1].direction if kept else _LTR)]
        pages = [
            self._page(image_module, font, has_raqm, lines[start : start + per_page], line_px)
            for start in range(0, len(lines), per_page)
        ]
        return TextDocument(save_fax_tiff(pages, self.limits.resolution.y_dpi, self.compression), len(pages), is_cut)

    def _font(self, text: str) -> tuple[Any, bool]:
        from PIL import ImageFont, features

        if self.font_path is None:
            raise ConverterMissingError(
                f"the text cannot be drawn: no font here (Debian package {FONT_PACKAGE})", package=FONT_PACKAGE
            )
        has_raqm = bool(features.check("raqm"))
        if is_right_to_left(text) and not has_raqm:
            raise ConverterMissingError(
                "the text is right-to-left and this host's Pillow has no libraqm layout to draw it "
                "(Debian packages libfribidi0 for Pillow's wheel, libraqm0 for python3-pil)",
                package="libfribidi0",
            )
        engine = ImageFont.Layout.RAQM if has_raqm else ImageFont.Layout.BASIC
        return ImageFont.truetype(str(self.font_path), FONT_PX, layout_engine=engine), has_raqm

    def _page(self, image_module: Any, font: Any, has_raqm: bool, lines: list[Line], line_px: int) -> Any:
        """One page drawn on square pixels (204 x 204 dpi), then fitted to the fax's rows and made 1-bit."""
        from PIL import ImageDraw

        square_rows, rows = _square_rows(self.limits), self.limits.page_rows
        page = image_module.new("L", (FAX_WIDTH_PX, square_rows), 255)
        draw = ImageDraw.Draw(page)
        left, right = _px(SIDE_MARGIN_IN), FAX_WIDTH_PX - _px(SIDE_MARGIN_IN)
        baseline = _px(TOP_MARGIN_IN) + FONT_PX
        for line in lines:
            if line.text:
                options = {"direction": line.direction} if has_raqm else {}
                x = right - font.getlength(line.text, **options) if line.direction == _RTL else left
                draw.text((x, baseline), line.text, font=font, fill=0, anchor="ls", **options)
            baseline += line_px
        if rows != square_rows:
            page = page.resize((FAX_WIDTH_PX, rows), image_module.Resampling.LANCZOS)
        return page.point(lambda value: 0 if value < 160 else 255).convert("1")


def clean_text(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` fit to print: its first ``limit`` characters, no control or bidi-format characters, single
    spaces, paragraphs (lines) kept, runs of blank lines made one, no blank lines at either end."""
    paragraphs: list[str] = []
    for raw in text[:limit].replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        kept = []
        for char in raw:
            category = unicodedata.category(char)
            if category in ("Zl", "Zp"):
                kept.append("\n")  # a line or paragraph separator breaks the line as a newline does
            elif char in "\t\v\f" or category == "Zs":
                kept.append(" ")
            elif is_drawable(char):
                kept.append(char)
        paragraphs.extend(" ".join(part.split()) for part in "".join(kept).split("\n"))
    collapsed: list[str] = []
    for paragraph in paragraphs:
        if paragraph or (collapsed and collapsed[-1]):
            collapsed.append(paragraph)
    return "\n".join(collapsed).strip("\n")


def direction_of(text: str) -> str | None:
    """``rtl`` or ``ltr`` by the first strong letter of ``text``; None when it has none (digits, marks)."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return _LTR
        if kind in ("R", "AL"):
            return _RTL
    return None


def lay_out(
    text: str, measure: Callable[[str, str], float], width: float, *, max_lines: int | None = None
) -> list[Line]:
    """The lines of cleaned ``text`` broken to ``width`` by ``measure(line, direction)``, at most ``max_lines``."""
    default = direction_of(text) or _LTR
    most_chars = max(1, math.ceil(width / (FONT_PX * _NARROWEST_EM)))
    lines: list[Line] = []
    for paragraph in text.split("\n"):
        direction = direction_of(paragraph) or default
        for piece in _wrap(paragraph, lambda s, d=direction: measure(s, d), width, most_chars):
            lines.append(Line(piece, direction))
            if max_lines is not None and len(lines) >= max_lines:
                return lines
    return lines


def _wrap(paragraph: str, measure: Callable[[str], float], width: float, most_chars: int) -> list[str]:
    """Greedy breaking at spaces; a word wider than the line is cut at the longest start that fits."""
    if not paragraph:
        return [""]
    lines: list[str] = []
    current = ""
    for word in paragraph.split(" "):
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= most_chars and measure(candidate) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while len(word) > most_chars or measure(word) > width:
            head, word = _cut(word, measure, width, most_chars)
            lines.append(head)
        current = word
    lines.append(current)
    return lines


def _cut(word: str, measure: Callable[[str], float], width: float, most_chars: int) -> tuple[str, str]:
    """``word`` split at its longest start (at least one character) that fits ``width``; marks stay with
    the letter they belong to."""
    low, high = 1, min(len(word), most_chars)  # the longest start that fits is in [low, high]
    while low < high:
        middle = (low + high + 1) // 2
        if measure(word[:middle]) <= width:
            low = middle
        else:
            high = middle - 1
    cut = low
    while cut > 1 and unicodedata.category(word[cut])[0] == "M":
        cut -= 1
    return word[:cut], word[cut:]


def _px(inches: float) -> int:
    return round(inches * FAX_X_DPI)


def _square_rows(limits: ConversionLimits) -> int:
    """The page's height in pixels at 204 lines per inch (square pixels, as it is drawn)."""
    return round(limits.paper.height_in * FAX_X_DPI)
