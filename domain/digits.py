"""Digit scripts: one way to read digits typed in any script, one way to write Persian ones (X-05).

Iranian users type numbers with Persian digits (``۰-۹``, U+06F0..U+06F9),
Arabic-Indic digits (``٠-٩``, U+0660..U+0669, what Arabic keyboards and
many phones give) or, from East Asian input methods and PDFs, full-width
digits (``０-９``). Text pasted from right-to-left apps also carries
invisible bidirectional marks around the digits. Every place that reads a
number, an extension, a prefix or a code goes through this module, so all
of them accept the same input:

* :func:`to_ascii_digits` maps the digits and changes nothing else;
* :func:`digit_setting` is what a digits-only field typed by a person
  becomes (a CRM column such as an extension number, a route prefix, a
  city code): ASCII digits, no bidi marks, no surrounding blanks;
* :func:`to_persian_digits` writes digits the Persian way, for display.

Python's ``str.isdigit``, ``int`` and ``re``'s ``\\d`` already *accept*
these scripts, which is the trap: a check passes and the Persian digits go
on to the PBX or a provider unchanged. Normalise first, then check.

Pure: no I/O.
"""

from __future__ import annotations

import re

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_INDIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
FULL_WIDTH_DIGITS = "０１２３４５６７８９"
#: Regex class body of the invisible bidirectional marks RTL text puts around numbers:
#: LRM, RLM, the embeddings and overrides (LRE..RLO), and the isolates (LRI..PDI).
BIDI_MARKS = "\u200e\u200f\u202a-\u202e\u2066-\u2069"

_TO_ASCII = str.maketrans(PERSIAN_DIGITS + ARABIC_INDIC_DIGITS + FULL_WIDTH_DIGITS, "0123456789" * 3)
_TO_PERSIAN = str.maketrans("0123456789" + ARABIC_INDIC_DIGITS + FULL_WIDTH_DIGITS, PERSIAN_DIGITS * 3)
_BIDI = re.compile(f"[{BIDI_MARKS}]")


def to_ascii_digits(text: str) -> str:
    """Replace Persian, Arabic-Indic and full-width digits with ASCII ``0-9``; nothing else changes."""
    return text.translate(_TO_ASCII)


def digit_setting(text: str | None) -> str:
    """A digits field as a person typed it (``"۱۰۱"``, ``"\u200e٩"``) → ``"101"``, ``"9"``.

    Digits of any script become ASCII, bidirectional marks are removed and
    surrounding blanks stripped; anything else is kept, so the caller's own
    check still refuses letters. ``None`` gives ``""``.
    """
    return _BIDI.sub("", to_ascii_digits(text or "")).strip()


def to_persian_digits(text: str) -> str:
    """Replace ASCII, Arabic-Indic and full-width digits with Persian digits (``۰-۹``).

    The decimal point and thousands separator of a formatted number become the
    Arabic decimal and thousands separators (``٫`` and ``٬``) only between
    digits, so punctuation in ordinary text is left alone.
    """
    text = re.sub(r"(?<=[0-9٠-٩]),(?=[0-9٠-٩])", "\u066c", text)
    text = re.sub(r"(?<=[0-9٠-٩])\.(?=[0-9٠-٩])", "\u066b", text)
    return text.translate(_TO_PERSIAN)
