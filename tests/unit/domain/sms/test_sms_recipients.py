"""Resolving a recipient record to the mobile to text (SMS-01, SMS-08, SMS-15)."""

from __future__ import annotations

import pytest

from domain.numbers import NumberPlan
from domain.sms.recipients import Recipient, RecipientError, RecipientProblem, resolve_recipient

PLAN = NumberPlan()
COLUMNS = ("mobilephone", "telephone2")


@pytest.mark.parametrize(
    "record, mobile, column",
    [
        ({"mobilephone": "09121234567"}, "+989121234567", "mobilephone"),
        ({"mobilephone": "۰۹۱۲ ۱۲۳ ۴۵۶۷"}, "+989121234567", "mobilephone"),
        ({"mobilephone": "+98 912 123 4567"}, "+989121234567", "mobilephone"),
        ({"mobilephone": "", "telephone2": "00989351234567"}, "+989351234567", "telephone2"),
        ({"mobilephone": "021 8888 1234", "telephone2": "0912-123-4567"}, "+989121234567", "telephone2"),
    ],
)
def test_first_mobile_in_column_order_wins(record: dict, mobile: str, column: str) -> None:
    result = resolve_recipient(record, PLAN, set(), columns=COLUMNS)
    assert isinstance(result, Recipient) and (result.mobile, result.column) == (mobile, column)


@pytest.mark.parametrize(
    "record, problem, words, words_fa",
    [
        ({}, RecipientProblem.NO_NUMBER, "no mobile number in mobilephone, telephone2", "شماره همراه ندارد"),
        ({"mobilephone": None, "telephone2": "  "}, RecipientProblem.NO_NUMBER, "no mobile", "ندارد"),
        ({"mobilephone": 9121234567}, RecipientProblem.NO_NUMBER, "no mobile", "ندارد"),
        (
            {"mobilephone": "021 8888 1234"},
            RecipientProblem.NOT_MOBILE,
            "+982188881234, which is not a mobile",
            "همراه نیست",
        ),
        ({"mobilephone": "call me {maybe}"}, RecipientProblem.NOT_A_NUMBER, "not a phone number", "شماره تلفن نیست"),
        ({"mobilephone": "09121234567"}, RecipientProblem.OPTED_OUT, "+989121234567 has opted out", "لغو کرده"),
        ({"mobilephone": "09351234567", "telephone2": "09121234567"}, RecipientProblem.OPTED_OUT, "opted out", "لغو"),
    ],
)
def test_unsendable_recipients_get_a_plain_reason(
    record: dict, problem: RecipientProblem, words: str, words_fa: str
) -> None:
    result = resolve_recipient(record, PLAN, {"+989121234567"}, columns=COLUMNS)
    assert isinstance(result, RecipientError) and result.problem is problem
    assert words in result.reason and words_fa in result.reason_fa


def test_default_column_is_mobilephone() -> None:
    assert isinstance(resolve_recipient({"telephone2": "09121234567"}, PLAN, ()), RecipientError)
    assert isinstance(resolve_recipient({"mobilephone": "09121234567"}, PLAN, ()), Recipient)
