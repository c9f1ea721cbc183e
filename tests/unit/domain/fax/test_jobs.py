"""Outgoing fax values and HylaFAX state mapping (FAX-05, -06, -11)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.fax import (
    DialParts,
    DocumentKind,
    FailureReason,
    FaxDocument,
    FaxInputError,
    FaxJobState,
    OutgoingFax,
    RetryPolicy,
)
from domain.fax.hylafax_states import (
    reason_from_status,
    settle,
    state_from_letter,
    state_from_name,
    state_from_number,
)

PDF = b"%PDF-1.4\n%%EOF\n"
T0 = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "name, mime, kind",
    [
        ("a.pdf", None, DocumentKind.PDF),
        ("a.TIF", None, DocumentKind.TIFF),
        ("a.tiff", None, DocumentKind.TIFF),
        ("a.ps", None, DocumentKind.POSTSCRIPT),
        ("blob", "application/pdf; name=x", DocumentKind.PDF),
    ],
)
def test_document_kind_from_type_or_name(name: str, mime: str | None, kind: DocumentKind) -> None:
    content = {DocumentKind.PDF: PDF, DocumentKind.TIFF: b"II*\x00....", DocumentKind.POSTSCRIPT: b"%!PS\n"}[kind]
    assert FaxDocument.of(name, content, mime).kind is kind


@pytest.mark.parametrize("name, content", [("a.docx", b"PK"), ("a.pdf", b""), ("a.pdf", b"GIF89a"), ("noext", PDF)])
def test_document_refused(name: str, content: bytes) -> None:
    with pytest.raises(FaxInputError):
        FaxDocument.of(name, content)


def test_document_repr_leaves_out_the_bytes() -> None:
    assert "PDF-1.4" not in repr(FaxDocument.of("a.pdf", PDF))


def _fax(**kwargs) -> OutgoingFax:
    base = {"key": "k", "documents": (FaxDocument.of("a.pdf", PDF),), "dial": DialParts("02112345678")}
    return OutgoingFax(**(base | kwargs))


def test_outgoing_fax_checks() -> None:
    assert _fax(send_after=T0, give_up_at=T0 + timedelta(days=1)).retry == RetryPolicy()
    for bad in (
        {"key": ""},
        {"documents": ()},
        {"send_after": datetime(2025, 1, 1)},
        {"give_up_at": datetime(2025, 1, 1)},
        {"send_after": T0, "give_up_at": T0},
    ):
        with pytest.raises(FaxInputError):
            _fax(**bad)


@pytest.mark.parametrize(
    "kwargs", [{"max_dials": 0}, {"max_tries": 100}, {"interval_s": 59}, {"interval_s": 99 * 60 + 1}]
)
def test_retry_policy_bounds(kwargs: dict) -> None:
    with pytest.raises(FaxInputError):
        RetryPolicy(**kwargs)


def test_every_hylafax_state_spelling_maps_alike() -> None:
    expected = [
        FaxJobState.UNKNOWN,
        FaxJobState.SUSPENDED,
        FaxJobState.PENDING,
        FaxJobState.SLEEPING,
        FaxJobState.BLOCKED,
        FaxJobState.READY,
        FaxJobState.SENDING,
        FaxJobState.DONE,
        FaxJobState.FAILED,
    ]
    names = ["UNDEFINED", "SUSPENDED", "PENDING", "SLEEPING", "BLOCKED", "READY", "ACTIVE", "DONE", "FAILED"]
    assert [state_from_letter(c) for c in "?TPSBWRDF"] == expected
    assert [state_from_number(n) for n in range(9)] == expected
    assert [state_from_name(n) for n in names] == expected
    assert state_from_letter("X") is state_from_letter("") is state_from_number(9) is FaxJobState.UNKNOWN
    assert state_from_name(" done ") is FaxJobState.DONE and state_from_name("junk") is FaxJobState.UNKNOWN


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", FailureReason.NONE),
        ("Busy signal detected", FailureReason.BUSY),
        ("Blocked by concurrent calls", FailureReason.NONE),
        ("No answer from remote", FailureReason.NO_ANSWER),
        ("Ringback detected, no answer without CED", FailureReason.NO_ANSWER),
        ("No carrier detected", FailureReason.NO_CARRIER),
        ("No local dialtone", FailureReason.NO_DIAL_TONE),
        ("Invalid dialing command", FailureReason.BAD_NUMBER),
        ("Job aborted by request", FailureReason.CANCELLED),
        ("Kill time expired", FailureReason.EXPIRED),
        ("REJECT: Job expiration time (1893585600) appears invalid", FailureReason.EXPIRED),
        ("REJECT: No work found in job file", FailureReason.DOCUMENT),
        ("No receiver protocol (T.30 T1 timeout)", FailureReason.PROTOCOL),
        ("Something new", FailureReason.OTHER),
    ],
)
def test_reason_from_status(text: str, reason: FailureReason) -> None:
    assert reason_from_status(text) is reason


def test_killed_jobs_settle_as_cancelled() -> None:
    assert settle(FaxJobState.FAILED, FailureReason.CANCELLED) is FaxJobState.CANCELLED
    assert settle(FaxJobState.FAILED, FailureReason.BUSY) is FaxJobState.FAILED
    assert settle(FaxJobState.SLEEPING, FailureReason.CANCELLED) is FaxJobState.SLEEPING
    assert FaxJobState.CANCELLED.is_final and not FaxJobState.SLEEPING.is_final
