"""The words written on a sent fax's Status Detail, English and Persian (FAX-06, -11, -12, SMS-07, X-05)."""

from __future__ import annotations

import pytest

from domain.fax import DialParts, DocumentKind, FailureReason, FaxDocument, FaxInputError, FaxJobState, FaxJobStatus
from domain.fax import sent_phrases as words
from domain.fax.input_words import FaxMistakeError, InputProblem, mistake_text
from domain.fax.phrases import DETAIL_MAX

FSI, PDI = "\u2068", "\u2069"
HOSTILE = ("\u202eevil\u202c\r\nname " + "x" * 5000, "\u2067" * 3000, "a\u2028b\u0000c " * 2000)


@pytest.mark.parametrize(
    "say, english, persian",
    [
        (
            lambda lang: words.handed_to_server("Head office", language=lang),
            "Handed to the fax server Head office.",
            f"به سرور فکس {FSI}Head office{PDI} سپرده شد.",
        ),
        (
            lambda lang: words.queued_as("42", language=lang),
            "Queued on the fax server as job 42.",
            f"در صف سرور فکس قرار گرفت، با شناسه کار {FSI}42{PDI}.",
        ),
        (
            lambda lang: words.refused_no_faxes("Contoso Ltd", language=lang),
            "Contoso Ltd allows no faxes (Do not allow Faxes is set on the record). Nothing was sent.",
            f"{FSI}Contoso Ltd{PDI} فکس نمی‌پذیرد: در رکورد او «فکس مجاز نیست» (Do not allow Faxes) انتخاب شده "
            "است. فکسی ارسال نشد.",
        ),
        (
            lambda lang: words.refused_no_faxes("", language=lang),
            "The recipient allows no faxes (Do not allow Faxes is set on the record). Nothing was sent.",
            "گیرنده فکس نمی‌پذیرد: در رکورد او «فکس مجاز نیست» (Do not allow Faxes) انتخاب شده است. فکسی ارسال نشد.",
        ),
        (
            lambda lang: words.refused_no_number(language=lang),
            "The fax has no recipient fax number, and its recipient has none in its Fax column: enter one and set "
            "the fax back to Pending. Nothing was sent.",
            "این فکس شماره فکس گیرنده ندارد و ستون «فکس» گیرنده‌اش هم خالی است: شماره‌ای وارد کنید و وضعیت فکس "
            "را دوباره «در صف ارسال» بگذارید. فکسی ارسال نشد.",
        ),
        (
            lambda lang: words.gave_up_before_sending(language=lang),
            "The give-up time passed before the fax could be sent.",
            "زمان «توقف پس از» پیش از ارسال فکس فرا رسید.",
        ),
        (
            lambda lang: words.not_sendable("'abc' is not a fax number", language=lang),
            "'abc' is not a fax number",
            f"این فکس را نمی‌توان فرستاد: {FSI}'abc' is not a fax number{PDI}",
        ),
        (
            lambda lang: words.server_refused("bad file", language=lang),
            "The fax server refused the fax: bad file",
            f"سرور فکس این فکس را نپذیرفت: {FSI}bad file{PDI}",
        ),
        (
            lambda lang: words.waiting_for_server("hq", "connection refused", language=lang),
            "Waiting for the fax server hq: connection refused",
            f"در انتظار سرور فکس {FSI}hq{PDI}: {FSI}connection refused{PDI}",
        ),
        (
            lambda lang: words.lookup_failed("timed out", language=lang),
            "Waiting: the fax server could not be asked whether it has this fax (timed out).",
            f"در انتظار: نمی‌شود از سرور فکس پرسید که این فکس را دارد یا نه ({FSI}timed out{PDI}).",
        ),
        (
            lambda lang: words.submit_outcome_unknown("reset", language=lang),
            "The fax server's answer to the submit was lost or unreadable; the fax will be looked up on the "
            "server by its key before any resend (reset).",
            "پاسخ سرور فکس به ارسال این فکس نرسید یا خوانا نبود؛ پیش از هر ارسال دوباره، فکس با شناسه‌اش روی "
            f"سرور جست‌وجو می‌شود ({FSI}reset{PDI}).",
        ),
        (
            lambda lang: words.cancel_done(language=lang),
            "Cancelled on the fax server.",
            "روی سرور فکس لغو شد.",
        ),
        (
            lambda lang: words.sms_answer_detail("PRICE", language=lang),
            "Answer to an SMS (rule PRICE), waiting for the fax server.",
            f"پاسخ به یک پیامک (قاعده {FSI}PRICE{PDI})، در انتظار سرور فکس.",
        ),
        (
            lambda lang: words.sms_answer_note_subject("PRICE", language=lang),
            "Answer to SMS (PRICE)",
            f"پاسخ به پیامک ({FSI}PRICE{PDI})",
        ),
    ],
)
def test_each_phrase_in_both_languages(say, english, persian):
    assert say("en") == english
    assert say("fa") == persian
    assert say("fa-IR") == persian and say("de") == english


def test_a_cancel_done_in_any_language_is_known_to_the_tracker():
    assert set(words.CANCEL_DONE_TEXTS) == {words.cancel_done(language="en"), words.cancel_done(language="fa")}


def status(state, reason=FailureReason.NONE, **values):
    return FaxJobStatus(job_id="7", state=state, reason=reason, **values)


