"""Why a call's recording was not attached, as a value and in words, English or Persian (CALL-28, X-05).

The bridge searches for a call's recording once and shares the outcome with
every Dataverse environment that logs the call; each environment's telephony
system row has its own *Subject Language*. So the outcome keeps the reason as a
language-free :class:`RecordingReason` (a :class:`RecordingProblem` and its
values) and :func:`reason_text` words it for each environment as its rows are
written.

File names, call ids, folders and a recording store's own error are kept as
they came (Latin digits included), each cleaned and cut first
(:func:`domain.inline_text.inline`) and, in Persian, isolated so it stays
upright; the text fits the recording row's 2,000-character *Error*
(:data:`ERROR_MAX`). The store's error is the connector's message, which is
English: it is quoted, not translated.

Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from domain.inline_text import inline

#: The length of a recording row's *Error* in Dataverse.
ERROR_MAX = 2000
NAME_MAX = 200
ERROR_TEXT_MAX = 500
FOLDERS_MAX = 900

_MEGABYTE = 1_048_576


class RecordingProblem(Enum):
    """What went wrong with a call's recording."""

    NO_STORE = "no store"  # the system records, but the bridge has no store for it
    TOO_LARGE = "too large"  # found, over the attachment limit: recorded, not attached
    STORE_REFUSED = "store refused"  # the store refused in a way retrying will not mend
    OWNED_ELSEWHERE = "owned elsewhere"  # the call's own-id file was already given to another call
    STILL_EMPTY = "still empty"  # the file stayed empty until the give-up time
    UNREADABLE = "unreadable"  # the store could not be read until the give-up time
    NOT_FOUND = "not found"  # no file within the give-up time


@dataclass(frozen=True)
class RecordingReason:
    """A problem and the values its words need; the same for every environment.

    ``error``: the store's own message; ``file_name``: the file concerned; ``other_call``: the call that
    has it; ``size_bytes`` / ``limit_bytes``: a file over the attachment limit; ``give_up_after_s``:
    how long the fetcher looked; for a file not found, what was looked for: ``call_id``, the call's
    ``number`` (else its ``extension``), ``window_s`` and ``folders``, and ``skipped_file`` left to
    ``skipped_call``.
    """

    problem: RecordingProblem
    error: str = ""
    file_name: str = ""
    other_call: str = ""
    size_bytes: int = 0
    limit_bytes: int = 0
    give_up_after_s: float = 0.0
    call_id: str = ""
    number: str = ""
    extension: str = ""
    window_s: float = 0.0
    folders: tuple[str, ...] = ()
    skipped_file: str = ""
    skipped_call: str = ""


