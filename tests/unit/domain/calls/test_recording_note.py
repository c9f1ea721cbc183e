"""The note a call's recording is attached in, English and Persian (CALL-28, X-05)."""

from __future__ import annotations

import pytest

from domain.calls.recording_note import SUBJECT_MAX, RecordingNote, recording_note

FSI, PDI = "\u2068", "\u2069"
NAME = "in-3201-982188776655-20250327-092517-1743042317.12206.wav"
PATH = f"/var/spool/asterisk/monitor/2025/03/27/{NAME}"


@pytest.mark.parametrize(
    "language, expected",
    [
        ("en", RecordingNote(f"Call recording {NAME}", f"Recording of the call, fetched from Tehran HQ: {PATH}")),
        (
            "fa",
            RecordingNote(
                f"فایل ضبط مکالمه {FSI}{NAME}{PDI}",
                f"فایل ضبط این مکالمه، دریافت‌شده از {FSI}Tehran HQ{PDI}: {FSI}{PATH}{PDI}",
            ),
        ),
        ("", RecordingNote(f"Call recording {NAME}", f"Recording of the call, fetched from Tehran HQ: {PATH}")),
    ],
)
def test_the_note_in_each_language(language, expected):
    assert recording_note(NAME, PATH, "Tehran HQ", language=language) == expected


def test_a_persian_system_name_stays_persian():
    note = recording_note(NAME, PATH, "مرکز تهران", language="fa")
    assert f"{FSI}مرکز تهران{PDI}" in note.text


@pytest.mark.parametrize("language", ["en", "fa"])
def test_hostile_file_names_and_paths_cannot_break_the_note(language):
    hostile = "\u2069\u202e" + "x\r\n" * 2000 + ".wav"
    note = recording_note(hostile, "/mon/" + hostile, "\u202eTehran", language=language)
    assert len(note.subject) <= SUBJECT_MAX and len(note.text) <= 1200
    for text in (note.subject, note.text):
        assert not any(c in text for c in "\u202e\r\n")
        assert text.count(FSI) == text.count(PDI)
    assert "…" in note.subject and "Tehran" in note.text
