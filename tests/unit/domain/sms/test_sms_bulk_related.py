"""Planning a bulk step's related-record reads: which columns, which records per hop, which words (SMS-08, -12)."""

from __future__ import annotations

import pytest

from domain.sms.bulk import Filled, Member
from domain.sms.bulk_related import PathColumn, TemplatePaths, fill_step, member_roots, path_columns
from domain.sms.related import LOOKUP_TYPE, Known, TableShape
from domain.sms.template_parser import parse_template

CONTACT = TableShape(
    "contact",
    frozenset({"contactid", "firstname", "mobilephone", "jobtitle", "parentcustomerid", "createdon"}),
    {"parentcustomerid": {"account": "parentcustomerid_account", "contact": "parentcustomerid_contact"}},
)
ACCOUNT = TableShape(
    "account",
    frozenset({"accountid", "name", "primarycontactid", "parentaccountid", "telephone1"}),
    {"primarycontactid": {"contact": "primarycontactid"}, "parentaccountid": {"account": "parentaccountid"}},
)
LEAD = TableShape("lead", frozenset({"leadid", "firstname", "mobilephone"}))
SHAPES = {"contact": CONTACT, "account": ACCOUNT, "lead": LEAD}


def contact(n: int, account: str | None = None, **fields: object) -> Member:
    record: dict[str, object] = {"firstname": f"Ali{n}", "mobilephone": f"0912{n:07d}", **fields}
    if account is not None:
        record |= {"_parentcustomerid_value": account, f"_parentcustomerid_value{LOOKUP_TYPE}": "account"}
    return Member("contact", f"00000000-0000-0000-0000-{n:012d}", record)


def account(name: str, boss: str | None = None) -> dict[str, object]:
    return {"name": name, "_primarycontactid_value": boss} if boss else {"name": name}


def test_the_member_is_recipient_and_regarding_and_its_table() -> None:
    roots = member_roots(contact(1))
    assert set(roots) == {"contact", "recipient", "regarding"} and roots["recipient"] is roots["regarding"]


def test_path_columns_follow_every_target_of_a_lookup_and_ask_for_missing_shapes() -> None:
    template = parse_template("{firstname} {contact.parentcustomerid.primarycontactid.jobtitle} {lead.x}")

    columns, needs = path_columns(template, "contact", {"contact": CONTACT})
    assert needs == {"account"}

    columns, needs = path_columns(template, "contact", SHAPES)
    assert not needs
    assert set(columns) == {
        PathColumn("firstname", "contact", "firstname"),
        PathColumn("contact.parentcustomerid.primarycontactid.jobtitle", "contact", "parentcustomerid"),
        PathColumn("contact.parentcustomerid.primarycontactid.jobtitle", "account", "primarycontactid"),
        PathColumn("contact.parentcustomerid.primarycontactid.jobtitle", "contact", "jobtitle"),
    }  # a contact has no primarycontactid: that branch ends; {lead.x} names no column of a contact


FOUR_HOPS = "{parentcustomerid.primarycontactid.parentcustomerid.primarycontactid.firstname}"


@pytest.mark.parametrize(
    "text, reads",
    [
        ("{contact.firstname.name}", {("contact", "firstname")}),  # not a lookup: nothing follows it
        ("{contact.nothere.name}", set()),
        ("{a.b.c.d.e}", set()),  # four lookups from the member: refused, nothing read
        (FOUR_HOPS, set()),
    ],
)
def test_hostile_paths_read_nothing_they_should_not(text: str, reads: set[tuple[str, str]]) -> None:
    columns, needs = path_columns(parse_template(text), "contact", SHAPES)
    assert not needs and {(c.table, c.column) for c in columns} == reads


def test_select_names_lookups_by_their_value_property() -> None:
    template = parse_template("{firstname} {contact.parentcustomerid.name}")
    columns, _ = path_columns(template, "contact", SHAPES)
    paths = TemplatePaths(columns, SHAPES)
    assert paths.select("contact") == {"firstname", "_parentcustomerid_value"}
    assert paths.select("account") == {"name"} and paths.select("lead") == frozenset()


def test_a_step_asks_for_each_related_record_once_per_hop_whatever_the_member_count() -> None:
    template = parse_template(
        "{firstname} of {contact.parentcustomerid.name}, ask {parentcustomerid.primarycontactid.firstname}"
    )
    members = [contact(n, account=f"a{n % 2}") for n in range(40)]
    known = Known(shapes=dict(SHAPES))

    first = fill_step(template, members, known)
    assert first.filled == {} and dict(first.reads.records) == {"account": {"a0", "a1"}}

    known.records |= {("account", "a0"): account("Acme", boss="c9"), ("account", "a1"): account("Beta", boss="c9")}
    second = fill_step(template, members, known)
    assert second.filled == {} and dict(second.reads.records) == {"contact": {"c9"}}

    known.records[("contact", "c9")] = {"firstname": "Sara"}
    done = fill_step(template, members, known)
    assert not done.reads and len(done.filled) == 40
    assert done.filled[members[3].key] == Filled(
        {
            "firstname": "Ali3",
            "contact.parentcustomerid.name": "Beta",
            "parentcustomerid.primarycontactid.firstname": "Sara",
        }
    )


def test_an_unreadable_related_record_fails_its_members_in_a_single_sends_words() -> None:
    template = parse_template("{contact.parentcustomerid.name}")
    members = [contact(1, account="a1"), contact(2, account="a2")]
    known = Known(shapes=dict(SHAPES), records={("account", "a1"): account("Acme")})

    step = fill_step(template, members, known, unreadable={("account", "a2")})

    assert step.filled[members[0].key] == Filled({"contact.parentcustomerid.name": "Acme"})
    assert step.filled[members[1].key].error == (
        "a related account record (a2) no longer exists or the SMS's owner may not read it"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("{contact.parentcustomerid.nmae}", "{contact.parentcustomerid.nmae}: account has no column nmae"),
        ("{contact.firstname.x}", "firstname on contact is not a lookup"),
        ("{contact.parentcustomerid}", "parentcustomerid on contact is a lookup"),
        ("{contact.parentcustomerid.parentaccountid.name}", "parentaccountid is empty on the account"),
        ("{a.b.c.d.e}", "at most 3 lookups"),
        (FOUR_HOPS, "at most 3 lookups"),
        ("{lead.firstname}", "contact has no column lead"),
    ],
)
def test_wrong_paths_fail_the_member_with_the_templates_words(text: str, expected: str) -> None:
    member = contact(1, account="a1")
    known = Known(shapes=dict(SHAPES), records={("account", "a1"): account("Acme")})

    step = fill_step(parse_template(text), [member], known)

    assert not step.reads and expected in (step.filled[member.key].error or "")


def test_an_empty_lookup_with_a_default_is_left_to_the_default() -> None:
    template = parse_template('{contact.parentcustomerid.name|default:"-"}')
    step = fill_step(template, [contact(1)], Known(shapes=dict(SHAPES)))
    assert step.filled[contact(1).key] == Filled({})


def test_a_member_table_without_a_shape_is_asked_for() -> None:
    step = fill_step(parse_template("{firstname}"), [contact(1)], Known())
    assert step.reads.shapes == {"contact"} and not step.filled
