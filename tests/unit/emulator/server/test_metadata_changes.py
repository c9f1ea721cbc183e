"""``RetrieveMetadataChanges``: an EntityQueryExpression's criteria and properties, and version stamps."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from .metadata_bodies import TABLE, gadget_api, string
from .webapi_harness import Api, payload


def equals(name: str, value: str) -> dict:
    return {"PropertyName": name, "ConditionOperator": "Equals", "Value": {"Type": "System.String", "Value": value}}


GADGET_QUERY = {
    "Criteria": {"Conditions": [equals("LogicalName", "new_gadget")]},
    "Properties": {"PropertyNames": ["LogicalName", "Attributes"]},
    "AttributeQuery": {"Properties": {"PropertyNames": ["LogicalName", "MaxLength", "MinValue"]}},
}


def changes(api: Api, query: dict, stamp: str | None = None, deleted: str | None = None):
    names, params = ["Query=@p1"], {"@p1": json.dumps(query)}
    if stamp is not None:
        names.append("ClientVersionStamp=@p2")
        params["@p2"] = f"'{stamp}'"
    if deleted is not None:
        names.append("DeletedMetadataFilters=@p3")
        params["@p3"] = f"Microsoft.Dynamics.CRM.DeletedMetadataFilters'{deleted}'"
    return api.send("GET", f"RetrieveMetadataChanges({','.join(names)})?{urlencode(params)}")


def test_criteria_and_properties_choose_tables_columns_and_fields() -> None:
    body = payload(changes(gadget_api(), GADGET_QUERY))
    [entity] = body["EntityMetadata"]
    assert set(entity) == {"@odata.type", "MetadataId", "HasChanged", "LogicalName", "Attributes"}
    code = next(a for a in entity["Attributes"] if a["LogicalName"] == "new_code")
    assert code["MaxLength"] == 100 and "MinValue" not in code and "DisplayName" not in code
    assert body["ServerVersionStamp"] and body["DeletedMetadata"] is None


def test_attribute_criteria_with_or_and_in() -> None:
    query = {
        **GADGET_QUERY,
        "AttributeQuery": {
            "Criteria": {
                "FilterOperator": "Or",
                "Conditions": [
                    equals("LogicalName", "new_code"),
                    {"PropertyName": "LogicalName", "ConditionOperator": "In", "Value": ["new_note", "nothing"]},
                ],
            },
            "Properties": {"PropertyNames": ["LogicalName"]},
        },
    }
    [entity] = payload(changes(gadget_api(), query))["EntityMetadata"]
    assert sorted(a["LogicalName"] for a in entity["Attributes"]) == ["new_code", "new_note"]


def test_a_client_stamp_returns_only_what_changed_and_what_was_deleted() -> None:
    api = gadget_api()
    everything = {"Properties": {"PropertyNames": ["LogicalName"]}}
    stamp = payload(changes(api, everything))["ServerVersionStamp"]
    assert payload(changes(api, everything, stamp))["EntityMetadata"] == []
    api.send("POST", "EntityDefinitions(LogicalName='account')/Attributes", json_body=string("new_Tier"))
    api.send("DELETE", f"{TABLE}/Attributes(LogicalName='new_note')")
    api.send("DELETE", TABLE)
    later = payload(changes(api, everything, stamp, "Entity,Attribute"))
    assert [(e["LogicalName"], e["HasChanged"]) for e in later["EntityMetadata"]] == [("account", True)]
    deleted = later["DeletedMetadata"]
    assert deleted["Keys"] == ["Attribute", "Entity"] and [len(v) for v in deleted["Values"]] == [1, 1]
    assert payload(changes(api, everything, later["ServerVersionStamp"], "All"))["DeletedMetadata"]["Count"] == 0


def test_refusals() -> None:
    api = Api()
    expired = changes(api, {}, "7!elsewhere")
    assert expired.status == 400 and payload(expired)["error"]["code"] == "0x80044352"
    relationship_query = changes(api, {"RelationshipQuery": {}})
    assert relationship_query.status == 501 and "RelationshipQuery" in payload(relationship_query)["error"]["message"]
    unknown = changes(api, {"Properties": {"PropertyNames": ["Nonsense"]}})
    assert unknown.status == 400 and "Nonsense" in payload(unknown)["error"]["message"]
    assert changes(api, {"Criteria": {"Conditions": [equals("Nonsense", "x")]}}).status == 400
    assert api.send("POST", "RetrieveMetadataChanges(Query=@p1)?@p1={}").status == 405