@pytest.mark.parametrize(
    "job, english, persian",
    [
        (status(FaxJobState.DONE, pages_sent=3, pages_total=3), "Sent; pages 3 of 3.", "ارسال شد؛ صفحه 3 از 3."),
        (
            status(FaxJobState.SLEEPING, FailureReason.BUSY, dials=1, max_dials=3, status_text="Busy signal"),
            "Waiting to retry; last attempt: the line was busy; dial 1 of 3; server: Busy signal.",
            f"در انتظار تلاش دوباره؛ آخرین تلاش: خط اشغال بود؛ شماره‌گیری 1 از 3؛ پیام سرور: {FSI}Busy signal{PDI}.",
        ),
        (
            status(FaxJobState.SLEEPING, FailureReason.NO_ANSWER, dials=2),
            "Waiting to retry; last attempt: no answer; dial 2.",
            "در انتظار تلاش دوباره؛ آخرین تلاش: کسی پاسخ نداد؛ شماره‌گیری 2.",
        ),
        (status(FaxJobState.PENDING), "Queued on the fax server.", "در صف سرور فکس."),
        (status(FaxJobState.BLOCKED), "Queued on the fax server.", "در صف سرور فکس."),
        (
            status(FaxJobState.SENDING, pages_sent=1, pages_total=4),
            "Sending; pages 1 of 4.",
            "در حال ارسال؛ صفحه 1 از 4.",
        ),
        (
            status(FaxJobState.FAILED, FailureReason.EXPIRED, dials=5, max_dials=5),
            "Failed; last attempt: the give-up time was reached; dial 5 of 5.",
            "ناموفق؛ آخرین تلاش: زمان «توقف پس از» فرا رسید؛ شماره‌گیری 5 از 5.",
        ),
        (
            status(FaxJobState.CANCELLED, FailureReason.CANCELLED, status_text="Job aborted by request"),
            "Cancelled on the fax server; server: Job aborted by request.",
            f"روی سرور فکس لغو شد؛ پیام سرور: {FSI}Job aborted by request{PDI}.",
        ),
        (status(FaxJobState.UNKNOWN), "Unknown.", "وضعیت نامشخص."),
        (
            status(FaxJobState.DONE, status_text="all fine"),  # no failure: the server's words are not news
            "Sent.",
            "ارسال شد.",
        ),
    ],
)
def test_a_jobs_state_in_both_languages(job, english, persian):
    assert words.job_detail(job, language="en") == english
    assert words.job_detail(job, language="fa") == persian


@pytest.mark.parametrize("reason", list(FailureReason))
def test_every_failure_reason_has_words_in_both_languages(reason):
    job = status(FaxJobState.SLEEPING, reason)
    for language in ("en", "fa"):
        assert words.job_detail(job, language=language)


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_values_stay_one_clean_line_within_the_status_detail(language, hostile):
    texts = [
        words.handed_to_server(hostile, language=language),
        words.queued_as(hostile, language=language),
        words.refused_no_faxes(hostile, language=language),
        words.not_sendable(hostile, language=language),
        words.server_refused(hostile, language=language),
        words.waiting_for_server(hostile, hostile, language=language),
        words.lookup_failed(hostile, language=language),
        words.submit_outcome_unknown(hostile, language=language),
        words.sms_answer_detail(hostile, language=language),
        words.sms_answer_note_subject(hostile, language=language),
        words.job_detail(
            status(FaxJobState.FAILED, FailureReason.OTHER, dials=9, max_dials=9, status_text=hostile),
            language=language,
        ),
    ]
    for text in texts:
        assert len(text) <= DETAIL_MAX
        assert not any(mark in text for mark in "\u202e\u202c\u2067\r\n\u2028\u0000")


@pytest.mark.parametrize(
    "error, english, persian",
    [
        (
            lambda: DialParts("۰۲۱-abc"),
            "'۰۲۱-abc' is not a fax number (digits, optionally a leading +)",
            f"«{FSI}۰۲۱-abc{PDI}» شماره فکس نیست (فقط رقم، و در صورت نیاز + در ابتدا).",
        ),
        (
            lambda: FaxDocument("offer.pdf", b"", DocumentKind.PDF),
            "'offer.pdf' is empty",
            f"فایل «{FSI}offer.pdf{PDI}» خالی است.",
        ),
        (
            lambda: FaxDocument("offer.pdf", b"not a pdf", DocumentKind.PDF),  # no problem named: quoted
            "'offer.pdf' is not a PDF document",
            f"این فکس را نمی‌توان فرستاد: {FSI}'offer.pdf' is not a PDF document{PDI}",
        ),
        (
            lambda: DialParts("021", extension_wait_s=500),
            "extension_wait_s must be 0..120 seconds, got 500",
            f"این فکس را نمی‌توان فرستاد: {FSI}extension_wait_s must be 0..120 seconds, got 500{PDI}",
        ),
    ],
)
def test_a_users_mistake_is_worded_in_the_servers_language(error, english, persian):
    with pytest.raises(FaxMistakeError) as raised:
        error()
    assert str(raised.value) == english  # the message, as before
    assert words.refused_input(raised.value, language="en") == english
    assert words.refused_input(raised.value, language="fa") == persian


@pytest.mark.parametrize("problem", list(InputProblem))
def test_every_mistake_has_words_in_both_languages(problem):
    for language in ("en", "fa"):
        text = mistake_text(problem, "\u202e" + "x" * 5000, language=language)
        assert text and len(words.refused_input(FaxInputError(problem=problem, value="x" * 5000))) <= DETAIL_MAX
    assert "\u202e" not in mistake_text(problem, "\u202eevil", language="fa")
