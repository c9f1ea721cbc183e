"""A user's mistake that keeps a fax from being sent, as a value and in words, English or Persian (FAX-01, X-05).

:class:`FaxMistakeError` is the base of :class:`~domain.fax.DialStringError` and
:class:`~domain.fax.FaxInputError`: raised with an :class:`InputProblem` and the
value concerned (a number, a file name), its message is the English words, and
the fax sender words it again in the fax server's *Header Language* for the
fax's *Status Detail* (:func:`mistake_text`). Raised with a message only (a
setting out of range, a converter's own error), it keeps that message, which the
sender quotes inside a Persian sentence.

Pure: no I/O.
"""

from __future__ import annotations

from enum import StrEnum

from domain.inline_text import inline

#: Longest number or file name kept in the words.
VALUE_MAX = 200


class InputProblem(StrEnum):
    """The mistakes a user can mend on the fax record."""

    NOT_A_NUMBER = "not a number"  # value: the fax number as typed
    NO_DOCUMENT = "no document"  # value: what may be attached, in English words
    EMPTY_DOCUMENT = "empty document"  # value: the file name
    UNREADABLE_DOCUMENT = "unreadable document"  # value: the file name


_TEXTS = {
    "en": {
        InputProblem.NOT_A_NUMBER: "{quoted} is not a fax number (digits, optionally a leading +)",
        InputProblem.NO_DOCUMENT: "The fax has no attachment: attach the document to fax ({value}) as a note, then "
        "set the fax back to Pending.",
        InputProblem.EMPTY_DOCUMENT: "{quoted} is empty",
        InputProblem.UNREADABLE_DOCUMENT: "{quoted}: the attachment's content cannot be read",
    },
    "fa": {
        InputProblem.NOT_A_NUMBER: "«{value}» شماره فکس نیست (فقط رقم، و در صورت نیاز + در ابتدا).",
        InputProblem.NO_DOCUMENT: "این فکس پیوستی ندارد: سندی را که باید فکس شود (PDF، TIFF و PostScript، تصویر "
        "PNG، JPEG، GIF یا BMP، و اسناد آفیس: Word، Excel، OpenDocument، RTF یا متن ساده) به‌صورت یادداشت پیوست "
        "کنید و وضعیت فکس را دوباره «در صف ارسال» بگذارید.",
        InputProblem.EMPTY_DOCUMENT: "فایل «{value}» خالی است.",
        InputProblem.UNREADABLE_DOCUMENT: "محتوای پیوست «{value}» خوانده نمی‌شود.",
    },
}


def mistake_text(problem: InputProblem, value: str, *, language: str = "en") -> str:
    """``problem`` about ``value`` in words: ``language`` ``"fa"`` gives Persian, anything else English.

    English quotes the value as Python's ``repr`` does (``'abc' is not a fax number``), as the
    messages always have; Persian puts it, cleaned and isolated, in guillemets.
    """
    if language.strip().lower().startswith("fa"):
        return _TEXTS["fa"][problem].format(value=inline(value, VALUE_MAX, rtl=True))
    return _TEXTS["en"][problem].format(value=value, quoted=repr(value))


class FaxMistakeError(ValueError):
    """A fax that cannot be sent as given: a user or settings mistake, never retried.

    ``problem`` (with ``value``) when the mistake is one of :class:`InputProblem`: the message is then its
    English words. Otherwise ``message`` is kept as it is and ``problem`` is None.
    """

    def __init__(self, message: str = "", *, problem: InputProblem | None = None, value: str = "") -> None:
        self.problem, self.value = problem, value
        super().__init__(mistake_text(problem, value) if problem is not None else message)


__all__ = ["FaxMistakeError", "InputProblem", "VALUE_MAX", "mistake_text"]
