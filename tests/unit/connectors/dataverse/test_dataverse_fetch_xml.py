"""DataverseClient.fetch_xml at the wire: the query in ``fetchXml``, paging by cookie as Microsoft documents it."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from lxml import etree
from responses import matchers

from connectors.dataverse import BadResponseError

from .dataverse_support import API

QUERY = "<fetch><entity name='contact'><attribute name='fullname'/><order attribute='fullname'/></entity></fetch>"
PREFER = matchers.header_matcher(
    {
        "Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.fetchxmlpagingcookie,'
        'Microsoft.Dynamics.CRM.morerecords"'
    },
    strict_match=False,
)
INNER = '<cookie page="1"><contactid last="{30717E9C-643F-ED11-9DB0-002248225E95}" first="{20717E9C}" /></cookie>'


def sent_fetch(call) -> etree._Element:
    query = parse_qs(urlsplit(call.request.url).query)
    return etree.fromstring(query["fetchXml"][0].encode())


def cookie_annotation(inner: str, page: int) -> str:
    return f'<cookie pagenumber="{page}" pagingcookie="{quote(quote(inner, safe=""), safe="")}" istracking="False" />'


def test_fetch_xml_pages_by_cookie_until_no_more_records(client, wire):
    wire.get(
        API + "contacts",
        match=[PREFER],
        json={
            "value": [{"n": 1}, {"n": 2}],
            "@Microsoft.Dynamics.CRM.morerecords": True,
            "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie": cookie_annotation(INNER, 2),
        },
    )
    wire.get(API + "contacts", match=[PREFER], json={"value": [{"n": 3}]})
    rows = list(client.fetch_xml("contacts", QUERY, page_size=2))
    assert [r["n"] for r in rows] == [1, 2, 3]
    first, second = (sent_fetch(call) for call in wire.calls)
    assert (first.get("page"), first.get("count"), first.get("paging-cookie")) == ("1", "2", None)
    assert (second.get("page"), second.get("count")) == ("2", "2")
    assert second.get("paging-cookie") == INNER  # decoded twice, set as the attribute value
    assert second.find("entity").get("name") == "contact"


def test_fetch_xml_with_top_is_sent_once_unchanged(client, wire):
    top = "<fetch top='3'><entity name='contact'><attribute name='fullname'/></entity></fetch>"
    wire.get(API + "contacts", json={"value": [{"n": 1}], "@Microsoft.Dynamics.CRM.morerecords": True})
    assert len(list(client.fetch_xml("contacts", top))) == 1
    assert parse_qs(urlsplit(wire.calls[0].request.url).query)["fetchXml"] == [top]


def test_fetch_xml_keeps_the_query_count_when_no_page_size(client, wire):
    wire.get(API + "accounts", json={"value": []})
    list(client.fetch_xml("accounts", "<fetch count='7'><entity name='account'/></fetch>"))
    assert sent_fetch(wire.calls[0]).get("count") == "7"


@pytest.mark.parametrize("query", ["<fetch><entity", "<!DOCTYPE x [<!ENTITY a 'b'>]><fetch/>", "<entity name='a'/>"])
def test_fetch_xml_refuses_bad_queries_before_sending(client, wire, query):
    with pytest.raises(ValueError):
        list(client.fetch_xml("contacts", query))
    assert not wire.calls


def test_fetch_xml_rejects_a_cookie_that_is_not_xml(client, wire):
    wire.get(
        API + "contacts",
        json={
            "value": [],
            "@Microsoft.Dynamics.CRM.morerecords": True,
            "@Microsoft.Dynamics.CRM.fetchxmlpagingcookie": "<cookie",
        },
    )
    with pytest.raises(BadResponseError):
        list(client.fetch_xml("contacts", QUERY))
