"""Deep insert: a POST creates a record and the new related records its body nests, all or nothing.

Learn, "Create related table rows in one operation"
(https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#create-related-table-rows-in-one-operation).
"""

from __future__ import annotations

import base64

import pytest

from emulator.store.deep import MAX_DEPTH

from .webapi_harness import Api, payload

PDF = base64.b64encode(b"%PDF-1.4 offer").decode()
UNKNOWN = "The property 'nosuch' does not exist on type 'Microsoft.Dynamics.CRM.annotation'."


@pytest.fixture()
def api() -> Api:
    return Api()


def count(api: Api, entity_set: str) -> int:
    return len(payload(api.send("GET", entity_set))["value"])


def created_id(response) -> str:
    assert response.status == 204, response.body
    return response.header("OData-EntityId").rsplit("(", 1)[1].rstrip(")")


def test_a_fax_is_created_with_its_notes_and_only_its_own_address_comes_back(api: Api) -> None:
    body = {
        "subject": "Offer",
        "Fax_Annotation": [
            {"filename": "offer.pdf", "mimetype": "application/pdf", "documentbody": PDF},
            {"filename": "terms.pdf", "documentbody": PDF},
        ],
    }
    response = api.send("POST", "faxes", json_body=body)
    fax_id = created_id(response)
    assert "annotations" not in response.header("OData-EntityId")  # Learn: the related rows' URIs aren't returned
    notes = payload(api.send("GET", f"faxes({fax_id})/Fax_Annotation?$select=filename"))["value"]
    assert sorted(n["filename"] for n in notes) == ["offer.pdf", "terms.pdf"]
    every = {"Prefer": 'odata.include-annotations="*"'}
    note = payload(api.send("GET", f"annotations({notes[0]['annotationid']})", headers=every))
    assert note["_objectid_value"] == fax_id
    assert note["_objectid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] == "fax"
    assert note["_objectid_value@Microsoft.Dynamics.CRM.associatednavigationproperty"] == "objectid_fax"


def test_return_representation_gives_the_record_and_expand_its_new_related_records(api: Api) -> None:
    body = {"subject": "Offer", "Fax_Annotation": [{"filename": "offer.pdf", "documentbody": PDF}]}
    plain = api.send("POST", "faxes?$select=subject", json_body=body, headers={"Prefer": "return=representation"})
    assert plain.status == 201
    assert "Fax_Annotation" not in payload(plain)  # only with $expand
    expanded = api.send(
        "POST",
        "faxes?$select=subject&$expand=Fax_Annotation($select=filename)",
        json_body=body,
        headers={"Prefer": "return=representation"},
    )
    assert expanded.status == 201
    [note] = payload(expanded)["Fax_Annotation"]
    assert note["filename"] == "offer.pdf" and note["annotationid"]


def test_single_valued_and_nested_collections_as_in_learns_example(api: Api) -> None:
    body = {
        "name": "Sample Account",
        "primarycontactid": {"firstname": "John", "lastname": "Smith"},
        "account_parent_account": [{"name": "Branch", "account_parent_account": [{"name": "Desk"}]}],
    }
    account_id = created_id(api.send("POST", "accounts", json_body=body))
    account = payload(
        api.send("GET", f"accounts({account_id})?$expand=primarycontactid($select=fullname),account_parent_account")
    )
    assert account["primarycontactid"]["fullname"] == "John Smith"
    [branch] = account["account_parent_account"]
    assert branch["name"] == "Branch"
    [desk] = payload(api.send("GET", f"accounts({branch['accountid']})/account_parent_account"))["value"]
    assert desk["name"] == "Desk" and desk["_parentaccountid_value"] == branch["accountid"]
    assert count(api, "accounts") == 3 and count(api, "contacts") == 1


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        ({"Fax_Annotation": [{"filename": "a.pdf", "nosuch": 1}]}, 400, UNKNOWN),
        ({"Fax_Annotation": [{"filename": "a" * 256}]}, 400, "exceeded the maximum allowed length of '255'"),
        ({"Fax_Annotation": {"filename": "a.pdf"}}, 400, "'Fax_Annotation' is collection-valued"),
        ({"Fax_Annotation": "a.pdf"}, 400, "not a string"),
        ({"Fax_Annotation": ["/annotations(00000000-0000-0000-0000-000000000001)"]}, 400, "must be a JSON object"),
        (
            {"Fax_Annotation": [{"@odata.id": "annotations(00000000-0000-0000-0000-000000000001)"}]},
            400,
            "mixes a reference (@odata.id) with new records",
        ),
        (
            {"Fax_Annotation": [{"filename": "a.pdf"}], "Fax_Annotation@odata.bind": []},
            400,
            "given both as new records and as Fax_Annotation@odata.bind",
        ),
        ({"Fax_Annotation": [{"filename": "a.pdf", "objectid_account": {"name": "x"}}]}, 400, "cannot set 'objectid'"),
        ({"fax_annotation": [{"filename": "a.pdf"}]}, 400, "The property 'fax_annotation' does not exist on type"),
        ({"regardingobjectid_contact_fax": [{"firstname": "x"}]}, 400, "is single-valued"),
        ({"ownerid": {"fullname": "x"}}, 400, "may point at more than one table"),
    ],
    ids=[
        "unknown-nested-column",
        "nested-too-long",
        "object-for-collection",
        "string-for-collection",
        "string-item",
        "odata-id-item",
        "nested-and-bind",
        "nested-sets-the-link",
        "wrong-case",
        "array-for-single",
        "polymorphic-owner",
    ],
)
def test_a_bad_nested_row_is_refused_and_nothing_is_created(api: Api, body: dict, status: int, fragment: str) -> None:
    before = count(api, "annotations"), count(api, "accounts"), count(api, "contacts")
    response = api.send("POST", "faxes", json_body={"subject": "Offer", **body})
    assert response.status == status, response.body
    assert fragment in payload(response)["error"]["message"]
    assert count(api, "faxes") == 0
    assert (count(api, "annotations"), count(api, "accounts"), count(api, "contacts")) == before


