"""The words written on a fax the suite sends, in English or Persian (FAX-06, FAX-11, FAX-12, SMS-07, X-05).

Everything the fax sender and tracker write in words onto an outgoing fax's
*Status Detail*: handed to the server, queued as a job, a job's state with the
last attempt's outcome (dial n of m, pages), the reasons a fax is refused or
waits, and the words on a keyword rule's answer by fax. The fax server's
*Header Language* decides, as for the subjects (:mod:`domain.fax.phrases`):
``language`` is ``"fa"`` for Persian; anything else gives English. Only the
words change: the *Fax Status* choice, which views, reports and flows filter
on, is the same in both.

A server's name, a job id, a recipient's name or an error the server or a
converter sent is put in as one clean line (:func:`domain.inline_text.inline`:
bidi controls and line breaks dropped, cut, isolated in Persian); numbers keep
Latin digits, as the phone-call subjects do. Every text fits the 500-character
*Status Detail* (:data:`DETAIL_MAX`).

Pure: no I/O.
"""

from __future__ import annotations

from domain.fax.input_words import FaxMistakeError, mistake_text
from domain.fax.jobs import FailureReason, FaxJobState, FaxJobStatus
from domain.fax.phrases import DETAIL_MAX, is_persian
from domain.inline_text import inline

#: Longest server name, job id or recipient name kept in a detail.
NAME_MAX = 100
#: Longest error, refusal or server note kept in a detail: the words around it still fit.
REASON_MAX = 300

_TEXTS = {
    "en": {
        "handed": "Handed to the fax server {server}.",
        "queued": "Queued on the fax server as job {job}.",
        "no_faxes": "{recipient} allows no faxes (Do not allow Faxes is set on the record). Nothing was sent.",
        "a_recipient": "The recipient",
        "no_number": "The fax has no recipient fax number, and its recipient has none in its Fax column: enter one "
        "and set the fax back to Pending. Nothing was sent.",
        "gave_up": "The give-up time passed before the fax could be sent.",
        "not_sendable": "{reason}",
        "server_refused": "The fax server refused the fax: {reason}",
        "waiting": "Waiting for the fax server {server}: {reason}",
        "lookup_failed": "Waiting: the fax server could not be asked whether it has this fax ({reason}).",
        "submit_unknown": "The fax server's answer to the submit was lost or unreadable; the fax will be looked "
        "up on the server by its key before any resend ({reason}).",
        "cancel_done": "Cancelled on the fax server.",
        "sms_answer": "Answer to an SMS (rule {rule}), waiting for the fax server.",
        "sms_answer_note": "Answer to SMS ({rule})",
        "last_attempt": "last attempt: {reason}",
        "dial_of": "dial {dials} of {max_dials}",
        "dial": "dial {dials}",
        "pages_of": "pages {sent} of {total}",
        "server_said": "server: {text}",
        "separator": "; ",
    },
    "fa": {
        "handed": "به سرور فکس {server} سپرده شد.",
        "queued": "در صف سرور فکس قرار گرفت، با شناسه کار {job}.",
        "no_faxes": "{recipient} فکس نمی‌پذیرد: در رکورد او «فکس مجاز نیست» (Do not allow Faxes) انتخاب شده است. "
        "فکسی ارسال نشد.",
        "a_recipient": "گیرنده",
        "no_number": "این فکس شماره فکس گیرنده ندارد و ستون «فکس» گیرنده‌اش هم خالی است: شماره‌ای وارد کنید و "
        "وضعیت فکس را دوباره «در صف ارسال» بگذارید. فکسی ارسال نشد.",
        "gave_up": "زمان «توقف پس از» پیش از ارسال فکس فرا رسید.",
        "not_sendable": "این فکس را نمی‌توان فرستاد: {reason}",
        "server_refused": "سرور فکس این فکس را نپذیرفت: {reason}",
        "waiting": "در انتظار سرور فکس {server}: {reason}",
        "lookup_failed": "در انتظار: نمی‌شود از سرور فکس پرسید که این فکس را دارد یا نه ({reason}).",
        "submit_unknown": "پاسخ سرور فکس به ارسال این فکس نرسید یا خوانا نبود؛ پیش از هر ارسال دوباره، فکس با "
        "شناسه‌اش روی سرور جست‌وجو می‌شود ({reason}).",
        "cancel_done": "روی سرور فکس لغو شد.",
        "sms_answer": "پاسخ به یک پیامک (قاعده {rule})، در انتظار سرور فکس.",
        "sms_answer_note": "پاسخ به پیامک ({rule})",
        "last_attempt": "آخرین تلاش: {reason}",
        "dial_of": "شماره‌گیری {dials} از {max_dials}",
        "dial": "شماره‌گیری {dials}",
        "pages_of": "صفحه {sent} از {total}",
        "server_said": "پیام سرور: {text}",
        "separator": "؛ ",
    },
}
_HEADS = {
    "en": {
        FaxJobState.DONE: "Sent",
        FaxJobState.CANCELLED: "Cancelled on the fax server",
        FaxJobState.SLEEPING: "Waiting to retry",
        FaxJobState.SENDING: "Sending",
        FaxJobState.FAILED: "Failed",
        FaxJobState.UNKNOWN: "Unknown",
    },
    "fa": {
        FaxJobState.DONE: "ارسال شد",
        FaxJobState.CANCELLED: "روی سرور فکس لغو شد",
        FaxJobState.SLEEPING: "در انتظار تلاش دوباره",
        FaxJobState.SENDING: "در حال ارسال",
        FaxJobState.FAILED: "ناموفق",
        FaxJobState.UNKNOWN: "وضعیت نامشخص",
    },
}
_QUEUED_HEAD = {"en": "Queued on the fax server", "fa": "در صف سرور فکس"}
_QUEUED = (FaxJobState.PENDING, FaxJobState.SUSPENDED, FaxJobState.READY, FaxJobState.BLOCKED)
_REASONS = {
    "en": {
        FailureReason.BUSY: "the line was busy",
        FailureReason.NO_ANSWER: "no answer",
        FailureReason.NO_CARRIER: "no fax machine answered (no carrier)",
        FailureReason.NO_DIAL_TONE: "no dial tone on our line",
        FailureReason.BAD_NUMBER: "the number could not be dialled",
        FailureReason.PROTOCOL: "the fax exchange with the far machine failed",
        FailureReason.DOCUMENT: "the document could not be prepared for faxing",
        FailureReason.EXPIRED: "the give-up time was reached",
        FailureReason.CANCELLED: "cancelled",
        FailureReason.OTHER: "failed",
    },
    "fa": {
        FailureReason.BUSY: "خط اشغال بود",
        FailureReason.NO_ANSWER: "کسی پاسخ نداد",
        FailureReason.NO_CARRIER: "دستگاه فکسی پاسخ نداد (سیگنال فکس دریافت نشد)",
        FailureReason.NO_DIAL_TONE: "خط ما بوق آزاد نداشت",
        FailureReason.BAD_NUMBER: "شماره گرفته نشد",
        FailureReason.PROTOCOL: "تبادل فکس با دستگاه مقصد ناموفق بود",
        FailureReason.DOCUMENT: "سند برای ارسال با فکس آماده نشد",
        FailureReason.EXPIRED: "زمان «توقف پس از» فرا رسید",
        FailureReason.CANCELLED: "لغو شد",
        FailureReason.OTHER: "ناموفق بود",
    },
}


