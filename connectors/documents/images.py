"""Images (PNG, JPEG, GIF, BMP, TIFF of any kind) to a fax-ready TIFF, with Pillow.

The result is TIFF Class F as fax servers take it (ITU-T T.4 / the TIFF-F
profile): 1-bit, CCITT Group 4 (or Group 3) compression, 204 dpi across and
196 (fine) or 98 (normal) lines per inch, 1728 pixels wide, one A4 or letter
page per frame (multi-page TIFFs and animated GIFs give several pages). Each
image is fitted to the page, never enlarged past its own size where it says
its resolution, and dithered to black and white.

Pillow is imported when a conversion runs (``pip install commsuite[fax]`` or
Debian's ``python3-pil``); without it :class:`ImageConverter` raises
``ConverterMissingError``. An image's size is read from its header and
checked against ``max_pixels`` before any pixel is decoded, and Pillow's own
decompression-bomb warning is an error here, so a small file that expands to
gigabytes is refused, not decoded.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

from connectors.documents.errors import ConverterMissingError, CorruptDocumentError, DocumentTooLargeError
from connectors.documents.formats import IMAGES, SourceFormat
from connectors.documents.limits import FAX_WIDTH_PX, FAX_X_DPI, ConversionLimits
from domain.fax import DocumentKind

#: Pillow's TIFF compression names for the two fax codings.
G4, G3 = "group4", "group3"


class ImageConverter:
    """Converts images to Class F TIFF in-process (no program to time out: the pixel limit bounds the work)."""

    name = "Pillow"

    def __init__(self, limits: ConversionLimits | None = None, *, compression: str = G4):
        if compression not in (G3, G4):
            raise ValueError(f"compression must be {G4!r} or {G3!r}")
        self.limits, self.compression = limits or ConversionLimits(), compression

    def convert(self, content: bytes, source: SourceFormat) -> tuple[DocumentKind, bytes]:
        """The fax TIFF of ``content``; raises the ``connectors.documents.errors`` a bad image deserves."""
        if source not in IMAGES:
            raise ValueError(f"{source} is not an image")
        image_module = pillow_image()
        pages = []
        with warnings.catch_warnings():
            warnings.simplefilter("error", image_module.DecompressionBombWarning)
            try:
                with image_module.open(io.BytesIO(content)) as image:
                    for index, frame in enumerate(_frames(image)):
                        if index >= self.limits.max_pages:
                            raise DocumentTooLargeError(f"the image has more than {self.limits.max_pages} pages")
                        pages.append(self._page(image_module, frame))
            except (image_module.DecompressionBombWarning, image_module.DecompressionBombError) as exc:
                raise DocumentTooLargeError(f"the image is too large to fax ({exc})") from exc
            except (OSError, SyntaxError, ValueError, EOFError, image_module.UnidentifiedImageError) as exc:
                raise CorruptDocumentError(f"the image cannot be read: it is damaged ({exc})") from exc
        return DocumentKind.TIFF, self._save(pages)

    def _page(self, image_module: Any, frame: Any) -> Any:
        width, height = frame.size
        if width * height > self.limits.max_pixels:
            raise DocumentTooLargeError(
                f"the image is {width} x {height} pixels, more than the {self.limits.max_pixels} a fax page may take"
            )
        frame.load()
        grey = _on_white(image_module, frame)
        rows, y_scale = self.limits.page_rows, self.limits.resolution.y_dpi / FAX_X_DPI
        scale = min(FAX_WIDTH_PX / width, rows / (height * y_scale))
        dpi = frame.info.get("dpi")
        if dpi and dpi[0] and float(dpi[0]) > 1:
            scale = min(scale, FAX_X_DPI / float(dpi[0]))  # never bigger on paper than the image says it is
        size = (max(1, round(width * scale)), max(1, round(height * scale * y_scale)))
        page = image_module.new("L", (FAX_WIDTH_PX, rows), 255)
        page.paste(grey.resize(size, image_module.Resampling.LANCZOS), ((FAX_WIDTH_PX - size[0]) // 2, 0))
        return page.convert("1")  # Floyd-Steinberg dithering

    def _save(self, pages: list[Any]) -> bytes:
        return save_fax_tiff(pages, self.limits.resolution.y_dpi, self.compression)


def save_fax_tiff(pages: list[Any], y_dpi: int, compression: str = G4) -> bytes:
    """1-bit Pillow ``pages`` (1728 wide) as one multi-page Class F TIFF at 204 x ``y_dpi`` dpi."""
    if not pages:
        raise ValueError("a fax TIFF needs at least one page")
    out = io.BytesIO()
    pages[0].save(
        out,
        format="TIFF",
        compression=compression,
        dpi=(FAX_X_DPI, y_dpi),
        save_all=True,
        append_images=pages[1:],
    )
    return out.getvalue()


def is_fax_ready(content: bytes) -> bool:
    """True when a TIFF is already Class F (1-bit, G3 / G4, 1728 wide, 204 dpi across) on every page."""
    image_module = pillow_image()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", image_module.DecompressionBombWarning)
            with image_module.open(io.BytesIO(content)) as image:
                return all(_frame_is_fax(frame) for frame in _frames(image))
    except Exception:  # anything unreadable is not fax-ready; the conversion then says what is wrong
        return False


def _frame_is_fax(frame: Any) -> bool:
    dpi = frame.info.get("dpi") or (0, 0)
    return (
        frame.mode == "1"
        and frame.size[0] == FAX_WIDTH_PX
        and frame.info.get("compression") in ("group3", "group4")
        and round(float(dpi[0])) == FAX_X_DPI
    )


def _frames(image: Any) -> Any:
    for index in range(getattr(image, "n_frames", 1)):
        image.seek(index)
        yield image


def _on_white(image_module: Any, frame: Any) -> Any:
    """The frame in greys, transparent parts white (a fax has no transparency)."""
    if frame.mode in ("RGBA", "LA", "PA") or (frame.mode == "P" and "transparency" in frame.info):
        rgba = frame.convert("RGBA")
        white = image_module.new("RGBA", rgba.size, (255, 255, 255, 255))
        return image_module.alpha_composite(white, rgba).convert("L")
    return frame.convert("L")


def pillow_image() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:
        raise ConverterMissingError(
            "images cannot be faxed from this host: Pillow is not installed "
            "(Debian package python3-pil, or pip install commsuite[fax])",
            package="python3-pil",
        ) from exc
    return Image
