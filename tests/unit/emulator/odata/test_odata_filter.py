"""$filter: parsing, compilation to SQL with bound parameters, and the rows it selects."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.errors import ODataError
from emulator.odata import compile_filter, parse_filter
from emulator.odata.ast import Comparison, Literal, Logical, Not, Property

from .odata_tables import contact_table

ROWS = [
    # id, fullname, lastname, children, credit, donotphone, birthdate, lastcalledon, gender, parent
    (
        "a",
        "Anna O'Brian",
        "O'Brian",
        2,
        100.5,
        1,
        "1980-05-01",
        "2024-01-01T10:00:00Z",
        2,
        "00000000-0000-0000-0000-000000000001",
    ),
    ("b", "bob smith", "Smith", 0, None, 0, None, "2024-03-01T00:00:00Z", 1, None),
    ("c", "Carla 100% Real", None, None, 2000.0, 0, "1990-12-31", None, None, "00000000-0000-0000-0000-000000000002"),
]


@pytest.fixture()
def db() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE TABLE c (contactid TEXT, fullname TEXT COLLATE NOCASE, lastname TEXT COLLATE NOCASE, "
        "numberofchildren INTEGER, creditlimit REAL, donotphone INTEGER, birthdate TEXT, lastcalledon TEXT, "
        "gendercode INTEGER, parentcustomerid TEXT)"
    )
    connection.executemany("INSERT INTO c VALUES (?,?,?,?,?,?,?,?,?,?)", ROWS)
    return connection


def select_ids(db, contact, text: str, aliases=None) -> list[str]:
    sql, params = compile_filter(parse_filter(text, aliases), contact)
    return [row[0] for row in db.execute(f"SELECT contactid FROM c WHERE {sql} ORDER BY contactid", params)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("fullname eq 'BOB SMITH'", ["b"]),  # case-insensitive like Dataverse
        ("lastname eq 'O''Brian'", ["a"]),
        ("lastname ne 'Smith'", ["a"]),  # SQL semantics: null is neither equal nor unequal
        ("lastname eq null", ["c"]),
        ("lastname ne null", ["a", "b"]),
        ("numberofchildren gt 0", ["a"]),
        ("numberofchildren ge 0", ["a", "b"]),
        ("0 lt numberofchildren", ["a"]),
        ("numberofchildren le 0 or creditlimit gt 1000", ["b", "c"]),
        ("creditlimit ge 100.5 and creditlimit lt 2000", ["a"]),
        ("donotphone eq true", ["a"]),
        ("not (donotphone eq true)", ["b", "c"]),
        ("not donotphone eq true", ["b", "c"]),
        ("birthdate lt 1985-01-01", ["a"]),
        ("lastcalledon ge 2024-02-01T00:00:00Z", ["b"]),
        ("lastcalledon lt 2024-01-01T12:00:00+01:00", ["a"]),
        ("lastcalledon ge 2024-03-01", ["b"]),
        ("gendercode eq 2", ["a"]),
        ("_parentcustomerid_value eq 00000000-0000-0000-0000-000000000002", ["c"]),
        ("_parentcustomerid_value eq 00000000-0000-0000-0000-00000000000A", []),
        ("contains(fullname,'SMITH')", ["b"]),
        ("startswith(fullname,'anna')", ["a"]),
        ("endswith(fullname,'real')", ["c"]),
        ("contains(fullname,'100%')", ["c"]),
        ("not contains(fullname,'o')", ["c"]),
        ("fullname eq lastname", []),
        ("numberofchildren eq 1 or gendercode eq 1", ["b"]),
        ("Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=['smith','nobody'])", ["b"]),
        ('Microsoft.Dynamics.CRM.In(PropertyName=\'gendercode\',PropertyValues=["1","2"])', ["a", "b"]),
        ("Microsoft.Dynamics.CRM.NotIn(PropertyName='gendercode',PropertyValues=[1])", ["a"]),
        ('Microsoft.Dynamics.CRM.Between(PropertyName=\'creditlimit\',PropertyValues=["100","1000"])', ["a"]),
        ('Microsoft.Dynamics.CRM.NotBetween(PropertyName=\'numberofchildren\',PropertyValues=["1","5"])', ["b"]),
        ("((((fullname eq 'bob smith'))))", ["b"]),
        ("fullname eq 'x' or fullname eq 'y' or fullname eq 'bob smith' and gendercode eq 1", ["b"]),
    ],
)
def test_filter_selects_the_right_rows(db, contact, text, expected):
    assert select_ids(db, contact, text) == expected


def test_parameter_aliases_are_resolved(db, contact):
    aliases = {"@p1": "'lastname'", "@p2": '["OBrian","O\'Brian"]', "@n": "0"}
    text = "Microsoft.Dynamics.CRM.In(PropertyName=@p1,PropertyValues=@p2) and numberofchildren gt @n"
    assert select_ids(db, contact, text, aliases) == ["a"]


def test_values_are_bound_never_spliced(contact):
    sql, params = compile_filter(parse_filter("fullname eq 'x''); DROP TABLE c; --'"), contact)
    assert "DROP" not in sql and params == ["x'); DROP TABLE c; --"]


def test_not_binds_tighter_than_and_which_binds_tighter_than_or():
    expr = parse_filter("not a eq 1 and b eq 2 or c eq 3")
    first = Comparison("eq", Property("a"), Literal("int", 1))
    assert expr == Logical(
        "or",
        (
            Logical("and", (Not(first), Comparison("eq", Property("b"), Literal("int", 2)))),
            Comparison("eq", Property("c"), Literal("int", 3)),
        ),
    )


@pytest.mark.parametrize(
    "text, status, fragment",
    [
        ("nosuch eq 1", 400, "Could not find a property named 'nosuch' on type 'Microsoft.Dynamics.CRM.contact'."),
        ("parentcustomerid eq 00000000-0000-0000-0000-000000000001", 400, "Could not find a property"),
        ("to eq 'x'", 400, "Could not find a property named 'to'"),
        ("fullname eq 5", 400, "Found operand types 'Edm.String' and 'Edm.Int32' for operator kind 'Equal'"),
        ("numberofchildren eq 1.5", 400, "incompatible types"),
        ("_parentcustomerid_value eq '00000000-0000-0000-0000-000000000001'", 400, "'Edm.Guid' and 'Edm.String'"),
        ("birthdate eq 2024-01-01T00:00:00Z", 400, "incompatible types"),
        ("fullname eq numberofchildren", 400, "incompatible types"),
        ("lastname eq 'O'Bryan'", 400, "There is an unterminated literal at position"),
        ("fullname eq 'abc", 400, "unterminated literal"),
        ("(fullname eq 'a'", 400, "expected ')'"),
        ("fullname eq 'a')", 400, "expected the end of the expression"),
        ("fullname eq", 400, "expected a property or a literal"),
        ("fullname", 400, "expected a comparison operator"),
        ("fullname eq 'a' and", 400, "Syntax error"),
        ("", 400, "must not be empty"),
        ("fullname == 'a'", 400, "expected a comparison operator"),
        ("fullname eq 'a\x00'", 400, "contains a NUL character at position 14"),
        ("fullname eq 'a' \x00", 400, "NUL character"),
        ("lastcalledon gt 2024-13-01T00:00:00Z", 400, "Edm.DateTimeOffset"),
        ("contains(numberofchildren,'1')", 400, "needs a string property"),
        ("contains('x',fullname)", 400, "must be a property"),
        ("contains(fullname,5)", 400, "must be a string literal"),
        ("contains(fullname,'[a]')", 501, "wildcard"),
        ("contains(fullname,'a') eq true", 501, "comparing the result of a function"),
        ("tolower(fullname) eq 'a'", 501, "the function 'tolower'"),
        ("In(PropertyName='lastname',PropertyValues=['a'])", 400, "must be written as 'Microsoft.Dynamics.CRM.In'"),
        ("Microsoft.Dynamics.CRM.LastXHours(PropertyName='lastcalledon',PropertyValue=2)", 501, "LastXHours"),
        ("Microsoft.Dynamics.CRM.In(PropertyName='lastname')", 400, "PropertyName and PropertyValues"),
        ("Microsoft.Dynamics.CRM.In(PropertyName='lastname',PropertyValues=[])", 400, "at least one"),
        ("Microsoft.Dynamics.CRM.Between(PropertyName='creditlimit',PropertyValues=['1'])", 400, "exactly 2"),
        ("Microsoft.Dynamics.CRM.In(PropertyName='gendercode',PropertyValues=['x'])", 400, "Expected a literal"),
        ("Microsoft.Dynamics.CRM.In(PropertyName=@missing,PropertyValues=['x'])", 400, "has no value"),
        ("contacts/any(c: c/fullname eq 'a')", 501, "lambda"),
        ("parentcustomerid_contact/fullname eq 'a'", 501, "navigation paths"),
        ("numberofchildren add 1 eq 2", 501, "arithmetic"),
        ("gendercode in (1,2)", 501, "Microsoft.Dynamics.CRM.In"),
        ("1 eq 1", 501, "two literals"),
        ("numberofchildren gt null", 400, "cannot compare"),
        ("fullname eq 'a' and and fullname eq 'b'", 400, "Syntax error"),
    ],
)
def test_bad_filters_get_clear_errors(contact, text, status, fragment):
    with pytest.raises(ODataError) as caught:
        compile_filter(parse_filter(text), contact)
    assert caught.value.status == status
    assert fragment in caught.value.message
    assert caught.value.body()["error"]["code"] == "0x80060888"


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("(" * 40 + "fullname eq 'a'" + ")" * 40, "nested more than"),
        ("not " * 40 + "fullname eq 'a'", "nested more than"),
        (" or ".join(["fullname eq 'a'"] * 501), "more than 500 conditions"),
        ("fullname eq '" + "x" * 40_000 + "'", "longer than"),
        (
            "Microsoft.Dynamics.CRM.In(PropertyName='gendercode',PropertyValues=[" + ",".join(["1"] * 2001) + "])",
            "more than 2000 values",
        ),
    ],
)
def test_hostile_sizes_are_refused(contact, text, fragment):
    with pytest.raises(ODataError) as caught:
        compile_filter(parse_filter(text), contact)
    assert caught.value.status == 400 and fragment in caught.value.message


def test_long_flat_chains_stay_within_sqlite_limits(db, contact):
    text = " or ".join(f"numberofchildren eq {n}" for n in range(500))
    assert select_ids(db, contact, text) == ["a", "b"]


FILTER_ALPHABET = st.sampled_from(
    [
        "fullname",
        "numberofchildren",
        "eq",
        "ne",
        "gt",
        "and",
        "or",
        "not",
        "(",
        ")",
        "'",
        "''",
        "'x'",
        " ",
        "1",
        "1.5",
        "null",
        "true",
        ",",
        "contains",
        "[",
        "]",
        "@p",
        "=",
        "\x00",
        "-",
        "/",
        "00000000-0000-0000-0000-000000000001",
        "2024-01-01",
        "Microsoft.Dynamics.CRM.In",
        "PropertyName",
        "PropertyValues",
        ";",
        "--",
        "é",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(FILTER_ALPHABET, max_size=30).map("".join) | st.text(max_size=80))
def test_any_text_either_compiles_to_valid_sql_or_raises_odata_error(text):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE c (fullname TEXT, lastname TEXT, numberofchildren INTEGER, gendercode INTEGER)")
    try:
        sql, params = compile_filter(parse_filter(text, {"@p": "'x'"}), contact_table())
    except ODataError as error:
        assert error.status in (400, 501)
        return
    db.execute(f"SELECT 1 FROM c WHERE {sql}", params).fetchall()