def _code(language: str) -> str:
    return "fa" if is_persian(language) else "en"


def _say(key: str, language: str, **values: str | int) -> str:
    """The phrase ``key`` with ``values`` (already cleaned), cut to :data:`DETAIL_MAX`."""
    return _TEXTS[_code(language)][key].format(**values)[:DETAIL_MAX]


def _clean(value: str | None, limit: int, language: str) -> str:
    return inline(value, limit, rtl=is_persian(language))


def handed_to_server(server: str, *, language: str = "en") -> str:
    """``Handed to the fax server Head office.``: written with the claim (FAX-11)."""
    return _say("handed", language, server=_clean(server, NAME_MAX, language))


def queued_as(job_id: str, *, language: str = "en") -> str:
    """``Queued on the fax server as job 42.``: the submit was accepted (FAX-11)."""
    return _say("queued", language, job=_clean(job_id, NAME_MAX, language))


def refused_no_faxes(recipient: str | None, *, language: str = "en") -> str:
    """The recipient's *Do not allow Faxes* is set: never dialled (FAX-12). No name: "The recipient"."""
    who = _clean(recipient, NAME_MAX, language) or _TEXTS[_code(language)]["a_recipient"]
    return _say("no_faxes", language, recipient=who)


def refused_no_number(*, language: str = "en") -> str:
    """Neither the fax nor its recipient has a fax number (FAX-12)."""
    return _say("no_number", language)


def gave_up_before_sending(*, language: str = "en") -> str:
    """The fax's *Give Up After* passed while it was still waiting to be submitted (FAX-05)."""
    return _say("gave_up", language)


