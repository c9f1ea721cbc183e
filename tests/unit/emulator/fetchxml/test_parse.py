"""The FetchXML parser: shapes it reads, hostile input refused before parsing, 400 versus 501."""

from __future__ import annotations

import pytest

from emulator.errors import ODataError
from emulator.fetchxml.model import Attribute, Condition, Filter, Order
from emulator.fetchxml.parse import MAX_BYTES, parse


def test_a_full_query_reads_into_values() -> None:
    fetch = parse("""<fetch count="3" page="2" distinct="true" paging-cookie="&lt;cookie page=&quot;1&quot;/&gt;">
      <entity name="contact"><attribute name="fullname" alias="n"/><order attribute="fullname" descending="true"/>
        <filter type="or"><condition attribute="lastname" operator="in"><value>a</value><value>b</value></condition>
          <filter><condition attribute="statecode" operator="eq" value="0"/></filter></filter>
        <link-entity name="account" from="accountid" to="parentcustomerid" link-type="outer" alias="a">
          <all-attributes/></link-entity></entity></fetch>""")
    assert (fetch.count, fetch.page, fetch.distinct, fetch.paging_cookie) == (3, 2, True, '<cookie page="1"/>')
    entity = fetch.entity
    assert entity.attributes == (Attribute("fullname", "n"),)
    assert entity.orders == (Order("fullname", None, True),)
    assert entity.filters == (
        Filter(
            "or", (Condition("lastname", "in", values=("a", "b")), Filter("and", (Condition("statecode", "eq", "0"),)))
        ),
    )
    link = entity.links[0]
    assert (link.name, link.link_from, link.link_to, link.link_type, link.alias, link.all_attributes) == (
        "account",
        "accountid",
        "parentcustomerid",
        "outer",
        "a",
        True,
    )


HOSTILE = [
    '<!DOCTYPE fetch [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><fetch><entity name="contact"/></fetch>',
    '<!DOCTYPE fetch [<!ENTITY x SYSTEM "file:///etc/passwd">]><fetch><entity name="contact"/></fetch>',
    '<fetch><entity name="contact"><filter>' + "<condition attribute='a' operator='null'/>" * 30_000 + "</filter>"
    "</entity></fetch>",
    "<fetch>" + "<filter>" * 3000 + "</filter>" * 3000 + "</fetch>",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_is_a_400_and_never_expanded(text: str) -> None:
    with pytest.raises(ODataError) as refused:
        parse(text)
    assert refused.value.status == 400 and "passwd" not in refused.value.message
    assert len(HOSTILE[2].encode()) > MAX_BYTES


@pytest.mark.parametrize(
    "text, status, words",
    [
        ("<fetch><entity name='contact'>", 400, "not well-formed"),
        ("<savedquery/>", 400, "not <fetch>"),
        ("<fetch><entity name='contact'/><entity name='lead'/></fetch>", 400, "exactly one <entity>"),
        ("<fetch top='5' count='2'><entity name='contact'/></fetch>", 400, "top"),
        ("<fetch count='-1'><entity name='contact'/></fetch>", 400, "positive whole number"),
        ("<fetch bogus='1'><entity name='contact'/></fetch>", 400, "no attribute 'bogus'"),
        ("<fetch><entity name='contact'><filter type='xor'/></entity></fetch>", 400, "and / or"),
        ("<fetch><entity name='contact'><order attribute='a' alias='b'/></entity></fetch>", 400, "exactly one"),
        ("<fetch><entity name='contact'><link-entity name='account' to='x'/></entity></fetch>", 400, "from and to"),
        ("<fetch datasource='retained'><entity name='contact'/></fetch>", 501, "'datasource'"),
        (
            "<fetch><entity name='contact'><link-entity name='a' from='x' to='y' link-type='any'/></entity></fetch>",
            501,
            "link-type 'any'",
        ),
        (
            "<fetch aggregate='true'><entity name='contact'><attribute name='createdon' groupby='true' alias='x' "
            "dategrouping='fiscal-year'/></entity></fetch>",
            501,
            "fiscal-year",
        ),
    ],
)
def test_malformed_is_400_and_unsupported_is_501_naming_it(text: str, status: int, words: str) -> None:
    with pytest.raises(ODataError) as refused:
        parse(text)
    assert refused.value.status == status and words in refused.value.message
