"""``PUT RelationshipDefinitions(...)`` renames a lookup's navigation property, as Dataverse allows."""

from __future__ import annotations

from .webapi_harness import Api, payload

LABEL = {"LocalizedLabels": [{"Label": "Sponsor", "LanguageCode": 1033}]}
RELATIONSHIP = {
    "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
    "SchemaName": "new_account_contact_sponsor",
    "ReferencedEntity": "account",
    "ReferencingEntity": "contact",
    "ReferencingEntityNavigationPropertyName": "new_sponsorid",
    "Lookup": {
        "@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata",
        "SchemaName": "new_SponsorId",
        "DisplayName": LABEL,
    },
}


def test_put_renames_the_navigation_property_and_binds_follow() -> None:
    api = Api()
    assert api.send("POST", "RelationshipDefinitions", json_body=RELATIONSHIP).status == 204
    account = api.send("POST", "accounts", json_body={"name": "A"}).header("OData-EntityId").rsplit("(", 1)[1][:-1]
    path = "RelationshipDefinitions(SchemaName='new_account_contact_sponsor')"
    definition = payload(api.send("GET", path))
    assert definition["ReferencingEntityNavigationPropertyName"] == "new_sponsorid"
    definition["ReferencingEntityNavigationPropertyName"] = "new_SponsorId"
    assert api.send("PUT", f"RelationshipDefinitions({definition['MetadataId']})", json_body=definition).status == 204
    assert payload(api.send("GET", path))["ReferencingEntityNavigationPropertyName"] == "new_SponsorId"
    bind = {"lastname": "B", "new_SponsorId@odata.bind": f"/accounts({account})"}
    assert api.send("POST", "contacts", json_body=bind).status == 204
    old = api.send("POST", "contacts", json_body={"lastname": "C", "new_sponsorid@odata.bind": f"/accounts({account})"})
    assert old.status == 400


def test_put_cannot_change_what_a_relationship_relates() -> None:
    api = Api()
    api.send("POST", "RelationshipDefinitions", json_body=RELATIONSHIP)
    path = "RelationshipDefinitions(SchemaName='new_account_contact_sponsor')"
    definition = {**payload(api.send("GET", path)), "ReferencedEntity": "lead"}
    response = api.send("PUT", path, json_body=definition)
    assert response.status == 400 and "ReferencedEntity" in payload(response)["error"]["message"]
