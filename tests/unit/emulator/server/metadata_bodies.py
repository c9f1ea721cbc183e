"""Metadata request bodies for route tests: a custom table ``new_gadget`` and a lookup to it."""

from __future__ import annotations

from .webapi_harness import Api


def label(text: str) -> dict:
    return {"LocalizedLabels": [{"Label": text, "LanguageCode": 1033}]}


def string(schema: str, **extra: object) -> dict:
    return {
        "@odata.type": "Microsoft.Dynamics.CRM.StringAttributeMetadata",
        "SchemaName": schema,
        "DisplayName": label(schema),
        "MaxLength": 100,
        **extra,
    }


GADGET = {
    "SchemaName": "new_Gadget",
    "DisplayName": label("Gadget"),
    "DisplayCollectionName": label("Gadgets"),
    "OwnershipType": "UserOwned",
    "Attributes": [string("new_Name", IsPrimaryName=True), string("new_Code"), string("new_Note")],
}
LOOKUP_TO_GADGET = {
    "@odata.type": "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
    "SchemaName": "new_gadget_contact",
    "ReferencedEntity": "new_gadget",
    "ReferencingEntity": "contact",
    "Lookup": {
        "@odata.type": "Microsoft.Dynamics.CRM.LookupAttributeMetadata",
        "SchemaName": "new_GadgetId",
        "DisplayName": label("Gadget"),
    },
}
TABLE = "EntityDefinitions(LogicalName='new_gadget')"


def gadget_api() -> Api:
    api = Api()
    assert api.send("POST", "EntityDefinitions", json_body=GADGET).status == 204
    return api
