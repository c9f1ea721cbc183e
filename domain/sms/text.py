"""Persian / Arabic text normalisation for matching and display (X-05, SMS-15, SMS-16).

Customers type the same word many ways: Arabic yeh and kaf (``ي``, ``ك``)
instead of the Persian ones (``ی``, ``ک``), Persian or Arabic-Indic digits,
zero-width non-joiners, tatweel, vowel marks, bidi marks pasted from other
apps, Latin in any case. :func:`fold` maps all of these to one form so that a
keyword compares equal however it was typed
(https://pub.dev/documentation/message_segment_calculator/1.2.0/sms_segment_calculator/SegmentedMessage/maxCharsPerSegment.html
"Persian/
Arabic normalization"). It is for *comparing* only; text shown to people or
stored on a record is never replaced by its folded form.

Pure: no I/O. Every function here is idempotent.
"""

from __future__ import annotations

import re
import unicodedata

from domain.digits import to_ascii_digits

# Arabic letter variants that Persian keyboards and old phones produce.
_LETTERS = str.maketrans(
    {
        "\u064a": "\u06cc",  # ARABIC LETTER YEH -> FARSI YEH
        "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
        "\u0643": "\u06a9",  # ARABIC LETTER KAF -> KEHEH
        "\u0629": "\u0647",  # TEH MARBUTA -> HEH
        "\u06c0": "\u0647",  # HEH WITH YEH ABOVE -> HEH
    }
)
# Invisible or decorative characters: ZWNJ/ZWJ/ZWSP, bidi marks and isolates,
# BOM, soft hyphen, tatweel, and the Arabic vowel marks (harakat, superscript alef).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u00ad\u0640\u064b-\u065f\u0670\u06d6-\u06ed]")
_SPACES = re.compile(r"\s+")
_MAX_ROUNDS = 4


def unify_letters(text: str) -> str:
    """Persian letter forms for Arabic ones (``ي``→``ی``, ``ك``→``ک``), ASCII digits.

    Suitable for stored text (it keeps ZWNJ, case and spacing), unlike :func:`fold`.
    """
    return to_ascii_digits(text.translate(_LETTERS))


def fold(text: str) -> str:
    """The comparison form of ``text``: the same for every way of typing one word.

    NFKC (Arabic presentation forms, full-width Latin and digits), Persian
    letters for Arabic ones, ASCII digits, invisible marks and vowel marks
    removed, whitespace collapsed to single spaces and trimmed, Latin case
    folded. ``fold(fold(x)) == fold(x)`` for every string.
    """
    for _ in range(_MAX_ROUNDS):
        folded = _fold_once(text)
        if folded == text:
            break
        text = folded
    return text


def _fold_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text.casefold())
    text = _INVISIBLE.sub("", unify_letters(text))
    return _SPACES.sub(" ", text).strip()


def storable_text(text: str) -> str:
    """``text`` with what no stored text can hold replaced by U+FFFD: NUL, and lone UTF-16 surrogates (a JSON
    ``"\\ud800"`` decodes to one, which UTF-8 cannot encode). Everything else, bidi controls included, is kept
    as sent; a surrogate pair left split is joined. Idempotent.
    """
    if text.isascii() and "\x00" not in text:
        return text
    joined = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return joined.replace("\x00", "\ufffd")
