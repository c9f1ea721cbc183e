"""The note a call's recording is attached in, in English or Persian (CALL-28, X-05).

Written in the telephony system's *Subject Language*, as the call's subject
(:mod:`domain.calls.subject`) and its notices are: ``language`` is ``"fa"`` for
Persian; anything else gives English. The file name, the system's name and the
path are kept as they came (Latin digits included), cleaned and cut first
(:func:`domain.inline_text.inline`) and, in Persian, isolated so they stay
upright. No date is written: the note and the recording row carry their own.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.inline_text import inline

#: Dataverse's length of a note's subject; the file name is cut well inside it.
SUBJECT_MAX = 500
FILE_NAME_MAX = 255
SYSTEM_NAME_MAX = 100
PATH_MAX = 1000

_TEXTS = {
    "en": {
        "subject": "Call recording {file}",
        "text": "Recording of the call, fetched from {system}: {path}",
    },
    "fa": {
        "subject": "فایل ضبط مکالمه {file}",
        "text": "فایل ضبط این مکالمه، دریافت‌شده از {system}: {path}",
    },
}


@dataclass(frozen=True)
class RecordingNote:
    """The note's subject and text."""

    subject: str
    text: str


def recording_note(file_name: str, path: str, system_name: str, *, language: str = "en") -> RecordingNote:
    """``Call recording 1712345678.12.wav`` / ``Recording of the call, fetched from Head office: /var/…``."""
    persian = language.strip().lower().startswith("fa")
    words = _TEXTS["fa" if persian else "en"]
    subject = words["subject"].format(file=inline(file_name, FILE_NAME_MAX, rtl=persian))
    text = words["text"].format(
        system=inline(system_name, SYSTEM_NAME_MAX, rtl=persian), path=inline(path, PATH_MAX, rtl=persian)
    )
    return RecordingNote(subject.strip()[:SUBJECT_MAX], text)


__all__ = ["RecordingNote", "recording_note"]
