"""Why a call's recording was not attached, in English and Persian (CALL-28, X-05)."""

from __future__ import annotations

import pytest

from domain.calls.recording_reasons import ERROR_MAX, RecordingProblem, RecordingReason, reason_text

FSI, PDI = "\u2068", "\u2069"
P = RecordingProblem
NAME = "in-02188776655-3201-20250327-092517-1743042317.12206.wav"
MB = 1_048_576
NOT_FOUND = RecordingReason(
    P.NOT_FOUND,
    give_up_after_s=600,
    call_id="1743042317.12206",
    number="+982188776655",
    extension="3201",
    window_s=120,
    folders=("/mon/2025/03/27", "/mon/2025/03/28"),
)


@pytest.mark.parametrize(
    "reason, english, persian",
    [
        (
            RecordingReason(P.NO_STORE),
            "This system's recordings are set to be fetched, but the bridge has no recording store for it: add "
            "its SFTP login or folder to the bridge's configuration.",
            "دریافت فایل‌های ضبط این سیستم تلفنی فعال است، اما بریج محل ذخیره‌ای برای آن ندارد: ورود SFTP یا "
            "پوشه آن را به پیکربندی بریج اضافه کنید.",
        ),
        (
            RecordingReason(P.TOO_LARGE, size_bytes=12 * MB, limit_bytes=5 * MB),
            "The recording is 12.0 MB, over the 5.0 MB attachment limit, so it was not attached; it stays on "
            "the recorder at the source path.",
            "حجم فایل ضبط 12.0 مگابایت است و از سقف 5.0 مگابایت پیوست بیشتر است، پس پیوست نشد؛ فایل در مسیر "
            "مبدأ روی دستگاه ضبط می‌ماند.",
        ),
        (
            RecordingReason(P.STORE_REFUSED, error="pbx refused the login"),
            "pbx refused the login.",
            f"فایل ضبط دریافت نشد: {FSI}pbx refused the login.{PDI}",
        ),
        (
            RecordingReason(P.OWNED_ELSEWHERE, file_name=NAME, other_call="1743042400.7"),
            f"The recording {NAME} carries this call's id, but it was already given to call 1743042400.7 "
            "(matched there by time and number, before this call's id was known); it stays on that call so "
            "that one file is attached to one call.",
            f"فایل ضبط {FSI}{NAME}{PDI} شناسه این تماس را دارد، اما پیش‌تر به تماس {FSI}1743042400.7{PDI} "
            "داده شده بود (آنجا پیش از آنکه شناسه این تماس معلوم شود، با زمان و شماره تطبیق یافت)؛ همان‌جا "
            "می‌ماند تا هر فایل فقط به یک تماس پیوست شود.",
        ),
        (
            RecordingReason(P.STILL_EMPTY, file_name="a.wav", give_up_after_s=90),
            "The recording a.wav was still empty 1.5 minutes after the call ended.",
            f"فایل ضبط {FSI}a.wav{PDI} تا 1.5 دقیقه پس از پایان تماس هنوز خالی بود.",
        ),
        (
            RecordingReason(P.UNREADABLE, error="could not reach pbx:22 over SSH (timed out)", give_up_after_s=600),
            "The recordings could not be read for 10 minutes after the call: could not reach pbx:22 over SSH "
            "(timed out).",
            f"فایل‌های ضبط تا 10 دقیقه پس از تماس خوانده نشدند: {FSI}could not reach pbx:22 over SSH (timed out).{PDI}",
        ),
        (
            NOT_FOUND,
            "No recording was found within 10 minutes after the call ended; looked for a file named with the "
            "call id 1743042317.12206, or one stamped within 120 seconds of the call naming the number "
            "+982188776655, in /mon/2025/03/27, /mon/2025/03/28.",
            "تا 10 دقیقه پس از پایان تماس فایل ضبطی پیدا نشد؛ در پوشه‌های "
            f"{FSI}/mon/2025/03/27، /mon/2025/03/28{PDI} فایلی جست‌وجو شد که نامش شناسه تماس "
            f"{FSI}1743042317.12206{PDI} را داشته باشد، یا زمانش حداکثر 120 ثانیه با تماس فاصله داشته باشد و "
            f"نامش شماره {FSI}+982188776655{PDI} را داشته باشد.",
        ),
    ],
)
def test_each_reason_in_both_languages(reason, english, persian):
    assert reason_text(reason, language="en") == english
    assert reason_text(reason) == english
    assert reason_text(reason, language="fa") == persian
    assert reason_text(reason, language="fa-IR") == persian


@pytest.mark.parametrize(
    "changes, english, persian",
    [
        ({"number": ""}, "naming extension 3201, in", f"نامش داخلی {FSI}3201{PDI} را داشته باشد"),
        ({"number": "", "extension": ""}, "naming extension (none), in", "نامش داخلی تماس (ثبت‌نشده) را"),
        (
            {"skipped_file": "x.wav", "skipped_call": "9.9"},
            "/mon/2025/03/28. x.wav was left alone: it belongs to call 9.9.",
            f"را داشته باشد. فایل {FSI}x.wav{PDI} دست نخورد: به تماس {FSI}9.9{PDI} تعلق دارد.",
        ),
    ],
)
def test_what_a_search_for_a_missing_file_looked_for(changes, english, persian):
    reason = RecordingReason(**{**NOT_FOUND.__dict__, **changes})
    assert english in reason_text(reason, language="en")
    assert persian in reason_text(reason, language="fa")


HOSTILE = ("\u202eevil\u202c\r\n" + "x" * 5000, "\u2067" * 3000, "a\u2028b\u0000c " * 2000)


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("problem", list(RecordingProblem))
def test_hostile_values_stay_one_clean_line_within_the_error_column(language, hostile, problem):
    reason = RecordingReason(
        problem,
        error=hostile,
        file_name=hostile,
        other_call=hostile,
        call_id=hostile,
        number=hostile,
        folders=(hostile,) * 50,
        skipped_file=hostile,
        skipped_call=hostile,
        size_bytes=10**12,
        limit_bytes=5 * MB,
        give_up_after_s=600,
        window_s=120,
    )
    text = reason_text(reason, language=language)
    assert 0 < len(text) <= ERROR_MAX
    assert not any(mark in text for mark in "\u202e\u202c\u2067\r\n\u2028\u0000")
