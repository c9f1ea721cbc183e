"""Subjects of phone-call activities, in English or Persian (CALL-07, CALL-08, CALL-15, X-05)."""

from __future__ import annotations

from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord
from domain.inline_text import inline

#: A phone call's *Subject* holds 200 characters in Dataverse.
SUBJECT_MAX = 200
#: The most of a name or number put in a subject: the longest template and both notes still fit.
WHO_MAX = 120

_SUBJECTS = {
    "en": {
        "incoming": "Incoming call from {who}",
        "missed": "Missed call from {who}",
        "rejected": "Rejected call from {who}",
        "busy_in": "Busy: call from {who}",
        "outgoing": "Call to {who}",
        "unanswered_out": "Unanswered call to {who}",
        "internal": "Internal call with {who}",
        "unclassified": "Unclassified call with {who}",
        "unknown": "unknown number",
        "end_inferred": " (end time estimated)",
        "from_cdr": " (from the PBX's call record)",
    },
    "fa": {
        "incoming": "تماس ورودی از {who}",
        "missed": "تماس بی‌پاسخ از {who}",
        "rejected": "تماس ردشده از {who}",
        "busy_in": "تماس از {who} (اشغال)",
        "outgoing": "تماس با {who}",
        "unanswered_out": "تماس بی‌پاسخ با {who}",
        "internal": "تماس داخلی با {who}",
        "unclassified": "تماس نامشخص با {who}",
        "unknown": "شماره ناشناس",
        "end_inferred": " (زمان پایان تخمینی)",
        "from_cdr": " (از سابقه تماس مرکز تلفن)",
    },
}
_UNANSWERED = (CallOutcome.MISSED, CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.FAILED)


def call_subject(record: CallRecord, matched_name: str | None, *, language: str = "en") -> str:
    """The activity subject: "Incoming call from …", "Missed call from …", "Call to …".

    ``who`` is the matched record's name, else the caller's name from the
    network, else the number, else "unknown number"; it is put in as one clean
    line (:func:`domain.inline_text.inline`: bidi controls dropped, cut to
    :data:`WHO_MAX`, isolated in Persian), so a caller name cannot turn the
    subject around or push it past :data:`SUBJECT_MAX`. ``language`` is the
    organisation's language: ``"fa"`` gives Persian, anything else English.
    A call whose end the bridge inferred (CALL-14) says so: "… (end time estimated)"; a call known only
    from the PBX's call detail record says "… (from the PBX's call record)".
    """
    persian = language.lower().startswith("fa")
    texts = _SUBJECTS["fa" if persian else "en"]
    given = (inline(name, WHO_MAX) for name in (matched_name, record.external_name, record.external_number))
    who = next((name for name in given if name), "")
    who = (inline(who, WHO_MAX, rtl=True) if persian else who) or texts["unknown"]
    suffix = texts["end_inferred"] if record.is_end_inferred else ""
    suffix += texts["from_cdr"] if record.is_from_cdr else ""
    return texts[_template(record)].format(who=who) + suffix


def _template(record: CallRecord) -> str:
    if record.direction is None:
        return "unclassified"
    if record.direction is Direction.INTERNAL:
        return "internal"
    if record.direction is Direction.OUTBOUND:
        return "unanswered_out" if record.outcome in (*_UNANSWERED, CallOutcome.REJECTED) else "outgoing"
    if record.outcome is CallOutcome.REJECTED:
        return "rejected"
    if record.outcome is CallOutcome.BUSY:
        return "busy_in"
    return "missed" if record.outcome in _UNANSWERED else "incoming"
