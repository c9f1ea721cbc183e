"""What a call's phone-call activity says (domain/calls/activity.py): who, which numbers, when it is never logged."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.calls.activity import phone_call_activity, skip_reason
from domain.calls.events import Direction
from domain.calls.record import CallRecord
from domain.number_index import Match

from .call_samples import CONTACT_REF, SYSTEM, call


@pytest.mark.parametrize(
    "record, reason",
    [
        (call(direction=Direction.INTERNAL), "internal call"),
        (call(external_number="1234"), "shorter than 5 digits"),
        (call(extension="600"), "hidden"),
    ],
)
def test_calls_that_are_never_logged(record: CallRecord, reason: str) -> None:
    assert reason in (skip_reason(record, SYSTEM) or "")
    with pytest.raises(ValueError, match="not logged"):
        phone_call_activity(record, SYSTEM, None)


def test_persian_digits_normalise_and_persian_subject() -> None:
    record = call(external_number="۰۹۱۲۱۲۳۴۵۶۷")
    activity = phone_call_activity(record, SYSTEM, Match(CONTACT_REF), name_of=lambda ref: "رضا احمدی", language="fa")
    assert activity.number == "+989121234567" and activity.subject.startswith("تماس ورودی از")


def test_ivr_data_prefers_the_configured_variable() -> None:
    record = call(ivr_data={"CUSTOMER_CODE": "40022", "LANG": "fa"})
    assert phone_call_activity(record, SYSTEM, None).ivr_data == "40022"
    other = replace(SYSTEM, ivr_variable="")
    assert phone_call_activity(record, other, None).ivr_data == "CUSTOMER_CODE=40022; LANG=fa"
