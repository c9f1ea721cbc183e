"""The FetchXML subset translator: what it expresses exactly, and what it refuses with a reason (SMS-08)."""

from __future__ import annotations

import pytest

from services.sms import tables
from services.sms.bulk.fetchxml import MAX_FETCHXML_BYTES, FetchXmlError, ListQuery, translate

MEMBERS = {t: tables.TABLES[t] for t in ("contact", "account", "lead")}


def fetch(body: str, entity: str = "contact", **attributes: str) -> str:
    extra = "".join(f' {k}="{v}"' for k, v in attributes.items())
    return f'<fetch version="1.0" mapping="logical"{extra}><entity name="{entity}">{body}</entity></fetch>'


@pytest.mark.parametrize("body, expected", [
    ('<attribute name="fullname"/><order attribute="fullname"/>', None),
    ('<filter><condition attribute="statecode" operator="eq" value="0"/></filter>', "statecode eq 0"),
    ('<filter type="and"><condition attribute="statecode" operator="eq" value="0"/><filter type="or">'
     '<condition attribute="lastname" operator="like" value="%ali%"/>'
     '<condition attribute="mobilephone" operator="not-null"/></filter></filter>',
     "(statecode eq 0) and ((contains(lastname,'ali')) or (mobilephone ne null))"),
    ('<filter><condition attribute="lastname" operator="begins-with" value="رضا"/></filter>',
     "startswith(lastname,'رضا')"),
    ('<filter><condition attribute="lastname" operator="like" value="O\'Neil%"/></filter>',
     "startswith(lastname,'O''Neil')"),
    ('<filter><condition attribute="donotphone" operator="eq" value="1"/></filter>', "donotphone eq true"),
    ('<filter><condition attribute="mobilephone" operator="null"/></filter>', "mobilephone eq null"),
    ('<filter><condition attribute="lastname" operator="not-like" value="%test"/></filter>',
     "not (endswith(lastname,'test'))"),
])
def test_the_supported_subset_becomes_the_same_filter(body: str, expected: str | None) -> None:
    assert translate(fetch(body), MEMBERS) == ListQuery("contact", expected)


def test_in_lists_every_value() -> None:
    query = translate(fetch('<filter><condition attribute="lastname" operator="in"><value>a</value>'
                            '<value>b</value></condition></filter>', "lead"), MEMBERS)
    assert query.table == "lead" and '["a","b"]' in query.filter and "lastname" in query.filter


BILLION_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE fetch [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">'
                  '<!ENTITY c "&b;&b;&b;&b;&b;&b;">]>' + fetch(
                      '<filter><condition attribute="lastname" operator="eq" value="&c;"/></filter>'))
XXE = ('<?xml version="1.0"?><!DOCTYPE fetch [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       + fetch('<filter><condition attribute="lastname" operator="eq" value="&x;"/></filter>'))
DEEP = fetch("<filter>" * 5000 + '<condition attribute="lastname" operator="null"/>' + "</filter>" * 5000)


@pytest.mark.parametrize("document, reason", [
    (BILLION_LAUGHS, "document type"),
    (XXE, "document type"),
    ('<!DOCTYPE fetch SYSTEM "http://attacker.example/x.dtd">' + fetch(""), "document type"),
    (fetch("<filter>" + '<condition attribute="lastname" operator="null"/>' * 20_000 + "</filter>"), "too long"),
    (DEEP, "not well-formed"),
    ("<fetch><entity name='contact'>", "not well-formed"),
    ("", "not well-formed"),
    ('<savedquery><fetch/></savedquery>', "does not start with <fetch>"),
    ('<fetch><entity name="contact"/><entity name="lead"/></fetch>', "exactly one <entity>"),
    (fetch("", "incident"), "'incident', which is not one of account, contact, lead"),
    (fetch('<link-entity name="account" from="accountid" to="parentcustomerid"/>'), "<link-entity>"),
    (fetch('<filter><link-entity name="account" from="accountid" to="parentcustomerid"/></filter>'),
     "<link-entity> inside a filter"),
    (fetch('<filter><condition entityname="a" attribute="name" operator="eq" value="x"/></filter>'),
     "linked tables"),
    (fetch("", aggregate="true"), "aggregate"),
    (fetch("", top="50"), "top row limit"),
    (fetch('<filter type="xor"><condition attribute="lastname" operator="null"/></filter>'), "'xor'"),
    (fetch('<filter><condition attribute="password" operator="eq" value="x"/></filter>'), "'password'"),
    (fetch('<filter><condition attribute="statecode" operator="eq" value="0 or 1 eq 1"/></filter>'),
     "not a whole number"),
    (fetch('<filter><condition attribute="donotphone" operator="eq" value="maybe"/></filter>'), "yes/no"),
    (fetch('<filter><condition attribute="lastname" operator="eq-userid"/></filter>'), "no value"),
    (fetch('<filter><condition attribute="lastname" operator="under" value="x"/></filter>'), "'under'"),
    (fetch('<filter><condition attribute="lastname" operator="like" value="a%b%"/></filter>'), "wildcards"),
    (fetch('<filter><condition attribute="lastname" operator="in"/></filter>'), "lists no values"),
])
def test_what_cannot_be_expressed_or_is_hostile_is_refused_with_a_reason(document: str, reason: str) -> None:
    with pytest.raises(FetchXmlError) as refused:
        translate(document, MEMBERS)
    assert reason in str(refused.value)
    assert "/etc/passwd" not in str(refused.value) or reason == "document type"


def test_the_size_limit_counts_bytes_not_characters() -> None:
    persian = "ب" * (MAX_FETCHXML_BYTES // 2)  # two bytes each in UTF-8
    with pytest.raises(FetchXmlError, match="too long"):
        translate(fetch(f'<filter><condition attribute="lastname" operator="eq" value="{persian}"/></filter>'),
                  MEMBERS)


def test_a_quote_in_a_value_cannot_escape_the_filter_string() -> None:
    query = translate(fetch('<filter><condition attribute="lastname" operator="eq" '
                            'value="x\') or (statecode eq 1"/></filter>'), MEMBERS)
    assert query.filter == "lastname eq 'x'') or (statecode eq 1'"
