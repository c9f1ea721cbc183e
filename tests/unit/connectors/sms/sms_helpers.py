"""Helpers shared by the SMS provider tests: fixture files, sample messages, transport faults, the canary."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import urllib3.exceptions

from connectors.errors import NotSentError, OutcomeUnknownError
from domain.sms import OutgoingSms

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sms"
CANARY = "CANARY-7f3a"


PANELS = Path(__file__).resolve().parents[4] / "connectors" / "sms" / "panels"


def panel(name: str) -> dict:
    """A shipped panel description (connectors/sms/panels/<name>.json), decoded."""
    return json.loads((PANELS / f"{name}.json").read_text(encoding="utf-8"))


def fixture_bytes(provider: str, name: str) -> bytes:
    return (FIXTURES / provider / name).read_bytes()


def outgoing(our_id: str = "act-1-r1", to: str = "+989121234567", text: str = "خدمات پیام کوتاه", **kw) -> OutgoingSms:
    return OutgoingSms(our_id=our_id, to=to, text=text, **kw)


def refused_connection() -> requests.ConnectionError:
    """What requests raises when the TCP connect is refused (nothing was sent)."""
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def reset_after_send() -> requests.ConnectionError:
    """What requests raises when the connection drops while waiting for the reply."""
    return requests.ConnectionError(urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError()))


def transport_faults() -> list[tuple[Exception, type[Exception]]]:
    """Each way the HTTP exchange can fail, with the error a provider must raise for it:
    nothing sent (safe to retry) versus sent with no usable answer (reconcile first)."""
    return [
        (requests.ConnectTimeout(), NotSentError),
        (refused_connection(), NotSentError),
        (requests.ReadTimeout(), OutcomeUnknownError),
        (reset_after_send(), OutcomeUnknownError),
    ]


def assert_canary_hidden(caplog: pytest.LogCaptureFixture, run: Callable[[], None], secret: str = CANARY) -> None:
    """Run a send and a failure at DEBUG; the secret must not reach logs, error text or tracebacks."""
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    try:
        run()
    except Exception as exc:  # the failure half of the scenario
        errors.append(exc)
    assert errors, "the canary scenario must end in a failure"
    assert secret not in caplog.text
    for exc in errors:
        assert secret not in str(exc)
        assert secret not in "".join(traceback.format_exception(exc))
        assert secret not in repr(getattr(exc, "raw", ""))
