"""The fax page and the limits every conversion runs under (Class F: ITU-T T.4 page widths and resolutions)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

#: Pixels across a fax page at 204 dpi (T.4's 215 mm scan line), whatever the paper.
FAX_WIDTH_PX = 1728
#: Horizontal resolution of every fax page.
FAX_X_DPI = 204


class Paper(StrEnum):
    """The page a document is laid out on; the value is its height in inches x 100."""

    A4 = "a4"
    LETTER = "letter"

    @property
    def height_in(self) -> float:
        return 11.69 if self is Paper.A4 else 11.0


class Resolution(StrEnum):
    """Vertical resolution: *fine* 196 lines per inch, *normal* 98."""

    FINE = "fine"
    NORMAL = "normal"

    @property
    def y_dpi(self) -> int:
        return 196 if self is Resolution.FINE else 98


@dataclass(frozen=True)
class ConversionLimits:
    """What a conversion may take and make.

    ``max_input_bytes`` refuses big attachments before any work;
    ``max_pixels`` refuses an image (each page of it) before it is decoded, which
    is what stops a decompression bomb; ``max_pages`` caps pages made;
    ``timeout_s`` bounds each converter program (it and all it started are killed).
    """

    max_input_bytes: int = 20 * 1024 * 1024
    max_pixels: int = 50_000_000
    max_pages: int = 50
    timeout_s: float = 120.0
    paper: Paper = Paper.A4
    resolution: Resolution = Resolution.FINE

    @property
    def page_rows(self) -> int:
        """Rows in one fax page (A4 fine: 2292)."""
        return round(self.paper.height_in * self.resolution.y_dpi)
