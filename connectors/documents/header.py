"""Draw the company header (FAX-14) into the top margin of fax-ready TIFF pages, for servers with no tag line.

Each page gets a band :data:`BAND_IN` inch high at its top, drawn at the
page's own resolution (204 dpi across, 196 or 98 lines per inch), 1-bit.
When the page has no ink in that band (documents have a top margin) the
band is drawn there and the rest of the page is left exactly as it was;
when it has ink there, the whole page is shrunk (same proportions, centred)
into the space below the band, so nothing is covered and nothing is pushed
off the page. The fields (``header_text.PageHeader``) are the header text on
the left and, on the right, the sending number, the date and time (in the
header's zone) and "Page N of M", numbered across all documents of the fax. A
Persian header (``PageHeader.right_to_left``) is the mirror image: the header
text at the right margin and the fields to the left, the last ("page N of M")
leftmost, each field laid out right to left. A header too long for the space
left is cut with an ellipsis (at its end in reading order); it is never wrapped.

Right-to-left headers (Persian, Arabic) are laid out and shaped by Pillow's
libraqm layout (``PIL.features.check("raqm")``: Pillow's wheels bundle
libraqm and load FriBiDi from the system, Debian ``libfribidi0``; Debian's
``python3-pil`` uses ``libraqm0``). Without it a right-to-left header is
refused (``ConverterMissingError``) rather than printed in the wrong order.
The font is the first of :data:`FONTS` found (DejaVu Sans has Latin, Greek,
Cyrillic, Hebrew and Arabic / Persian letters; Debian ``fonts-dejavu-core``).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectors.documents.errors import ConverterMissingError, CorruptDocumentError, DocumentTooLargeError
from connectors.documents.header_text import PageHeader, is_right_to_left
from connectors.documents.images import G4, pillow_image
from connectors.documents.limits import FAX_X_DPI, ConversionLimits

#: Height of the header band, in inches (about 5 mm).
BAND_IN = 0.2
#: Text height in pixels at 204 dpi (about 8.5 points), drawn on square pixels before the band is fitted.
FONT_PX = 24
#: Blank pixels left and right of the line, and between the fixed fields.
MARGIN_PX, GAP_PX = 24, 28
ELLIPSIS = "\u2026"
#: Pillow's name for a right-to-left base direction (raqm layout only).
RTL = "rtl"
#: Fonts tried in turn (Debian paths): Vazirmatn (fonts-vazirmatn), then DejaVu Sans (fonts-dejavu-core).
FONTS = (
    Path("/usr/share/fonts/truetype/vazirmatn/Vazirmatn-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
FONT_PACKAGE = "fonts-dejavu-core"


def find_font(candidates: Sequence[Path] = FONTS) -> Path | None:
    """The first font file of ``candidates`` this host has, or None."""
    return next((path for path in candidates if path.is_file()), None)


class HeaderStamper:
    """Stamps :class:`PageHeader` onto the pages of Class F TIFFs; ``font_path`` None means :func:`find_font`."""

    name = "Pillow header"

    def __init__(self, limits: ConversionLimits | None = None, *, font_path: Path | None = None):
        self.limits = limits or ConversionLimits()
        self.font_path = font_path or find_font()

    def count_pages(self, content: bytes) -> int:
        """Pages (frames) in a TIFF."""
        image_module = pillow_image()
        try:
            with image_module.open(io.BytesIO(content)) as image:
                return int(getattr(image, "n_frames", 1))
        except (OSError, ValueError, SyntaxError, image_module.UnidentifiedImageError) as exc:
            raise CorruptDocumentError(f"the fax TIFF cannot be read ({exc})") from exc

    def stamp(
        self, content: bytes, header: PageHeader, *, first_page: int = 1, total_pages: int | None = None
    ) -> bytes:
        """``content`` (a fax TIFF) with ``header`` on every page, numbered from ``first_page`` of ``total_pages``."""
        image_module = pillow_image()
        font = self._font(header)
        pages: list[Any] = []
        dpi: tuple[float, float] = (FAX_X_DPI, self.limits.resolution.y_dpi)
        try:
            with image_module.open(io.BytesIO(content)) as image:
                count = int(getattr(image, "n_frames", 1))
                if count > self.limits.max_pages:
                    raise DocumentTooLargeError(f"the document has more than {self.limits.max_pages} pages")
                total = total_pages or first_page + count - 1
                for index in range(count):
                    image.seek(index)
                    dpi = _dpi(image.info.get("dpi"), dpi)
                    band = self._band(image_module, font, header, image.size[0], dpi, first_page + index, total)
                    pages.append(_with_band(image_module, image.convert("1"), band))
        except (OSError, ValueError, SyntaxError, EOFError, image_module.UnidentifiedImageError) as exc:
            raise CorruptDocumentError(f"the fax TIFF cannot be read ({exc})") from exc
        out = io.BytesIO()
        pages[0].save(out, format="TIFF", compression=G4, dpi=dpi, save_all=True, append_images=pages[1:])
        return out.getvalue()

    def _font(self, header: PageHeader) -> Any:
        from PIL import ImageFont, features

        if self.font_path is None:
            raise ConverterMissingError(
                f"the company header cannot be drawn: no font here (Debian package {FONT_PACKAGE})",
                package=FONT_PACKAGE,
            )
        raqm = features.check("raqm")
        if (header.right_to_left or is_right_to_left(header.text)) and not raqm:
            raise ConverterMissingError(
                "the company header is right-to-left and this host's Pillow has no libraqm layout to draw it "
                "(Debian packages libfribidi0 for Pillow's wheel, libraqm0 for python3-pil)",
                package="libfribidi0",
            )
        engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
        return ImageFont.truetype(str(self.font_path), FONT_PX, layout_engine=engine)

    def _band(
        self,
        image_module: Any,
        font: Any,
        header: PageHeader,
        width: int,
        dpi: tuple[float, float],
        page: int,
        pages: int,
    ) -> Any:
        """The band in 1-bit at the page's resolution: drawn on square pixels, then fitted to the line height."""
        from PIL import ImageDraw

        text, fixed = header.fields(page, pages)
        square_rows, rows = round(BAND_IN * dpi[0]), max(1, round(BAND_IN * dpi[1]))
        band = image_module.new("L", (width, square_rows), 255)
        draw = ImageDraw.Draw(band)
        middle = square_rows / 2
        if header.right_to_left:
            _draw_right_to_left(draw, font, text, fixed, width, middle)
        else:
            _draw_left_to_right(draw, font, text, fixed, width, middle)
        if rows != square_rows:
            band = band.resize((width, rows), image_module.Resampling.LANCZOS)
        return band.point(lambda value: 0 if value < 160 else 255).convert("1")