def test_a_failure_in_the_last_nested_row_rolls_back_the_record_and_every_earlier_one(api: Api) -> None:
    body = {
        "name": "Parent",
        "primarycontactid": {"firstname": "John"},
        "account_parent_account": [{"name": "ok"}, {"name": "x" * 161}],
    }
    response = api.send("POST", "accounts", json_body=body)
    assert response.status == 400 and payload(response)["error"]["code"] == "0x80044331"
    assert count(api, "accounts") == 0 and count(api, "contacts") == 0


def test_a_new_note_that_binds_itself_elsewhere_is_refused(api: Api) -> None:
    other = created_id(api.send("POST", "faxes", json_body={"subject": "Other"}))
    note = {"filename": "a.pdf", "objectid_fax@odata.bind": f"/faxes({other})"}
    response = api.send("POST", "faxes", json_body={"subject": "Offer", "Fax_Annotation": [note]})
    assert response.status == 400 and "cannot set 'objectid'" in payload(response)["error"]["message"]
    assert count(api, "faxes") == 1 and count(api, "annotations") == 0


def test_a_lookup_set_both_by_a_new_record_and_a_bind_is_refused(api: Api) -> None:
    contact = created_id(api.send("POST", "contacts", json_body={"firstname": "Existing"}))
    body = {"primarycontactid": {"firstname": "New"}, "primarycontactid@odata.bind": f"/contacts({contact})"}
    response = api.send("POST", "accounts", json_body={"name": "A", **body})
    assert response.status == 400 and "given both as new records" in payload(response)["error"]["message"]
    assert count(api, "accounts") == 0 and count(api, "contacts") == 1


def _chain(levels: int) -> dict:
    body: dict = {"name": f"level {levels}"}
    for level in range(levels - 1, -1, -1):
        body = {"name": f"level {level}", "account_parent_account": [body]}
    return body


def test_nesting_is_accepted_to_the_emulators_depth_and_refused_beyond_it(api: Api) -> None:
    assert created_id(api.send("POST", "accounts", json_body=_chain(MAX_DEPTH)))
    assert count(api, "accounts") == MAX_DEPTH + 1
    response = api.send("POST", "accounts", json_body=_chain(MAX_DEPTH + 1))
    assert response.status == 400 and "more than 10 levels deep" in payload(response)["error"]["message"]
    assert count(api, "accounts") == MAX_DEPTH + 1


def test_a_hostile_deep_body_is_a_clear_400_not_a_crash(api: Api) -> None:
    response = api.send("POST", "accounts", json_body=_chain(400))
    assert response.status == 400
    assert count(api, "accounts") == 0


def test_json_nested_thousands_deep_is_a_clear_400(api: Api) -> None:
    body = ('{"name": "x", "account_parent_account": [' * 20_000 + "{}" + "]}" * 20_000).encode()
    response = api.send("POST", "accounts", body=body, headers={"Content-Type": "application/json"})
    assert response.status == 400 and "nests JSON too deeply" in payload(response)["error"]["message"]
    assert count(api, "accounts") == 0


def test_an_update_or_upsert_with_new_related_records_is_a_clear_501(api: Api) -> None:
    path = "faxes(00000000-0000-0000-0000-0000000000ab)"
    response = api.send("PATCH", path, json_body={"Fax_Annotation": [{"filename": "a.pdf"}]})
    assert response.status == 501 and "in an update or upsert" in payload(response)["error"]["message"]
    assert count(api, "faxes") == 0 and count(api, "annotations") == 0


def test_the_metadata_lists_fax_annotation_with_its_partner(api: Api) -> None:
    csdl = api.send("GET", "$metadata").body.decode()
    assert (
        '<NavigationProperty Name="Fax_Annotation" Type="Collection(mscrm.annotation)" Partner="objectid_fax"' in csdl
    )
