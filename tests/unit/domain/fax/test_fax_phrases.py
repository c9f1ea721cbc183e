"""The words on fax activities and their notes, English and Persian (FAX-13, FAX-18, X-05)."""

from __future__ import annotations

import pytest

from domain.fax.phrases import (
    DETAIL_MAX,
    SUBJECT_MAX,
    received_detail,
    received_note_subject,
    received_subject,
    sent_subject,
)

FSI, PDI = "\u2068", "\u2069"


@pytest.mark.parametrize(
    "user, recipient, language, expected",
    [
        ("Sara Ahmadi", "Contoso Ltd", "en", "Fax from Sara Ahmadi to Contoso Ltd"),
        ("", "+982155550101", "en", "Fax from a user to +982155550101"),
        ("Sara", "", "en", "Fax from Sara to an unknown recipient"),
        ("سارا احمدی", "Contoso Ltd", "fa", f"فکس از {FSI}سارا احمدی{PDI} به {FSI}Contoso Ltd{PDI}"),
        (None, "+982155550101", "fa", f"فکس از یک کاربر به {FSI}+982155550101{PDI}"),
        ("Sara", None, "FA-ir", f"فکس از {FSI}Sara{PDI} به گیرنده نامشخص"),
        ("Sara", "Contoso", "de", "Fax from Sara to Contoso"),
    ],
)
def test_the_subject_of_a_sent_fax(user, recipient, language, expected):
    assert sent_subject(user, recipient, language=language) == expected


@pytest.mark.parametrize(
    "sender, language, expected",
    [
        ("Contoso Ltd", "en", "Fax from Contoso Ltd"),
        ("", "en", "Fax from an unknown sender"),
        ("Contoso Ltd", "fa", f"فکس دریافتی از {FSI}Contoso Ltd{PDI}"),
        ("02155550101", "fa", f"فکس دریافتی از {FSI}02155550101{PDI}"),
        ("   ", "fa", "فکس دریافتی از فرستنده ناشناس"),
    ],
)
def test_the_subject_of_a_received_fax(sender, language, expected):
    assert received_subject(sender, language=language) == expected


@pytest.mark.parametrize(
    "kind, language, expected",
    [
        ("tiff", "en", "Received fax (original TIFF)"),
        ("pdf", "en", "Received fax (PDF)"),
        ("tiff", "fa", "فکس دریافتی (فایل اصلی TIFF)"),
        ("pdf", "fa", "فکس دریافتی (نسخه PDF)"),
    ],
)
def test_the_subjects_of_a_received_faxs_notes(kind, language, expected):
    assert received_note_subject(kind, language=language) == expected


def test_a_note_of_another_kind_is_refused():
    with pytest.raises(ValueError, match="'tiff' or 'pdf'"):
        received_note_subject("png")


@pytest.mark.parametrize(
    "language, options, expected",
    [
        ("en", {}, "Received 2 page(s)."),
        (
            "en",
            {"no_converter": True, "server_note": "Page 2 had errors"},
            "Received 2 page(s). Kept as TIFF only: no TIFF-to-PDF converter (tiff2pdf) on the bridge host. "
            "The server noted: Page 2 had errors",
        ),
        ("en", {"conversion_error": "tiff2pdf exited 1"}, "Received 2 page(s). Kept as TIFF only: tiff2pdf exited 1"),
        ("fa", {}, "2 صفحه دریافت شد."),
        (
            "fa",
            {"no_converter": True},
            "2 صفحه دریافت شد. فقط فایل TIFF نگه داشته شد: مبدل TIFF به PDF (tiff2pdf) روی سرور بریج نصب نیست.",
        ),
        (
            "fa",
            {"conversion_error": "tiff2pdf exited 1", "server_note": "Page 2 had errors"},
            f"2 صفحه دریافت شد. فقط فایل TIFF نگه داشته شد: {FSI}tiff2pdf exited 1{PDI}"
            f" پیام سرور فکس: {FSI}Page 2 had errors{PDI}",
        ),
    ],
)
def test_the_status_detail_of_a_received_fax(language, options, expected):
    assert received_detail(2, language=language, **options) == expected


@pytest.mark.parametrize("language", ["en", "fa"])
def test_hostile_names_cannot_turn_the_subject_around_or_overflow_it(language):
    hostile = "\u2069\u202e" + "Contoso\n" * 500 + "\u202c\u200f"
    for subject in (sent_subject(hostile, hostile, language=language), received_subject(hostile, language=language)):
        assert len(subject) <= SUBJECT_MAX
        assert not any(c in subject for c in "\u202e\u202c\u200f\n")
        assert subject.count(FSI) == subject.count(PDI) == (subject.count("…") if language == "fa" else 0)
        assert subject.endswith(PDI if language == "fa" else "…")
    detail = received_detail(9, language=language, conversion_error=hostile, server_note=hostile)
    assert len(detail) <= DETAIL_MAX and "\u202e" not in detail and detail.count(FSI) == detail.count(PDI)
