from __future__ import annotations

import pydantic
import pytest

from connectors.errors import (
    BadReplyError,
    NotSentError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.settings import Secret


def test_retry_safety_is_part_of_each_error_class() -> None:
    assert NotSentError.retry_safe and RateLimitedError.retry_safe and UnavailableError.retry_safe
    assert not OutcomeUnknownError.retry_safe and not RejectedError.retry_safe


def test_error_string_names_system_and_operation() -> None:
    error = RejectedError("number is not a mobile", system="kavenegar", operation="send", code="411")
    assert str(error) == "kavenegar.send: number is not a mobile"
    assert error.reason == "number is not a mobile" and error.code == "411"


def test_bad_reply_keeps_a_truncated_raw_copy() -> None:
    error = BadReplyError("not JSON", raw=b"\xff" + b"x" * 5000)
    assert len(error.raw) == BadReplyError.RAW_LIMIT
    assert error.raw.startswith("\ufffd")


def test_rate_limited_carries_retry_after() -> None:
    assert RateLimitedError("slow down", retry_after_s=7).retry_after_s == 7


def test_secret_never_shows_its_value() -> None:
    secret = Secret("CANARY-7f3a")
    assert "CANARY" not in repr(secret) and "CANARY" not in str(secret) and "CANARY" not in f"{secret}"
    assert secret.reveal() == "CANARY-7f3a"


def test_secret_in_a_pydantic_model_is_masked_in_repr_and_dump() -> None:
    class Settings(pydantic.BaseModel):
        api_key: Secret

    settings = Settings(api_key="CANARY-7f3a")
    assert "CANARY" not in repr(settings)
    assert settings.model_dump(mode="json") == {"api_key": "***"}
    assert settings.api_key.reveal() == "CANARY-7f3a"


def test_secret_refuses_non_strings() -> None:
    with pytest.raises(TypeError):
        Secret(1234)  # type: ignore[arg-type]
