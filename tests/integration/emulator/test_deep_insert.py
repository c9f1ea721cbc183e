"""Deep insert over a real socket: a fax with its notes in one POST, inside a ``$batch`` change set, and a
body too large to read (Learn: "Create related table rows in one operation")."""

from __future__ import annotations

import base64

import pytest
import requests

from emulator.server import EmulatorServer

from .test_batch import batch, changeset, op

pytestmark = pytest.mark.integration

PDF = base64.b64encode(b"%PDF-1.4 offer").decode()


def fax_count(emulator: EmulatorServer, http: requests.Session, subject: str) -> int:
    return len(http.get(f"{emulator.url}faxes?$filter=subject eq '{subject}'", timeout=5).json()["value"])


def notes_named(emulator: EmulatorServer, http: requests.Session, filename: str) -> int:
    return len(http.get(f"{emulator.url}annotations?$filter=filename eq '{filename}'", timeout=5).json()["value"])


def test_a_fax_and_its_note_are_created_by_one_post(emulator: EmulatorServer, http: requests.Session) -> None:
    body = {"subject": "deep-1", "Fax_Annotation": [{"filename": "deep-1.pdf", "documentbody": PDF}]}
    response = http.post(
        f"{emulator.url}faxes?$select=subject&$expand=Fax_Annotation($select=filename,documentbody)",
        json=body,
        headers={"Prefer": "return=representation"},
        timeout=5,
    )
    assert response.status_code == 201, response.text
    assert response.headers["Preference-Applied"] == "return=representation"
    [note] = response.json()["Fax_Annotation"]
    assert (note["filename"], note["documentbody"]) == ("deep-1.pdf", PDF)


def test_a_deep_insert_in_a_failing_change_set_is_rolled_back(emulator: EmulatorServer, http: requests.Session) -> None:
    deep = '{"subject": "deep-2", "Fax_Annotation": [{"filename": "deep-2.pdf"}]}'
    body = (
        changeset("", op(1, "POST", "faxes", deep), op(2, "POST", "faxes", '{"subject": "deep-2b", "nosuch": 1}'))
        + "--batch_1--\n"
    )
    response = batch(http, emulator.url, body)
    assert response.status_code == 400  # as a failed change set answers (test_batch.py)
    assert "Content-ID: 2\r\n" in response.text and "'nosuch'" in response.text
    assert fax_count(emulator, http, "deep-2") == 0 and notes_named(emulator, http, "deep-2.pdf") == 0


def test_a_note_too_large_for_the_request_limit_is_a_413_and_creates_nothing(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    huge = base64.b64encode(b"\x00" * (300 * 1024)).decode()  # past the fixture's 256 KiB body limit
    body = {"subject": "deep-3", "Fax_Annotation": [{"filename": "deep-3.pdf", "documentbody": huge}]}
    response = http.post(f"{emulator.url}faxes", json=body, timeout=10)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "0x80040216"
    assert fax_count(emulator, http, "deep-3") == 0 and notes_named(emulator, http, "deep-3.pdf") == 0