def not_sendable(reason: str, *, language: str = "en") -> str:
    """The fax cannot be sent as it is: ``reason`` is the dial string's or the document's problem."""
    return _say("not_sendable", language, reason=_clean(reason, DETAIL_MAX - 60, language))


def refused_input(error: Exception, *, language: str = "en") -> str:
    """A dial string's or document's mistake (``DialStringError``, ``FaxInputError``) in words: a known
    :class:`~domain.fax.input_words.InputProblem` in the language's own words, else :func:`not_sendable`
    quoting the error."""
    if isinstance(error, FaxMistakeError) and error.problem is not None:
        return mistake_text(error.problem, error.value, language=language)[:DETAIL_MAX]
    return not_sendable(str(error), language=language)


def server_refused(reason: str, *, language: str = "en") -> str:
    """The fax server refused the submit: never retried."""
    return _say("server_refused", language, reason=_clean(reason, REASON_MAX, language))


def waiting_for_server(server: str, reason: str, *, language: str = "en") -> str:
    """The server cannot take the fax now (unreachable, busy, login refused); the fax stays claimed."""
    return _say(
        "waiting", language, server=_clean(server, NAME_MAX, language), reason=_clean(reason, REASON_MAX, language)
    )


def lookup_failed(reason: str, *, language: str = "en") -> str:
    """A fax whose submit outcome is unknown could not be looked up on the server by its key."""
    return _say("lookup_failed", language, reason=_clean(reason, REASON_MAX, language))


def submit_outcome_unknown(reason: str, *, language: str = "en") -> str:
    """The submit's answer was lost or unreadable; the fax is looked up by its key before any resend."""
    return _say("submit_unknown", language, reason=_clean(reason, REASON_MAX, language))


def cancel_done(*, language: str = "en") -> str:
    """Written once a user's cancel reached the server (the tracker then stops cancelling)."""
    return _say("cancel_done", language)


#: :func:`cancel_done` in every language: a cancelled fax whose detail is none of these still needs its cancel.
CANCEL_DONE_TEXTS = tuple(texts["cancel_done"] for texts in _TEXTS.values())


def sms_answer_detail(rule: str, *, language: str = "en") -> str:
    """The detail of a keyword rule's answer by fax, written as the fax is created (SMS-07)."""
    return _say("sms_answer", language, rule=_clean(rule, NAME_MAX, language))


def sms_answer_note_subject(rule: str, *, language: str = "en") -> str:
    """The subject of the note holding a keyword rule's answer pages (SMS-07)."""
    return _say("sms_answer_note", language, rule=_clean(rule, NAME_MAX, language))


def job_detail(status: FaxJobStatus, *, language: str = "en") -> str:
    """A job's state in words: where it is, the last attempt's outcome, the dials and the pages (FAX-06, -11).

    ``Waiting to retry; last attempt: the line was busy; dial 1 of 3.`` /
    ``در انتظار تلاش دوباره؛ آخرین تلاش: خط اشغال بود؛ شماره‌گیری 1 از 3.``
    """
    code = _code(language)
    texts, state = _TEXTS[code], status.state
    parts = [_QUEUED_HEAD[code] if state in _QUEUED else _HEADS[code][state]]
    if status.reason not in (FailureReason.NONE, FailureReason.CANCELLED):
        parts.append(texts["last_attempt"].format(reason=_REASONS[code][status.reason]))
    if status.dials:
        if status.max_dials:
            parts.append(texts["dial_of"].format(dials=status.dials, max_dials=status.max_dials))
        else:
            parts.append(texts["dial"].format(dials=status.dials))
    if status.pages_total or status.pages_sent:
        parts.append(texts["pages_of"].format(sent=status.pages_sent, total=status.pages_total))
    note = _clean(status.status_text, REASON_MAX, language)
    if note and status.reason is not FailureReason.NONE:
        parts.append(texts["server_said"].format(text=note))
    return (texts["separator"].join(parts) + ".")[:DETAIL_MAX]


__all__ = [
    "CANCEL_DONE_TEXTS",
    "NAME_MAX",
    "REASON_MAX",
    "cancel_done",
    "gave_up_before_sending",
    "handed_to_server",
    "job_detail",
    "lookup_failed",
    "not_sendable",
    "queued_as",
    "refused_input",
    "refused_no_faxes",
    "refused_no_number",
    "server_refused",
    "sms_answer_detail",
    "sms_answer_note_subject",
    "submit_outcome_unknown",
    "waiting_for_server",
]
