"""SMS templates: parsing, rendering, missing fields, hostile input (SMS-11, SMS-12)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.dates import format_date
from domain.sms.related import Known, Needs, Root, TableShape, first_hops, resolve_paths
from domain.sms.template_parser import parse_template
from domain.sms.template_render import flatten_fields, render
from domain.sms.templates import Calendar, RenderOptions, TemplateError, TemplateRenderError, TemplateSyntaxError

TEHRAN = timezone(timedelta(hours=3, minutes=30))
FIELDS = {
    "contact.firstname": "علی",
    "contact.lastname": "Rezaei",
    "account.comms_debt": Decimal("12500000"),
    "contract.enddate": date(2024, 3, 20),
    "contract.createdon": datetime(2024, 3, 19, 21, 0, tzinfo=UTC),
    "contact.count": 7,
    "contact.ratio": 0.5,
    "contact.donotsms": False,
    "contact.hostile": "{contact.firstname} {{ %Y |upper",
}


def fill(source: str, options: RenderOptions | None = None) -> str:
    return render(parse_template(source), FIELDS, options or RenderOptions()).text


@pytest.mark.parametrize(
    "source, expected",
    [
        ("سلام {contact.firstname} عزیز", "سلام علی عزیز"),
        ("{Contact.FirstName}", "علی"),
        ("{ contact.firstname }", "علی"),
        ("بدهی: {account.comms_debt|number} ریال", "بدهی: 12,500,000 ریال"),
        ("{account.comms_debt|number|persian_digits}", "۱۲٬۵۰۰٬۰۰۰"),
        ("{account.comms_debt|number:2}", "12,500,000.00"),
        ("{contact.ratio}", "0.5"),
        ("{contact.count|number}", "7"),
        ("{contract.enddate|jalali}", "1403/01/01"),
        ("{contract.enddate|gregorian}", "2024-03-20"),
        ('{contract.enddate|jalali:"%d %B %Y"}', "01 فروردین 1403"),
        ('{contract.enddate|jalali:"%A %d %B"|persian_digits}', "چهارشنبه ۰۱ فروردین"),
        ('{contract.enddate|gregorian:"%d %B %Y"}', "20 March 2024"),
        ("{contract.enddate}", "1403/01/01"),
        ("{contract.enddate|date}", "1403/01/01"),
        ("{contact.lastname|upper} {contact.lastname|lower}", "REZAEI rezaei"),
        ('{contact.middlename|default:"مشتری گرامی"}', "مشتری گرامی"),
        ('{contact.firstname|default:"x"}', "علی"),
        ('{contact.middlename|default:"a|b}c\\"d"}', 'a|b}c"d'),
        ("{{literal}} and }}", "{literal} and }"),
        ("{contact.hostile}", "{contact.firstname} {{ %Y |upper"),
        ("{contact.hostile|upper}", "{CONTACT.FIRSTNAME} {{ %Y |UPPER"),
    ],
)
def test_render_fills_placeholders(source: str, expected: str) -> None:
    assert fill(source) == expected


def test_dates_follow_the_template_calendar_and_zone() -> None:
    gregorian = RenderOptions(calendar=Calendar.GREGORIAN, tz=TEHRAN)
    assert fill("{contract.enddate|date}", gregorian) == "2024-03-20"
    # 21:00 UTC on 19 March is 00:30 on 20 March in Tehran: Nowruz, 1 Farvardin.
    assert fill('{contract.createdon|jalali:"%Y/%m/%d %H:%M"}', RenderOptions(tz=TEHRAN)) == "1403/01/01 00:30"
    assert fill("{contract.createdon|jalali}") == "1402/12/29"


def test_every_missing_field_is_reported_at_once() -> None:
    template = parse_template("{contact.firstname} {contact.middlename} {account.name|upper} {contact.count}")
    with pytest.raises(TemplateRenderError) as caught:
        render(template, {"contact.firstname": "  ", "account.name": None, "contact.count": 3})
    problems = caught.value.problems
    assert [p.field for p in problems] == ["contact.firstname", "contact.middlename", "account.name"]
    assert "contact.middlename has no value on the record" in str(caught.value)
    assert "مقدار ندارد" in caught.value.message_fa


@pytest.mark.parametrize(
    "source, field",
    [
        ("{contact.firstname|number}", "contact.firstname"),
        ("{contact.firstname|jalali}", "contact.firstname"),
        ("{contact.donotsms}", "contact.donotsms"),
        ("{contact.nan|number}", "contact.nan"),
        ("{contact.obj}", "contact.obj"),
        ("{contact.ancient|jalali}", "contact.ancient"),
    ],
)
def test_wrong_kinds_of_value_are_render_errors(source: str, field: str) -> None:
    fields = {**FIELDS, "contact.nan": float("nan"), "contact.obj": object(), "contact.ancient": date(1, 1, 1)}
    with pytest.raises(TemplateRenderError) as caught:
        render(parse_template(source), fields)
    assert caught.value.problems[0].field == field


def test_blank_result_is_an_error() -> None:
    with pytest.raises(TemplateRenderError, match="empty"):
        render(parse_template('  {a.b|default:" "}'), {})


@pytest.mark.parametrize(
    "source, words",
    [
        ("{contact.firstname", "never closed"),
        ("hello }", "closes nothing"),
        ("{}", "not a field path"),
        ("{contact.__class__.__init__.__globals__}", "not a field path"),
        ("{contact[0]}", "not a field path"),
        ("{contact.firstname!r}", "not a field path"),
        ("{contact.firstname:>10}", "not a field path"),
        ("{a.b.c.d.e.f.g}", "not a field path"),
        ("{contact.firstname|eval}", "unknown filter 'eval'"),
        ("{contact.firstname|default}", "needs an argument"),
        ("{contact.firstname|upper:1}", "takes no argument"),
        ('{contract.enddate|jalali:"%x"}', "unknown date directive %x"),
        ('{contract.enddate|jalali:"%"}', "trailing %"),
        ("{account.comms_debt|number:9}", "decimals"),
        ('{a.b|default:"open}', "never closed"),
        ("{a.b {c.d}}", "never closed"),
        ("x" * 10_001, "longer than"),
    ],
)
def test_malformed_templates_are_refused_with_reasons(source: str, words: str) -> None:
    with pytest.raises(TemplateSyntaxError, match=words):
        parse_template(source)


def test_all_syntax_problems_are_listed() -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        parse_template("} {a.b|nope} {c!d}")
    assert len(caught.value.problems) == 3


def test_template_names_the_fields_to_select() -> None:
    template = parse_template("{contact.firstname} {contact.parentcustomerid.name} {account.comms_debt} {firstname}")
    assert template.fields == {"contact.firstname", "contact.parentcustomerid.name", "account.comms_debt", "firstname"}
    assert template.columns_of("Contact") == {"firstname", "parentcustomerid"}
    assert template.columns_of("contract") == frozenset()


def test_render_counts_segments() -> None:
    rendered = render(parse_template("سلام {contact.firstname}"), FIELDS)
    assert rendered.segments.parts == 1 and rendered.segments.units == len("سلام علی")


def test_flatten_fields_walks_mappings_only() -> None:
    class Record:
        firstname = "hidden"

    flat = flatten_fields(
        {
            "Contact": {"FirstName": "Ali", "parentcustomerid": {"name": "Acme"}, "x@OData.Etag": "W/1"},
            "obj": Record(),
            3: "ignored",
        }
    )
    assert flat["contact.firstname"] == "Ali" and flat["contact.parentcustomerid.name"] == "Acme"
    assert "contact.x@odata.etag" not in flat and "obj.firstname" not in flat


def test_format_date_refuses_unknown_directives() -> None:
    with pytest.raises(ValueError):
        format_date(date(2024, 1, 1), "%c", jalali=False)


VALUES = st.one_of(
    st.none(),
    st.text(),
    st.integers(),
    st.booleans(),
    st.decimals(),
    st.floats(),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.lists(st.integers()),
)


@given(source=st.text(alphabet=st.sampled_from('{}|:."%\\ab_cYx ۱ي'), max_size=40), value=VALUES)
def test_hostile_templates_only_ever_raise_template_errors(source: str, value: object) -> None:
    with contextlib.suppress(TemplateError):
        template = parse_template(source)
        render(template, {path: value for path in template.fields}, RenderOptions(tz=TEHRAN))


@given(value=st.text())
def test_values_are_never_re_expanded(value: str) -> None:
    rendered = render(parse_template("[{a.b}]"), {"a.b": value, "a.c": "SECRET"}).text if value.strip() else None
    assert rendered is None or rendered == f"[{value}]"


# -- placeholders through lookups (SMS-12) --------------------------------------------------------


CONTACT = TableShape(
    "contact",
    frozenset({"firstname", "parentcustomerid"}),
    {"parentcustomerid": {"account": "parentcustomerid_account", "contact": "parentcustomerid_contact"}},
)
ACCOUNT = TableShape(
    "account",
    frozenset({"name", "primarycontactid", "createdon"}),
    {"primarycontactid": {"contact": "primarycontactid"}},
)
ACME = {"accountid": "a1", "name": "Acme", "_primarycontactid_value": None, "createdon": date(2024, 3, 20)}


def contact_row(**extra: object) -> dict[str, object]:
    return {
        "firstname": "Ali",
        "_parentcustomerid_value": "a1",
        "_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname": "account",
        **extra,
    }


def walk(source: str, row: dict[str, object], known: Known | None = None):  # noqa: ANN201
    roots = {"contact": Root("contact", row), "recipient": Root("contact", row)}
    known = known or Known({"contact": CONTACT, "account": ACCOUNT}, {("account", "a1"): ACME})
    return resolve_paths(parse_template(source), roots, known, "recipient")


def test_a_path_through_a_lookup_reads_the_related_records_column() -> None:
    resolved = walk("{contact.parentcustomerid.name} {firstname} {recipient.parentcustomerid.createdon}", contact_row())
    assert resolved.fields == {
        "contact.parentcustomerid.name": "Acme",
        "firstname": "Ali",
        "recipient.parentcustomerid.createdon": date(2024, 3, 20),
    }
    assert not resolved.problems and not resolved.needs


def test_what_is_not_yet_read_is_asked_for_not_guessed() -> None:
    resolved = walk("{contact.parentcustomerid.name}", contact_row(), Known())
    assert resolved.needs == Needs(shapes=frozenset({"contact"})) and not resolved.fields
    resolved = walk("{contact.parentcustomerid.name}", contact_row(), Known({"contact": CONTACT}))
    assert resolved.needs == Needs(records=frozenset({("account", "a1")})) and not resolved.fields
    resolved = walk(
        "{contact.parentcustomerid.name}", contact_row(), Known({"contact": CONTACT}, {("account", "a1"): ACME})
    )
    assert resolved.needs == Needs(shapes=frozenset({"account"})) and not resolved.fields


def test_an_expanded_lookup_names_its_table_without_the_annotation() -> None:
    row = {
        "_parentcustomerid_value": "a1",
        "parentcustomerid_account": {"name": "Acme"},
        "parentcustomerid_contact": None,
    }
    assert walk("{contact.parentcustomerid.name}", row).fields == {"contact.parentcustomerid.name": "Acme"}


@pytest.mark.parametrize(
    "source, expected",
    [
        ("{contact.parentcustomerid.nmae}", "{contact.parentcustomerid.nmae}: account has no column nmae"),
        ("{contact.lastname}", "contact has no column lastname"),
        ("{contact.firstname.name}", "firstname on contact is not a lookup"),
        ("{contact.parentcustomerid}", "parentcustomerid on contact is a lookup"),
        ("{contact.parentcustomerid.primarycontactid.firstname}", "primarycontactid is empty on the account"),
        ("{parentcustomerid.primarycontactid.parentcustomerid.primarycontactid.x}", "at most 3 lookups"),
        ("{__class__.x}", "is not a field path"),
    ],
)
def test_wrong_names_and_empty_lookups_are_plain_errors(source: str, expected: str) -> None:
    try:
        resolved = walk(source, contact_row())
    except TemplateSyntaxError as exc:
        assert expected in str(exc)
        return
    assert expected in "; ".join(p.message for p in resolved.problems) and not resolved.fields


def test_an_empty_lookup_takes_the_default_and_a_hostile_value_stays_text() -> None:
    hostile = {**ACME, "name": "{contact.firstname} {0.__class__} %s"}
    known = Known({"contact": CONTACT, "account": ACCOUNT}, {("account", "a1"): hostile})
    source = '{contact.parentcustomerid.name} {contact.parentcustomerid.primarycontactid.firstname|default:"-"}'
    resolved = walk(source, contact_row(), known)
    assert not resolved.problems and not resolved.needs
    assert render(parse_template(source), resolved.fields).text == "{contact.firstname} {0.__class__} %s -"


def test_without_a_recipient_a_bare_path_says_there_is_nothing_to_read() -> None:
    resolved = resolve_paths(parse_template("{firstname}"), {}, Known(), None)
    assert "no recipient or regarding record" in resolved.problems[0].message


def test_first_hops_are_the_lookups_to_expand_on_each_roots_one_read() -> None:
    template = parse_template("{contact.parentcustomerid.name} {parentcustomerid.x.y} {firstname} {regarding.a.b}")
    roots = {"contact": Root("contact", {}), "recipient": Root("contact", {}), "regarding": Root("incident", {})}
    assert first_hops(template, roots, "recipient") == {
        "contact": {"parentcustomerid"},
        "recipient": {"parentcustomerid"},
        "regarding": {"a"},
    }