def _draw_left_to_right(draw: Any, font: Any, text: str, fixed: list[str], width: int, middle: float) -> None:
    """The fields from the right margin leftwards (the last field rightmost), the header text from the left one."""
    right = width - MARGIN_PX
    for field in reversed(fixed):
        right -= round(font.getlength(field))
        draw.text((right, middle), field, font=font, fill=0, anchor="lm")
        right -= GAP_PX
    fitted = fit(text, font, right - MARGIN_PX)
    if fitted:
        draw.text((MARGIN_PX, middle), fitted, font=font, fill=0, anchor="lm")


def _draw_right_to_left(draw: Any, font: Any, text: str, fixed: list[str], width: int, middle: float) -> None:
    """The mirror image: the fields from the left margin rightwards (the last field leftmost), each laid out
    right to left, and the header text, right to left, ending at the right margin."""
    left = MARGIN_PX
    for field in reversed(fixed):
        draw.text((left, middle), field, font=font, fill=0, anchor="lm", direction=RTL)
        left += round(font.getlength(field, direction=RTL)) + GAP_PX
    fitted = fit(text, font, width - MARGIN_PX - left, direction=RTL)
    if fitted:
        draw.text((width - MARGIN_PX, middle), fitted, font=font, fill=0, anchor="rm", direction=RTL)


def fit(text: str, font: Any, width: float, *, direction: str | None = None) -> str:
    """``text``, or its longest start that fits ``width`` pixels with an ellipsis after it ("" when none does).

    ``direction`` (``"rtl"``, needs the raqm layout) measures the text laid out right to left; the ellipsis is
    still at the end in reading order, so on the left of right-to-left text.
    """

    def length(part: str) -> float:
        return float(font.getlength(part, direction=direction))

    if not text or length(text) <= width:
        return text
    low, high = 0, len(text)  # the longest start that fits is in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if length(text[:middle].rstrip() + ELLIPSIS) <= width:
            low = middle
        else:
            high = middle
    start = text[:low].rstrip()
    if not start and length(ELLIPSIS) > width:
        return ""
    return start + ELLIPSIS


def _with_band(image_module: Any, page: Any, band: Any) -> Any:
    """``page`` with ``band`` over its top rows when they are blank; otherwise the page shrunk below the band."""
    width, height = page.size
    rows = band.size[1]
    if rows >= height:
        raise DocumentTooLargeError("the fax page is too short for a header")
    if page.crop((0, 0, width, rows)).getextrema() != (255, 255):
        scale = (height - rows) / height
        size = (max(1, round(width * scale)), height - rows)
        shrunk = page.convert("L").resize(size, image_module.Resampling.LANCZOS)
        canvas = image_module.new("L", (width, height), 255)
        canvas.paste(shrunk, ((width - size[0]) // 2, rows))
        page = canvas.point(lambda value: 0 if value < 128 else 255).convert("1")
    else:
        page = page.copy()
    page.paste(band, (0, 0))
    return page


def _dpi(found: object, default: tuple[float, float]) -> tuple[float, float]:
    if isinstance(found, tuple) and len(found) == 2 and all(isinstance(v, (int, float)) and v > 1 for v in found):
        return float(found[0]), float(found[1])
    return default
