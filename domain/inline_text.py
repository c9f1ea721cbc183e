"""A name, number or path put inside a sentence the suite writes, whatever it holds (X-05).

Names come from CRM records, caller ids and fax stations; file names and paths from a
recorder. Any of them may carry bidirectional controls (pasted from a right-to-left app,
or hostile: an override such as U+202E turns the rest of a subject around), line breaks
or thousands of characters. :func:`inline` makes one safe to embed: the controls and
other invisible control characters go, runs of blanks become one space, and an
over-long value is cut with an ellipsis. In Persian (right-to-left) text the value is
also wrapped in a first-strong isolate (U+2068 … U+2069), so a Latin name or a number
stays upright and in place, as the phone-call subjects do (``domain/calls/subject.py``).

Pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata

from domain.digits import BIDI_MARKS

#: First-strong isolate and pop-directional isolate, around a value inside right-to-left text.
ISOLATE = "\u2068{}\u2069"
ELLIPSIS = "…"
_BIDI = re.compile(f"[{BIDI_MARKS}\u061c]")
_BLANKS = re.compile(r"\s+")


def inline(value: str | None, limit: int, *, rtl: bool = False) -> str:
    """``value`` cleaned to one line of at most ``limit`` characters (before the isolate), isolated when
    ``rtl``. An empty or blank value gives ``""``, never an empty isolate.

    Raises ``ValueError`` when ``limit`` is below 1.
    """
    if limit < 1:
        raise ValueError(f"the limit must be at least 1, not {limit}")
    text = _BIDI.sub("", value or "")
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    text = _BLANKS.sub(" ", text).strip()
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + ELLIPSIS
    if not text:
        return ""
    return ISOLATE.format(text) if rtl else text


__all__ = ["ELLIPSIS", "ISOLATE", "inline"]
