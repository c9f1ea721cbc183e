"""Resolving a recipient record to the mobile to text (SMS-01, SMS-08, SMS-15)."""

from __future__ import annotations

import pytest

from domain.numbers import NumberPlan, normalise
from domain.sms.recipients import (
    NOT_A_NUMBER,
    Recipient,
    RecipientError,
    RecipientProblem,
    normalised_opt_out,
    opt_out_spellings,
    opted_out_numbers,
    resolve_recipient,
)

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


def test_opt_out_rows_typed_by_hand_are_read_as_e164() -> None:
    """X-05, SMS-15: a manual or imported opt-out row in any spelling still stops the sends to that number."""
    typed = ["+989121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۸", "٠٩١٢-١٢٣-٤٥٦٩", "00989121234560", "not a number "]
    assert opted_out_numbers(typed, NumberPlan()) == {
        "+989121234567",
        "+989121234568",
        "+989121234569",
        "+989121234560",
        "not a number",
    }
    record = {"mobilephone": "۰۹۱۲۱۲۳۴۵۶۸"}
    refused = resolve_recipient(record, NumberPlan(), opted_out_numbers(typed, NumberPlan()))
    assert isinstance(refused, RecipientError) and refused.problem is RecipientProblem.OPTED_OUT


def test_spellings_to_look_an_opt_out_up_by() -> None:
    assert opt_out_spellings("+989121234567", NumberPlan()) == [
        "+989121234567",
        "989121234567",
        "00989121234567",
        "09121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
    ]
    assert opt_out_spellings("+442079460958", NumberPlan()) == ["+442079460958", "442079460958", "00442079460958"]
    assert all(
        normalise(s, NumberPlan()).e164 == "+982188881234" for s in opt_out_spellings("+982188881234", NumberPlan())
    )


@pytest.mark.parametrize(
    "typed",
    [
        "+989121234567",
        "0912 123 4567",
        "0912-123-4567",
        "۰۹۱۲ ۱۲۳ ۴۵۶۷",
        "٠٩١٢-١٢٣-٤٥٦٧",
        "+98 912 123 4567",
        "0098 912 123 4567",
        " 09121234567 ",
        "989121234567",
    ],
)
def test_an_opt_out_row_is_normalised_to_e164_however_typed(typed: str) -> None:
    assert normalised_opt_out(typed, NumberPlan()) == "+989121234567"


@pytest.mark.parametrize(
    "typed", [None, "", "   ", "call me", "0912' or 1 eq 1", "$filter=x", "1" * 10_000, "0912 " * 2_000, "12"]
)
def test_an_opt_out_row_that_is_no_number_gets_the_marker_never_an_e164(typed: str | None) -> None:
    assert normalised_opt_out(typed, NumberPlan()) == NOT_A_NUMBER
    assert not NOT_A_NUMBER.startswith("+") and NOT_A_NUMBER.strip()
