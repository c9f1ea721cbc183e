"""SMS templates: parsing, rendering, missing fields, hostile input (SMS-11, SMS-12)."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.sms.dates import format_date
from domain.sms.templates import (
    Calendar,
    RenderOptions,
    TemplateError,
    TemplateRenderError,
    TemplateSyntaxError,
    flatten_fields,
    parse_template,
    render,
)

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
        render(parse_template("  {a.b|default:\" \"}"), {})


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

    flat = flatten_fields({
        "Contact": {"FirstName": "Ali", "parentcustomerid": {"name": "Acme"}, "x@OData.Etag": "W/1"},
        "obj": Record(), 3: "ignored",
    })
    assert flat["contact.firstname"] == "Ali" and flat["contact.parentcustomerid.name"] == "Acme"
    assert "contact.x@odata.etag" not in flat and "obj.firstname" not in flat


def test_format_date_refuses_unknown_directives() -> None:
    with pytest.raises(ValueError):
        format_date(date(2024, 1, 1), "%c", jalali=False)


VALUES = st.one_of(
    st.none(), st.text(), st.integers(), st.booleans(), st.decimals(), st.floats(), st.dates(),
    st.datetimes(timezones=st.just(UTC)), st.lists(st.integers()),
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
