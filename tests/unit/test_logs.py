from __future__ import annotations

import logging

import pytest

from cli.logs import RedactingFilter, redact


@pytest.mark.parametrize(
    "line, secret",
    [
        ("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.payload.sig", "eyJ0eXAiOiJKV1QiLCJhbGciOi"),
        ("login failed password=CANARY-7f3a for user amiuser", "CANARY-7f3a"),
        ('{"client_secret": "CANARY-7f3a"}', "CANARY-7f3a"),
        ("GET https://api.example/v1/4A5B6C7D8E9F0A1B2C3D4E5F6A7B/sms/send.json", "4A5B6C7D8E9F0A1B2C3D4E5F6A7B"),
    ],
)
def test_redact_masks_credentials(line: str, secret: str) -> None:
    cleaned = redact(line)
    assert secret not in cleaned
    assert "***" in cleaned


def test_redact_leaves_ordinary_text_alone() -> None:
    line = "call 1700000000.12 from +98912***4567 logged in 12 ms"
    assert redact(line) == line


def test_filter_rewrites_formatted_message(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.redaction")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.DEBUG, logger="test.redaction"):
        logger.info("connecting with token=%s", "CANARY-7f3a")
    assert "CANARY-7f3a" not in caplog.text
    assert "token=***" in caplog.text
