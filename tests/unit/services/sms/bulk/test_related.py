"""Which columns a bulk template reads, on its members and on related records, for the column-security rule
(issue 12, §2; SMS-08, -12)."""

from __future__ import annotations

from collections import Counter

import pytest

from domain.sms.related import TableShape
from domain.sms.template_parser import parse_template
from services.sms.bulk.related import secured_paths, template_paths
from services.sms.template_access import SecuredField, secured_refusal

SHAPES = {
    "contact": TableShape(
        "contact",
        frozenset({"firstname", "lastname", "jobtitle", "mobilephone", "parentcustomerid"}),
        {"parentcustomerid": {"account": "parentcustomerid_account", "contact": "parentcustomerid_contact"}},
    ),
    "lead": TableShape("lead", frozenset({"firstname", "jobtitle", "mobilephone"})),
    "account": TableShape(
        "account", frozenset({"name", "comms_debt", "primarycontactid"}), {"primarycontactid": {"contact": "x"}}
    ),
}


class MetadataStore:
    """The two metadata answers a bulk store gives, counting the shape reads."""

    def __init__(self, secured: dict[str, frozenset[str]]) -> None:
        self.secured, self.reads = secured, Counter[str]()

    def table_shape(self, table: str) -> TableShape:
        self.reads[table] += 1
        return SHAPES[table]

    def secured_columns(self, table: str) -> frozenset[str]:
        return self.secured.get(table, frozenset())


@pytest.mark.parametrize(
    "text, table, found",
    [
        ("{jobtitle}", "contact", [SecuredField("jobtitle", "contact", "jobtitle")]),
        ("{contact.jobtitle}", "contact", [SecuredField("contact.jobtitle", "contact", "jobtitle")]),
        ("{contact.jobtitle}", "lead", []),  # names another table: nothing read from a lead
        ("{parentcustomerid.name}", "contact", [SecuredField("parentcustomerid.name", "contact", "parentcustomerid")]),
        (
            "{contact.parentcustomerid.comms_debt}",
            "contact",
            [
                SecuredField("contact.parentcustomerid.comms_debt", "account", "comms_debt"),
                SecuredField("contact.parentcustomerid.comms_debt", "contact", "parentcustomerid"),
            ],
        ),
        (
            "{parentcustomerid.primarycontactid.jobtitle}",
            "contact",
            [
                SecuredField("parentcustomerid.primarycontactid.jobtitle", "contact", "jobtitle"),
                SecuredField("parentcustomerid.primarycontactid.jobtitle", "contact", "parentcustomerid"),
            ],
        ),
    ],
)
def test_secured_columns_are_found_on_members_hops_and_related_records(
    text: str, table: str, found: list[SecuredField]
) -> None:
    store = MetadataStore(
        {"contact": frozenset({"jobtitle", "parentcustomerid"}), "account": frozenset({"comms_debt"})}
    )
    paths = template_paths(store, parse_template(text), {table})
    assert secured_paths(store, paths) == found


def test_each_table_shape_is_read_once_and_the_selects_follow_the_paths() -> None:
    store = MetadataStore({})
    template = parse_template(
        "{firstname} {contact.parentcustomerid.name} {parentcustomerid.primarycontactid.lastname}"
    )

    paths = template_paths(store, template, {"contact", "lead"})

    assert store.reads == Counter({"contact": 1, "lead": 1, "account": 1})
    assert paths.select("contact") == {"firstname", "lastname", "_parentcustomerid_value"}
    assert paths.select("account") == {"name", "_primarycontactid_value"}
    assert paths.select("lead") == {"firstname"}


def test_the_refusal_names_every_secured_path() -> None:
    store = MetadataStore({"contact": frozenset({"jobtitle"}), "lead": frozenset({"jobtitle"})})
    template = parse_template("{jobtitle} {contact.jobtitle} {lead.jobtitle} {firstname}")

    found = secured_paths(store, template_paths(store, template, {"lead", "contact"}))

    assert found == [
        SecuredField("contact.jobtitle", "contact", "jobtitle"),
        SecuredField("jobtitle", "contact", "jobtitle"),
        SecuredField("jobtitle", "lead", "jobtitle"),
        SecuredField("lead.jobtitle", "lead", "jobtitle"),
    ]
    assert secured_refusal(found).startswith(
        "the text names column-secured columns: {contact.jobtitle} (contact.jobtitle), {jobtitle} (contact.jobtitle), "
        "{jobtitle} (lead.jobtitle), {lead.jobtitle} (lead.jobtitle); "
        "an administrator must set Allow Secured Columns on the template | "
    )
