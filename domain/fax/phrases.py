"""The words written on fax activities and their notes, in English or Persian (FAX-13, FAX-16, FAX-18, X-05).

The fax server's *Header Language* decides, as it does for the page header: the
subject generated for a fax sent without one ("Fax from <user> to <recipient>"),
and, for a fax received on the server, its subject ("Fax from <sender>"), its
status detail and the subjects of its TIFF and PDF notes. ``language`` is
``"fa"`` for Persian; anything else gives English.

Persian text keeps names and numbers as they came, Latin digits included (as the
phone-call subjects do), each wrapped in an isolate so it stays upright; every
value is cleaned and cut first (:func:`domain.inline_text.inline`), so a name full
of bidirectional controls or thousands of characters long cannot turn the subject
around or push it past the column's length. No date is written: the activity's
own date columns carry it, shown in each user's calendar.

Pure: no I/O.
"""

from __future__ import annotations

from domain.inline_text import inline

#: The length the suite writes a fax activity's subject in, and its status detail.
SUBJECT_MAX = 200
DETAIL_MAX = 500
#: Longest name kept in a subject: two fit in one, with the words around them.
NAME_MAX = 90
#: Longest server note or converter error kept in a status detail: both fit in one, with the words around them.
REASON_MAX = 200

_TEXTS = {
    "en": {
        "sent": "Fax from {user} to {recipient}",
        "received": "Fax from {who}",
        "a_user": "a user",
        "unknown_sender": "an unknown sender",
        "unknown_recipient": "an unknown recipient",
        "note_tiff": "Received fax (original TIFF)",
        "note_pdf": "Received fax (PDF)",
        "pages": "Received {pages} page(s).",
        "no_converter": " Kept as TIFF only: no TIFF-to-PDF converter (tiff2pdf) on the bridge host.",
        "not_converted": " Kept as TIFF only: {reason}",
        "server_noted": " The server noted: {note}",
    },
    "fa": {
        "sent": "فکس از {user} به {recipient}",
        "received": "فکس دریافتی از {who}",
        "a_user": "یک کاربر",
        "unknown_sender": "فرستنده ناشناس",
        "unknown_recipient": "گیرنده نامشخص",
        "note_tiff": "فکس دریافتی (فایل اصلی TIFF)",
        "note_pdf": "فکس دریافتی (نسخه PDF)",
        "pages": "{pages} صفحه دریافت شد.",
        "no_converter": " فقط فایل TIFF نگه داشته شد: مبدل TIFF به PDF (tiff2pdf) روی سرور بریج نصب نیست.",
        "not_converted": " فقط فایل TIFF نگه داشته شد: {reason}",
        "server_noted": " پیام سرور فکس: {note}",
    },
}


def is_persian(language: str) -> bool:
    """Whether ``language`` (``"fa"``, ``"fa-IR"``, ``"en"``, …) asks for Persian words."""
    return language.strip().lower().startswith("fa")


def _words(language: str) -> dict[str, str]:
    return _TEXTS["fa" if is_persian(language) else "en"]


def _value(value: str | None, limit: int, language: str) -> str:
    return inline(value, limit, rtl=is_persian(language))


def sent_subject(user: str | None, recipient: str | None, *, language: str = "en") -> str:
    """``Fax from Sara Ahmadi to Contoso Ltd`` / ``فکس از Sara Ahmadi به Contoso Ltd`` (FAX-13).

    A missing user is "a user" (a team owns the fax, or the owner cannot be read).
    """
    words = _words(language)
    user = _value(user, NAME_MAX, language) or words["a_user"]
    recipient = _value(recipient, NAME_MAX, language) or words["unknown_recipient"]
    return words["sent"].format(user=user, recipient=recipient)[:SUBJECT_MAX]


def received_subject(sender: str | None, *, language: str = "en") -> str:
    """``Fax from Contoso Ltd`` / ``فکس دریافتی از Contoso Ltd`` (FAX-18); no sender: "an unknown sender"."""
    words = _words(language)
    who = _value(sender, SUBJECT_MAX - 30, language) or words["unknown_sender"]
    return words["received"].format(who=who)[:SUBJECT_MAX]


def received_note_subject(kind: str, *, language: str = "en") -> str:
    """The subject of a received fax's ``"tiff"`` (original) or ``"pdf"`` (for viewing) note.

    Raises ``ValueError`` for another kind.
    """
    if kind not in ("tiff", "pdf"):
        raise ValueError(f"a received fax's note is 'tiff' or 'pdf', not {kind!r}")
    return _words(language)[f"note_{kind}"]


def received_detail(
    pages: int,
    *,
    language: str = "en",
    no_converter: bool = False,
    conversion_error: str = "",
    server_note: str = "",
) -> str:
    """The received fax's status detail: how many pages, why it was kept as TIFF only, what the server noted.

    ``no_converter``: the host has no TIFF-to-PDF converter; ``conversion_error``: the converter failed so.
    """
    words = _words(language)
    detail = words["pages"].format(pages=max(pages, 0))
    if no_converter:
        detail += words["no_converter"]
    elif reason := _value(conversion_error, REASON_MAX, language):
        detail += words["not_converted"].format(reason=reason)
    if note := _value(server_note, REASON_MAX, language):
        detail += words["server_noted"].format(note=note)
    return detail[:DETAIL_MAX]


__all__ = [
    "DETAIL_MAX",
    "SUBJECT_MAX",
    "is_persian",
    "received_detail",
    "received_note_subject",
    "received_subject",
    "sent_subject",
]
