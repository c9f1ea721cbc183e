"""The OData filter builder: escaping, injection resistance and query encoding."""

from __future__ import annotations

import datetime as dt
import decimal
import re
import uuid
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.dataverse import odata

# --- a small OData tokenizer written for these tests, independent of the builder ---

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'(?:[^']|'')*')
      | (?P<jarray>\[(?:"(?:[^"\\]|\\.)*"(?:,"(?:[^"\\]|\\.)*")*)\])
      | (?P<word>[A-Za-z_][A-Za-z0-9_./]*)
      | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<punct>[(),=])
    )""",
    re.VERBOSE | re.DOTALL,
)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise ValueError(f"cannot tokenize at {position}: {text[position:]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def parse_string_literal(token: str) -> str:
    assert token.startswith("'") and token.endswith("'") and len(token) >= 2
    inner = token[1:-1]
    assert "'" not in inner.replace("''", ""), "an unpaired quote inside a literal"
    return inner.replace("''", "'")


def unescape_like(text: str) -> str:
    return re.sub(r"\[([%_\[])\]", r"\1", text)


# --- literals ---


@pytest.mark.parametrize(
    "value, expected",
    [
        ("021'88", "'021''88'"),
        ("", "''"),
        ("O'Bryan", "'O''Bryan'"),
        ("سلام", "'سلام'"),
        (True, "true"),
        (False, "false"),
        (None, "null"),
        (42, "42"),
        (-7, "-7"),
        (1.5, "1.5"),
        (decimal.Decimal("12.50"), "12.50"),
        (uuid.UUID("00000000-0000-0000-0000-000000000001"), "00000000-0000-0000-0000-000000000001"),
        (dt.datetime(2024, 3, 20, 12, 30, tzinfo=dt.UTC), "2024-03-20T12:30:00Z"),
        (
            dt.datetime(2024, 3, 20, 16, 0, 0, 250000, tzinfo=dt.timezone(dt.timedelta(hours=3, minutes=30))),
            "2024-03-20T12:30:00.25Z",
        ),
        (dt.date(2024, 3, 20), "2024-03-20"),
    ],
)
def test_literal_renders_each_type(value, expected):
    assert odata.literal(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), decimal.Decimal("NaN"), dt.datetime(2024, 1, 1)])
def test_literal_refuses_values_odata_cannot_carry(value):
    with pytest.raises(ValueError):
        odata.literal(value)


@pytest.mark.parametrize("value", [object(), b"bytes", ["list"], {"a": 1}])
def test_literal_refuses_unknown_types(value):
    with pytest.raises(TypeError):
        odata.literal(value)


@given(st.text())
def test_any_string_round_trips_through_an_odata_parser(text):
    rendered = odata.literal(text)
    tokens = tokenize(rendered)
    assert [kind for kind, _ in tokens] == ["string"]
    assert parse_string_literal(tokens[0][1]) == text


# --- comparisons cannot be broken out of ---


def test_eq_matches_the_agreed_example():
    assert odata.eq("telephone1", "021'88") == "telephone1 eq '021''88'"


@pytest.mark.parametrize("operator", ["eq", "ne", "gt", "ge", "lt", "le"])
@given(text=st.text())
def test_comparison_is_always_one_property_one_operator_one_literal(operator, text):
    expression = getattr(odata, operator)("telephone1", text)
    tokens = tokenize(expression)
    assert tokens[:2] == [("word", "telephone1"), ("word", operator)]
    assert len(tokens) == 3 and tokens[2][0] == "string"
    assert parse_string_literal(tokens[2][1]) == text


@pytest.mark.parametrize(
    "hostile",
    [
        "' or 1 eq 1 or name eq '",
        "x') or (1 eq 1",
        "021%20'88",
        "+98 (21) 8888#123&x=1",
        "a\nb\r\nc",
        "محمد رضا'ی",
        "'",
        "''",
    ],
)
def test_hostile_values_stay_inside_the_literal(hostile):
    expression = odata.and_(odata.eq("fullname", hostile), odata.eq("statecode", 0))
    tokens = tokenize(expression)
    strings = [parse_string_literal(value) for kind, value in tokens if kind == "string"]
    assert strings == [hostile]
    words = [value for kind, value in tokens if kind == "word"]
    assert words == ["fullname", "eq", "and", "statecode", "eq"]


@pytest.mark.parametrize(
    "name",
    ["name eq 'x' or 1 eq 1", "name)", "1abc", "", "a b", "name;drop", "a//b", "x" * 129, "name'", "név"],
)
def test_property_names_are_validated(name):
    with pytest.raises(ValueError):
        odata.eq(name, "x")


@pytest.mark.parametrize("name", ["telephone1", "_parentcustomerid_value", "primarycontactid/fullname", "comms_Number"])
def test_valid_property_names_pass(name):
    assert odata.eq(name, 1) == f"{name} eq 1"


def test_property_name_must_be_a_string():
    with pytest.raises(ValueError):
        odata.property_name(None)  # type: ignore[arg-type]


# --- string functions ---


@pytest.mark.parametrize("function", ["contains", "startswith", "endswith"])
@given(text=st.text())
def test_string_functions_escape_quotes_and_wildcards(function, text):
    expression = getattr(odata, function)("fullname", text)
    tokens = tokenize(expression)
    assert tokens[:3] == [("word", function), ("punct", "("), ("word", "fullname")]
    assert tokens[3] == ("punct", ",") and tokens[5] == ("punct", ")") and len(tokens) == 6
    assert unescape_like(parse_string_literal(tokens[4][1])) == text


def test_contains_makes_sql_wildcards_literal_unless_asked():
    assert odata.contains("name", "50%_[x]") == "contains(name,'50[%][_][[]x]')"
    assert odata.startswith("name", "a%b", wildcards=True) == "startswith(name,'a%b')"


def test_string_functions_refuse_non_text():
    with pytest.raises(TypeError):
        odata.contains("name", 5)  # type: ignore[arg-type]


# --- In ---


def test_in_uses_a_json_array_so_apostrophes_survive():
    expression = odata.in_("lastname", ["OBrian", "O'Brian", 'say "hi"'])
    assert expression == (
        'Microsoft.Dynamics.CRM.In(PropertyName=\'lastname\',PropertyValues=["OBrian","O\'Brian","say \\"hi\\""])'
    )


def test_in_renders_non_strings_as_text_values():
    assert (
        odata.in_("statecode", [0, 1])
        == 'Microsoft.Dynamics.CRM.In(PropertyName=\'statecode\',PropertyValues=["0","1"])'
    )


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_in_values_round_trip(values):
    tokens = tokenize(odata.in_("lastname", values))
    arrays = [value for kind, value in tokens if kind == "jarray"]
    import json

    assert json.loads(arrays[0]) == values


@pytest.mark.parametrize("values", [[], [None]])
def test_in_refuses_empty_or_null(values):
    with pytest.raises(ValueError):
        odata.in_("lastname", values)


# --- combinators ---


def test_and_or_not_parenthesise_each_part():
    a, b = odata.eq("a", 1), odata.eq("b", "x")
    assert odata.and_(a, b) == "(a eq 1) and (b eq 'x')"
    assert odata.or_(a, b) == "(a eq 1) or (b eq 'x')"
    assert odata.not_(a) == "not (a eq 1)"
    assert odata.and_(a) == a


@pytest.mark.parametrize("combine", [odata.and_, odata.or_])
def test_combinators_refuse_hand_written_text(combine):
    with pytest.raises(TypeError):
        combine(odata.eq("a", 1), "name eq 'x' or 1 eq 1")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        combine()


def test_not_refuses_hand_written_text():
    with pytest.raises(TypeError):
        odata.not_("1 eq 1")  # type: ignore[arg-type]


# --- other query options ---


def test_select_orderby_expand_are_validated():
    assert odata.select_list(["fullname", "telephone1"]) == "fullname,telephone1"
    assert odata.orderby_list(["createdon desc", "fullname"]) == "createdon desc,fullname"
    assert odata.expand_list(["primarycontactid($select=fullname)"]) == "primarycontactid($select=fullname)"
    for bad in (
        lambda: odata.select_list([]),
        lambda: odata.select_list(["a,b"]),
        lambda: odata.orderby_list(["name; drop"]),
        lambda: odata.expand_list(["a b"]),
        lambda: odata.expand_list(["nav($select=x"]),
    ):
        with pytest.raises(ValueError):
            bad()


@given(st.text())
def test_encoded_filter_round_trips_through_a_url_parser(text):
    expression = odata.eq("telephone1", text)
    query = odata.encode_query({"$filter": expression, "$select": "telephone1"})
    for char in " &#+\n?":
        assert char not in query.split("&", 1)[0].removeprefix("$filter=")
    assert parse_qsl(urlsplit("https://x/api?" + query).query, keep_blank_values=True) == [
        ("$filter", expression),
        ("$select", "telephone1"),
    ]


def test_encode_query_encodes_the_documented_specials():
    query = odata.encode_query({"$filter": odata.contains("name", "+123")})
    assert query == "$filter=contains(name%2C'%2B123')"
    assert odata.encode_query({"$filter": "a eq '$&,/:;=?@'"}) == "$filter=a%20eq%20'%24%26%2C%2F%3A%3B%3D%3F%40'"


@pytest.mark.parametrize("name", ["a&b", "$filter=x", "", "1x"])
def test_encode_query_refuses_odd_option_names(name):
    with pytest.raises(ValueError):
        odata.encode_query({name: "x"})
