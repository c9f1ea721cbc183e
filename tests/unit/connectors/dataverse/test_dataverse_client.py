"""DataverseClient at the wire: headers, ids, keys, paging, change tracking, errors."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
import requests
from responses import matchers

from connectors.dataverse import (
    AlternateKey,
    BadResponseError,
    DataverseClient,
    DuplicateKeyError,
    NotFoundError,
    RecordId,
    StaticToken,
    UpsertMode,
    ValidationError,
    odata,
)

from .dataverse_support import API, ORG

GUID = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"
BASE_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
    "If-None-Match": "null",
    "Authorization": "Bearer tok-1",
}
JSON_HEADERS = {**BASE_HEADERS, "Content-Type": "application/json; charset=utf-8"}
ERROR_CT = {"Content-Type": "application/json; odata.metadata=minimal"}


def sent(wire, index=-1) -> requests.PreparedRequest:
    return wire.calls[index].request


def test_api_url_and_repr(client):
    assert client.api_url == API
    assert "tok-1" not in repr(client)


@pytest.mark.parametrize("base_url", ["ftp://org", "http://org.crm.dynamics.com", "not a url", "https://x/?a=1"])
def test_base_url_must_be_https_unless_loopback(base_url):
    with pytest.raises(ValueError):
        DataverseClient(base_url=base_url, session=requests.Session(), token_provider=StaticToken("t"))


@pytest.mark.parametrize("base_url", ["http://127.0.0.1:8765", "http://localhost:8765/", "http://[::1]:9000"])
def test_loopback_emulator_may_use_http(base_url):
    client = DataverseClient(base_url=base_url, session=requests.Session(), token_provider=StaticToken("t"))
    assert client.api_url == base_url.rstrip("/") + "/api/data/v9.2/"


def test_create_sends_documented_headers_and_reads_odata_entityid(client, wire):
    wire.post(
        API + "accounts",
        status=204,
        headers={"OData-Version": "4.0", "OData-EntityId": f"{API}accounts({GUID})"},
        match=[
            matchers.header_matcher(JSON_HEADERS, strict_match=False),
            matchers.json_params_matcher({"name": "سلام", "creditonhold": False}),
        ],
    )
    assert client.create("accounts", {"name": "سلام", "creditonhold": False}) == GUID
    assert "Prefer" not in sent(wire).headers
    assert sent(wire).body == '{"name":"سلام","creditonhold":false}'.encode()


def test_create_falls_back_to_location(client, wire):
    wire.post(API + "accounts", status=204, headers={"Location": f"{API}accounts({GUID})"})
    assert client.create("accounts", {"name": "x"}) == GUID


@pytest.mark.parametrize("headers", [{}, {"OData-EntityId": f"{API}accounts(not-a-guid)"}])
def test_create_without_an_id_is_a_bad_reply(client, wire, headers):
    wire.post(API + "accounts", status=204, headers=headers)
    with pytest.raises(BadResponseError):
        client.create("accounts", {"name": "x"})


def test_create_with_representation_returns_the_body(client, wire):
    record = {
        "@odata.context": f"{API}$metadata#accounts/$entity",
        "@odata.etag": 'W/"536530"',
        "accountid": GUID,
        "name": "Sample",
    }
    wire.post(
        API + "accounts",
        status=201,
        json=record,
        headers={"Preference-Applied": "return=representation"},
        match=[matchers.header_matcher({"Prefer": "return=representation"}, strict_match=False)],
    )
    assert client.create("accounts", {"name": "Sample"}, return_representation=True) == record


def test_retrieve_by_alternate_key_escapes_and_encodes(client, wire):
    key = AlternateKey({"comms_pbxcallid": "17/00'00#1 +x"})
    wire.get(
        API + "phonecalls(comms_pbxcallid='17%2F00''00%231%20%2Bx')?$select=subject,phonenumber",
        json={"activityid": GUID},
        match=[matchers.header_matcher(BASE_HEADERS, strict_match=False)],
    )
    assert client.retrieve("phonecalls", key, select=["subject", "phonenumber"]) == {"activityid": GUID}
    assert sent(wire).path_url.startswith("/api/data/v9.2/phonecalls(comms_pbxcallid='17%2F00''00%231%20%2Bx')")


def test_retrieve_by_primary_key_with_expand(client, wire):
    wire.get(API + f"contacts({GUID})?$expand=parentcustomerid_account($select=name)", json={"contactid": GUID})
    assert client.retrieve("contacts", RecordId(GUID.upper()), expand=["parentcustomerid_account($select=name)"])


def test_retrieve_missing_record_raises_not_found_with_code(client, wire):
    wire.get(
        API + f"contacts({GUID})",
        status=404,
        headers=ERROR_CT,
        json={"error": {"code": "0x80040217", "message": f"contact With Id = {GUID} Does Not Exist"}},
    )
    with pytest.raises(NotFoundError) as caught:
        client.retrieve("contacts", GUID)
    assert caught.value.code == "0x80040217" and caught.value.status == 404


def test_update_uses_if_match_star(client, wire):
    wire.patch(
        API + f"contacts({GUID})",
        status=204,
        match=[
            matchers.header_matcher({**JSON_HEADERS, "If-Match": "*"}, strict_match=False),
            matchers.json_params_matcher({"telephone1": "+982188887777"}),
        ],
    )
    client.update("contacts", GUID, {"telephone1": "+982188887777"})


def test_update_of_a_missing_record_is_not_found(client, wire):
    wire.patch(
        API + f"contacts({GUID})",
        status=404,
        headers=ERROR_CT,
        json={"error": {"code": "", "message": f"contact With Id = {GUID} Does Not Exist"}},
    )
    with pytest.raises(NotFoundError):
        client.update("contacts", GUID, {"telephone1": "1"})


def test_upsert_sends_no_condition(client, wire):
    wire.patch(API + "phonecalls(comms_pbxcallid='1700000.12')", status=204)
    client.upsert("phonecalls", AlternateKey({"comms_pbxcallid": "1700000.12"}), {"subject": "Call"})
    assert "If-Match" not in sent(wire).headers and sent(wire).headers["If-None-Match"] == "null"


def test_create_only_upsert_turns_412_into_duplicate(client, wire):
    wire.patch(
        API + "phonecalls(comms_pbxcallid='1')",
        status=412,
        headers=ERROR_CT,
        json={"error": {"code": "", "message": "A record with matching key values already exists."}},
        match=[matchers.header_matcher({"If-None-Match": "*"}, strict_match=False)],
    )
    with pytest.raises(DuplicateKeyError) as caught:
        client.upsert(
            "phonecalls", AlternateKey({"comms_pbxcallid": "1"}), {"subject": "x"}, mode=UpsertMode.CREATE_ONLY
        )
    assert caught.value.status == 412


def test_delete_and_missing_ok(client, wire):
    wire.delete(API + f"contacts({GUID})", status=204)
    wire.delete(
        API + f"contacts({GUID})", status=404, headers=ERROR_CT, json={"error": {"code": "", "message": "gone"}}
    )
    wire.delete(
        API + f"contacts({GUID})", status=404, headers=ERROR_CT, json={"error": {"code": "", "message": "gone"}}
    )
    client.delete("contacts", GUID)
    client.delete("contacts", GUID, missing_ok=True)
    with pytest.raises(NotFoundError):
        client.delete("contacts", GUID)


def test_query_follows_next_link_verbatim_across_three_pages(client, wire):
    first = API + "contacts?$select=fullname,telephone1&$filter=telephone1%20eq%20'021''88'&$orderby=fullname"
    link2 = API + "contacts?$select=fullname&$skiptoken=%3Ccookie%20pagenumber=%222%22%20istracking=%22False%22%20/%3E"
    link3 = API + "contacts?$select=fullname&$skiptoken=%3Ccookie%20pagenumber=%223%22%20istracking=%22False%22%20/%3E"
    prefer = matchers.header_matcher({"Prefer": "odata.maxpagesize=2"}, strict_match=False)
    wire.get(first, json={"value": [{"n": 1}, {"n": 2}], "@odata.nextLink": link2}, match=[prefer])
    wire.get(link2, json={"value": [{"n": 3}, {"n": 4}], "@odata.nextLink": link3}, match=[prefer])
    wire.get(link3, json={"value": [{"n": 5}]}, match=[prefer])
    records = list(
        client.query(
            "contacts",
            select=["fullname", "telephone1"],
            filter=odata.eq("telephone1", "021'88"),
            orderby=["fullname"],
            page_size=2,
        )
    )
    assert [r["n"] for r in records] == [1, 2, 3, 4, 5]
    assert [c.request.url for c in wire.calls][1:] == [link2, link3]
    assert client.stats.requests == 3


def test_query_with_top_sends_no_page_size(client, wire):
    wire.get(API + "contacts?$top=2", json={"value": [{"n": 1}, {"n": 2}, {"n": 3}]})
    assert len(list(client.query("contacts", top=2))) == 2
    assert "Prefer" not in sent(wire).headers


def test_query_refuses_a_next_link_to_another_host(client, wire):
    wire.get(API + "contacts", json={"value": [], "@odata.nextLink": "https://evil.example/steal"})
    with pytest.raises(BadResponseError):
        list(client.query("contacts"))


@pytest.mark.parametrize("page", [{"value": "x"}, {"values": []}, [1, 2], {"value": [], "@odata.nextLink": 5}])
def test_query_rejects_malformed_pages(client, wire, page):
    wire.get(API + "contacts", json=page)
    with pytest.raises(BadResponseError):
        list(client.query("contacts"))


def test_query_rejects_non_json(client, wire):
    wire.get(API + "contacts", body=b"<html>maintenance</html>", content_type="text/html")
    with pytest.raises(BadResponseError) as caught:
        list(client.query("contacts"))
    assert "maintenance" in caught.value.raw


def test_query_validates_arguments(client):
    with pytest.raises(ValueError):
        next(client.query("contacts", page_size=5001))
    with pytest.raises(ValueError):
        next(client.query("contacts", select=["name eq 'x' or 1 eq 1"]))
    with pytest.raises(ValueError):
        next(client.query("contacts); drop"))


def test_count_reads_odata_count(client, wire):
    wire.get(
        API + "contacts?$filter=statecode%20eq%200&$count=true",
        json={"@odata.count": 42, "value": [{}]},
        match=[matchers.header_matcher({"Prefer": "odata.maxpagesize=1"}, strict_match=False)],
    )
    assert client.count("contacts", odata.eq("statecode", 0)) == 42


def test_count_pages_through_when_capped(client, wire):
    wire.get(
        API + "contacts?$count=true",
        json={"@odata.count": 5000, "value": [{}], "@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded": True},
    )
    wire.get(API + "contacts", json={"value": [{}] * 3, "@odata.nextLink": API + "contacts?$skiptoken=2"})
    wire.get(API + "contacts?$skiptoken=2", json={"value": [{}] * 2})
    assert client.count("contacts") == 5


def test_count_without_a_count_is_a_bad_reply(client, wire):
    wire.get(API + "contacts?$count=true", json={"value": []})
    with pytest.raises(BadResponseError):
        client.count("contacts")


def test_changes_parses_records_deletions_and_delta_link(client, wire):
    delta = API + "accounts?$select=name&$deltatoken=919042%2108%2f22%2f2017%2008%3a10%3a44"
    wire.get(
        API + "accounts?$select=name,telephone1",
        json={
            "@odata.context": f"{API}$metadata#accounts(name,telephone1)",
            "value": [{"@odata.etag": 'W/"1"', "accountid": GUID, "name": "A", "telephone1": "1"}],
            "@odata.nextLink": API + "accounts?$skiptoken=p2",
        },
        match=[matchers.header_matcher({"Prefer": "odata.track-changes,odata.maxpagesize=5000"}, strict_match=False)],
    )
    wire.get(
        API + "accounts?$skiptoken=p2",
        json={
            "value": [
                {
                    "@odata.context": f"{API}$metadata#accounts/$deletedEntity",
                    "id": "11111111-1111-1111-1111-111111111111",
                    "reason": "deleted",
                }
            ],
            "@odata.deltaLink": delta,
        },
    )
    page = client.changes("accounts", select=["name", "telephone1"])
    assert [r["accountid"] for r in page.records] == [GUID]
    assert page.deleted_ids == ["11111111-1111-1111-1111-111111111111"]
    assert page.delta_link == delta
    wire.get(
        delta,
        json={
            "value": [{"id": "22222222-2222-2222-2222-222222222222", "reason": "deleted"}],
            "@odata.deltaLink": delta + "x",
        },
    )
    again = client.changes("accounts", select=["name"], delta_link=delta)
    assert (again.records, again.deleted_ids) == ([], ["22222222-2222-2222-2222-222222222222"])
    assert sent(wire).url == delta


@pytest.mark.parametrize(
    "page",
    [
        {"value": []},
        {"value": [{"reason": "deleted"}], "@odata.deltaLink": API + "a"},
        {"value": ["junk"], "@odata.deltaLink": API + "a"},
    ],
)
def test_changes_rejects_malformed_replies(client, wire, page):
    wire.get(API + "accounts?$select=name", json=page)
    with pytest.raises(BadResponseError):
        client.changes("accounts", select=["name"])


def test_whoami(client, wire):
    body = {
        "@odata.context": f"{API}$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse",
        "BusinessUnitId": str(uuid.uuid4()),
        "UserId": GUID,
        "OrganizationId": str(uuid.uuid4()),
    }
    wire.get(API + "WhoAmI", json=body)
    assert client.whoami()["UserId"] == GUID


def test_request_is_the_low_level_escape_hatch(client, wire):
    wire.post(API + "PublishXml", status=204, match=[matchers.json_params_matcher({"ParameterXml": "<x/>"})])
    response = client.request("post", "PublishXml", json={"ParameterXml": "<x/>"}, idempotent=True)
    assert response.status_code == 204


def test_validation_error_keeps_the_dataverse_message(client, wire):
    message = "A validation error occurred.  The length of the 'subject' attribute exceeded '200'."
    wire.post(API + "tasks", status=400, headers=ERROR_CT, json={"error": {"code": "0x80044331", "message": message}})
    with pytest.raises(ValidationError) as caught:
        client.create("tasks", {"subject": "x" * 300})
    assert caught.value.message == message and caught.value.reason == message


def test_bodies_refuse_naive_datetimes_and_odd_types(client):
    import datetime as dt

    with pytest.raises(ValueError):
        client.create("tasks", {"scheduledend": dt.datetime(2024, 1, 1)})
    with pytest.raises(TypeError):
        client.create("tasks", {"subject": object()})


def test_no_key_values_or_tokens_in_debug_logs(client, wire, caplog):
    caplog.set_level(logging.DEBUG)
    wire.get(API + "contacts(telephone1='%2B989121234567')", json={})
    client.retrieve("contacts", AlternateKey({"telephone1": "+989121234567"}))
    assert "dataverse GET contacts -> 200" in caplog.text
    assert "989121234567" not in caplog.text and "tok-1" not in caplog.text


def test_sent_body_is_json_with_charset(client, wire):
    wire.post(API + "accounts", status=204, headers={"OData-EntityId": f"{API}accounts({GUID})"})
    client.create("accounts", {"description": "line1\nline2 'q' \u06f1"})
    assert json.loads(sent(wire).body) == {"description": "line1\nline2 'q' \u06f1"}
    assert ORG in sent(wire).url


@pytest.mark.parametrize(
    "named, header", [({"systemuser_id": GUID.upper()}, "MSCRMCallerID"), ({"object_id": GUID}, "CallerObjectId")]
)
def test_a_caller_client_sends_every_request_on_behalf_of_the_user(client, wire, named, header):
    """Impersonation (Learn: "Impersonate another user using the Web API"): one header, the user's id."""
    wire.get(
        API + f"contacts({GUID})",
        json={"contactid": GUID},
        match=[matchers.header_matcher({**BASE_HEADERS, header: GUID}, strict_match=False)],
    )
    wire.get(API + f"accounts({GUID})", json={"accountid": GUID})

    client.as_caller(**named).retrieve("contacts", RecordId(GUID))
    client.retrieve("accounts", RecordId(GUID))

    assert sent(wire, 0).headers[header] == GUID
    assert not {"MSCRMCallerID", "CallerObjectId"} & set(sent(wire, 1).headers)


@pytest.mark.parametrize("named", [{}, {"systemuser_id": GUID, "object_id": GUID}, {"systemuser_id": "me"}])
def test_a_caller_is_named_by_exactly_one_guid(client, named):
    with pytest.raises(ValueError):
        client.as_caller(**named)
