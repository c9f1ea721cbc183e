"""Hostile Other Settings on an SMS provider account row (SMS-13): an admin's typo or a pasted blob makes that
account unusable with a reason, never an exception that takes every account down with it."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.sms.accounts import ProviderAccount, provider_settings
from services.sms.rows import ProviderRow

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEEP = ["[" * 5000 + "]" * 5000, '{"a":' * 3000 + "1" + "}" * 3000]


def _row(settings_json: str | None) -> ProviderRow:
    return ProviderRow(
        "p1", "kn", "kavenegar", "Kavenegar", False, None, None, None, settings_json, None, None, None, None, None
    )


@pytest.mark.parametrize("settings_json", [*DEEP, "[]", "1", '"x"', "{", "\x00", '{"default_sender": 3000}'])
def test_odd_other_settings_are_a_value_error_naming_the_field(settings_json: str) -> None:
    try:
        provider_settings(_row(settings_json), {})
    except ValueError as exc:
        assert "Other Settings" in str(exc) or "secret" in str(exc).lower() or "credential" in str(exc).lower()
    except KeyError:
        pass  # the credential reference is absent from this empty secret source


@FAST
@given(settings_json=st.one_of(st.text(max_size=60), st.sampled_from(DEEP)))
def test_the_default_sender_of_any_other_settings_is_a_number_or_none(settings_json: str) -> None:
    sender = ProviderAccount(_row(settings_json), None).default_sender
    assert sender is None or isinstance(sender, str)
