"""Which member columns a bulk template reads, for the column-security rule (issue 12, §2; SMS-08, -12)."""

from __future__ import annotations

import pytest

from domain.sms.template_parser import parse_template
from services.sms.bulk.rights import member_column, secured_placeholders
from services.sms.template_access import SecuredField, secured_refusal


@pytest.mark.parametrize(
    "path, table, column",
    [
        ("jobtitle", "contact", "jobtitle"),
        ("contact.jobtitle", "contact", "jobtitle"),
        ("contact.jobtitle", "lead", None),  # names another table: nothing read from a lead
        ("parentcustomerid.name", "contact", "parentcustomerid"),  # a lookup's first hop
        ("contact.parentcustomerid.name", "contact", "parentcustomerid"),
        ("comms_debt", "account", "comms_debt"),
    ],
)
def test_the_member_column_a_placeholder_reads(path: str, table: str, column: str | None) -> None:
    assert member_column(path, table) == column


def test_secured_placeholders_are_named_per_member_table_in_order() -> None:
    template = parse_template("{jobtitle} {contact.jobtitle} {lead.jobtitle} {firstname}")
    secured = {"contact": frozenset({"jobtitle"}), "lead": frozenset()}

    found = secured_placeholders(template, {"lead", "contact"}, lambda table: secured[table])

    assert found == [
        SecuredField("contact.jobtitle", "contact", "jobtitle"),
        SecuredField("jobtitle", "contact", "jobtitle"),
    ]
    assert secured_refusal(found).startswith(
        "the text names column-secured columns: {contact.jobtitle} (contact.jobtitle), {jobtitle} (contact.jobtitle); "
        "an administrator must set Allow Secured Columns on the template | "
    )


def test_a_template_without_secured_columns_is_not_refused() -> None:
    template = parse_template("سلام {firstname} {contact.lastname}")

    assert secured_placeholders(template, {"contact"}, lambda table: frozenset({"jobtitle"})) == []