_TEXTS = {
    "en": {
        RecordingProblem.NO_STORE: "This system's recordings are set to be fetched, but the bridge has no "
        "recording store for it: add its SFTP login or folder to the bridge's configuration.",
        RecordingProblem.TOO_LARGE: "The recording is {size} MB, over the {limit} MB attachment limit, so it was "
        "not attached; it stays on the recorder at the source path.",
        RecordingProblem.STORE_REFUSED: "{error}",
        RecordingProblem.OWNED_ELSEWHERE: "The recording {file} carries this call's id, but it was already given "
        "to call {other} (matched there by time and number, before this call's id was known); it stays on that "
        "call so that one file is attached to one call.",
        RecordingProblem.STILL_EMPTY: "The recording {file} was still empty {minutes} minutes after the call ended.",
        RecordingProblem.UNREADABLE: "The recordings could not be read for {minutes} minutes after the call: {error}",
        RecordingProblem.NOT_FOUND: "No recording was found within {minutes} minutes after the call ended; looked "
        "for a file named with the call id {call}, or one stamped within {window} seconds of the call naming "
        "{party}, in {folders}.{skipped}",
        "number": "the number {number}",
        "extension": "extension {extension}",
        "no_party": "extension (none)",
        "skipped": " {file} was left alone: it belongs to call {other}.",
        "folder_separator": ", ",
    },
    "fa": {
        RecordingProblem.NO_STORE: "دریافت فایل‌های ضبط این سیستم تلفنی فعال است، اما بریج محل ذخیره‌ای برای آن "
        "ندارد: ورود SFTP یا پوشه آن را به پیکربندی بریج اضافه کنید.",
        RecordingProblem.TOO_LARGE: "حجم فایل ضبط {size} مگابایت است و از سقف {limit} مگابایت پیوست بیشتر است، "
        "پس پیوست نشد؛ فایل در مسیر مبدأ روی دستگاه ضبط می‌ماند.",
        RecordingProblem.STORE_REFUSED: "فایل ضبط دریافت نشد: {error}",
        RecordingProblem.OWNED_ELSEWHERE: "فایل ضبط {file} شناسه این تماس را دارد، اما پیش‌تر به تماس {other} "
        "داده شده بود (آنجا پیش از آنکه شناسه این تماس معلوم شود، با زمان و شماره تطبیق یافت)؛ همان‌جا می‌ماند "
        "تا هر فایل فقط به یک تماس پیوست شود.",
        RecordingProblem.STILL_EMPTY: "فایل ضبط {file} تا {minutes} دقیقه پس از پایان تماس هنوز خالی بود.",
        RecordingProblem.UNREADABLE: "فایل‌های ضبط تا {minutes} دقیقه پس از تماس خوانده نشدند: {error}",
        RecordingProblem.NOT_FOUND: "تا {minutes} دقیقه پس از پایان تماس فایل ضبطی پیدا نشد؛ در پوشه‌های "
        "{folders} فایلی جست‌وجو شد که نامش شناسه تماس {call} را داشته باشد، یا زمانش حداکثر {window} ثانیه "
        "با تماس فاصله داشته باشد و نامش {party} را داشته باشد.{skipped}",
        "number": "شماره {number}",
        "extension": "داخلی {extension}",
        "no_party": "داخلی تماس (ثبت‌نشده)",
        "skipped": " فایل {file} دست نخورد: به تماس {other} تعلق دارد.",
        "folder_separator": "، ",
    },
}


def reason_text(reason: RecordingReason, *, language: str = "en") -> str:
    """``reason`` in words, for the recording row's *Error*: ``language`` ``"fa"`` gives Persian, anything
    else English. At most :data:`ERROR_MAX` characters."""
    persian = language.strip().lower().startswith("fa")
    texts = _TEXTS["fa" if persian else "en"]

    def clean(value: str, limit: int = NAME_MAX) -> str:
        return inline(value, limit, rtl=persian)

    values = {
        "error": clean(_sentence(reason.error), ERROR_TEXT_MAX),
        "file": clean(reason.file_name),
        "other": clean(reason.other_call),
        "size": f"{reason.size_bytes / _MEGABYTE:.1f}",
        "limit": f"{reason.limit_bytes / _MEGABYTE:.1f}",
        "minutes": f"{reason.give_up_after_s / 60:g}",
        "call": clean(reason.call_id),
        "window": f"{reason.window_s:g}",
        "folders": clean(texts["folder_separator"].join(reason.folders), FOLDERS_MAX),
        "party": _party(reason, texts, clean),
        "skipped": "",
    }
    if reason.skipped_file:
        values["skipped"] = texts["skipped"].format(file=clean(reason.skipped_file), other=clean(reason.skipped_call))
    return texts[reason.problem].format(**values)[:ERROR_MAX]


def _party(reason: RecordingReason, texts: dict[object, str], clean: Callable[[str], str]) -> str:
    """The call's number, else its extension, as the file name would carry it."""
    if number := clean(reason.number):
        return texts["number"].format(number=number)
    if extension := clean(reason.extension):
        return texts["extension"].format(extension=extension)
    return texts["no_party"]


def _sentence(message: str) -> str:
    """A store's message as a sentence (ending in a full stop)."""
    message = message.strip()
    return message if not message or message.endswith(".") else message + "."


__all__ = ["ERROR_MAX", "RecordingProblem", "RecordingReason", "reason_text"]
