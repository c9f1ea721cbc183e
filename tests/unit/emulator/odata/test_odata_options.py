"""System query options and record references: accepted shapes and clear refusals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emulator.errors import ODataError
from emulator.odata import (
    ExpandOption,
    QueryOptions,
    RecordRef,
    parse_entity_url,
    parse_query_options,
    parse_record_ref,
)

GUID = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, QueryOptions()),
        ({"$select": "fullname, lastname,fullname"}, QueryOptions(select=("fullname", "lastname"))),
        ({"$select": "*"}, QueryOptions()),
        ({"$orderby": "fullname desc, createdon"}, QueryOptions(orderby=(("fullname", True), ("createdon", False)))),
        ({"$orderby": "fullname asc"}, QueryOptions(orderby=(("fullname", False),))),
        ({"$top": "10"}, QueryOptions(top=10)),
        ({"$count": "true"}, QueryOptions(count=True)),
        ({"$count": "false"}, QueryOptions(count=False)),
        (
            {"$expand": "parentcustomerid_account($select=name,accountnumber),ownerid"},
            QueryOptions(
                expand=(ExpandOption("parentcustomerid_account", ("name", "accountnumber")), ExpandOption("ownerid"))
            ),
        ),
        ({"$expand": "ownerid()"}, QueryOptions(expand=(ExpandOption("ownerid"),))),
        ({"$SELECT": "fullname"}, QueryOptions(select=("fullname",))),
        ({"$skiptoken": "opaque", "$deltatoken": "1!x", "custom": "ignored"}, QueryOptions()),
    ],
)
def test_supported_options_parse(params, expected):
    assert parse_query_options(params) == expected


def test_filter_with_aliases_is_parsed():
    options = parse_query_options({"$filter": "lastname eq @name", "@name": "'O''Brian'"})
    assert options.filter is not None and "O'Brian" in repr(options.filter)


@pytest.mark.parametrize(
    "params, status, fragment",
    [
        ({"$skip": "10"}, 400, "$skip is not supported"),
        ({"$search": "x"}, 501, "$search"),
        ({"$apply": "groupby((name))"}, 501, "$apply"),
        ({"$compute": "a add b as c"}, 501, "$compute"),
        ({"$foo": "1"}, 400, "'$foo' is not supported"),
        ({"$top": "-1"}, 400, "$top"),
        ({"$top": "ten"}, 400, "$top"),
        ({"$top": "١٢"}, 400, "$top"),
        ({"$count": "yes"}, 400, "count"),
        ({"$select": "a,,b"}, 400, "not a property name"),
        ({"$select": "a; DROP TABLE x"}, 400, "not a property name"),
        ({"$select": "primarycontactid/fullname"}, 501, "$select item"),
        ({"$orderby": "a sideways"}, 400, "property [asc|desc]"),
        ({"$orderby": "a/b desc"}, 501, "navigation path"),
        ({"$expand": "ownerid($count=true)"}, 400, "not allowed inside $expand"),
        ({"$expand": "ownerid($apply=groupby((a)))"}, 501, "$apply"),
        ({"$expand": "ownerid($expand=businessunitid)"}, 501, "nested $expand"),
        ({"$expand": "ownerid($top=1;$top=2)"}, 400, "given twice"),
        ({"$expand": "ownerid($select=a"}, 400, "Unbalanced"),
        ({"$expand": "ownerid)"}, 400, "Unbalanced"),
        ({"$expand": "a b"}, 400, "$expand item"),
        ({"$select": "a", "$Select": "b"}, 400, "more than once"),
        ({"$filter": "a eq"}, 400, "Syntax error"),
    ],
)
def test_bad_or_unsupported_options_are_refused(params, status, fragment):
    with pytest.raises(ODataError) as caught:
        parse_query_options(params)
    assert (caught.value.status, caught.value.code) == (status, "0x80060888")
    assert fragment in caught.value.message


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["$select", "$filter", "$orderby", "$top", "$count", "$expand", "@p"]),
        st.text(max_size=40),
        max_size=4,
    )
)
def test_any_option_values_parse_or_raise_odata_error(params):
    try:
        parse_query_options(params)
    except ODataError as error:
        assert error.status in (400, 501)


@pytest.mark.parametrize(
    "text, expected",
    [
        (GUID, RecordRef(id=GUID)),
        (GUID.upper(), RecordRef(id=GUID)),
        ("accountnumber='ABC123'", RecordRef(key={"accountnumber": "ABC123"})),
        ("lastname='O''Brian',age=5", RecordRef(key={"lastname": "O'Brian", "age": 5})),
        (" code = 'a,b=c' ", RecordRef(key={"code": "a,b=c"})),
        (
            f"_primarycontactid_value={GUID}",
            RecordRef(key={"_primarycontactid_value": GUID}, guid_keys=frozenset({"_primarycontactid_value"})),
        ),
        (f"contactid={GUID}", RecordRef(key={"contactid": GUID}, guid_keys=frozenset({"contactid"}))),
        ("flag=true", RecordRef(key={"flag": True})),
    ],
)
def test_record_refs_parse(text, expected):
    assert parse_record_ref(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "'abc'",
        "a=",
        "a='x',",
        "a='x' b='y'",
        "a='x',a='y'",
        "a=null",
        "=5",
        "a='unterminated",
        "a=b",
        "1234",
        "a='\x00'",
        "a=(1)",
        GUID + "," + GUID,
        "x" * 9000,
    ],
)
def test_bad_record_refs_are_400(text):
    with pytest.raises(ODataError) as caught:
        parse_record_ref(text)
    assert caught.value.status == 400


def test_record_ref_describes_itself_as_in_a_url():
    ref = parse_record_ref(f"name='O''Brian',n=5,_x_value={GUID}")
    assert ref.describe() == f"name='O''Brian',n=5,_x_value={GUID}"


@pytest.mark.parametrize(
    "url, expected_set, expected_ref",
    [
        (f"/contacts({GUID})", "contacts", RecordRef(id=GUID)),
        (f"contacts({GUID})", "contacts", RecordRef(id=GUID)),
        (f"https://org.crm.dynamics.com/api/data/v9.2/contacts({GUID})", "contacts", RecordRef(id=GUID)),
        (
            "/comms_smses(comms_providermessageid='a/b(c)')",
            "comms_smses",
            RecordRef(key={"comms_providermessageid": "a/b(c)"}),
        ),
    ],
)
def test_bind_urls_parse(url, expected_set, expected_ref):
    assert parse_entity_url(url) == (expected_set, expected_ref)


@pytest.mark.parametrize("url", ["", "/contacts", "contacts()", "/contacts(nope)", "/$metadata", "(x)"])
def test_bad_bind_urls_are_400(url):
    with pytest.raises(ODataError) as caught:
        parse_entity_url(url)
    assert caught.value.status == 400


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_any_ref_text_parses_or_raises_odata_error(text):
    try:
        parse_record_ref(text)
    except ODataError as error:
        assert error.status == 400


#: Every system query option OData 4.0/4.01 defines, Dataverse's own parameters and common misspellings,
#: with what the emulator answers: None (applied), or (status, fragment of the message).
OPTION_TABLE = [
    ("$select", "name", None),
    ("$filter", "name eq 'a'", None),
    ("$orderby", "name", None),
    ("$top", "3", None),
    ("$count", "true", None),
    ("$expand", "ownerid", None),
    ("$format", "json", None),
    ("$format", "application/json;odata.metadata=minimal", None),
    ("$format", "xml", (400, "JSON only")),
    ("$skip", "1", (400, "$skip is not supported")),
    ("$apply", "aggregate($count as n)", (501, "$apply")),
    ("$search", "blue", (501, "$search")),
    ("$compute", "a as b", (501, "$compute")),
    ("$levels", "2", (501, "$levels")),
    ("$index", "1", (501, "$index")),
    ("$schemaversion", "1", (501, "$schemaversion")),
    ("$id", "accounts(1)", (501, "$id")),
    ("sql", "SELECT name FROM account", (501, "sql query parameter")),
    ("fetchXml", "<fetch/>", (501, "fetchXml")),
    ("savedQuery", "00000000-0000-0000-0000-000000000001", (501, "savedQuery")),
    ("userQuery", "00000000-0000-0000-0000-000000000001", (501, "userQuery")),
    ("partitionId", "p1", (501, "partitionId")),
    ("tag", "from-test", None),
    ("$selct", "name", (400, "'$selct' is not supported")),
    ("$filters", "x", (400, "'$filters' is not supported")),
    ("$orderBy", "name", None),
    ("$Top", "1", None),
    ("$inlinecount", "allpages", (400, "'$inlinecount' is not")),
    ("$skipToken", "abc", None),
    ("$expands", "ownerid", (400, "'$expands' is not supported")),
    ("$", "1", (400, "'$' is not supported")),
    ("cachebuster", "123", None),
    ("_", "123", None),
]


@pytest.mark.parametrize("name, value, outcome", OPTION_TABLE, ids=[f"{n}={v}"[:40] for n, v, _ in OPTION_TABLE])
def test_every_query_option_is_applied_or_refused(name, value, outcome):
    if outcome is None:
        parse_query_options({name: value})
        return
    with pytest.raises(ODataError) as caught:
        parse_query_options({name: value})
    assert (caught.value.status, caught.value.code) == (outcome[0], "0x80060888")
    assert outcome[1] in caught.value.message


def test_nested_expand_options_parse():
    parsed = parse_query_options(
        {"$expand": "contact_customer_accounts($select=fullname;$filter=lastname eq 'A';$orderby=fullname desc;$top=2)"}
    )
    (item,) = parsed.expand
    assert item.select == ("fullname",) and item.orderby == (("fullname", True),) and item.top == 2
    assert item.filter is not None and item.has_collection_options
