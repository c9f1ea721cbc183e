"""Web API metadata bodies, checked against the shapes in
MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/webapi/create-update-entity-definitions-using-web-api.md."""

from __future__ import annotations

import json

import pytest

import dataverse_schema as schema
from dataverse_schema import webapi
from dataverse_schema.columns import boolean, choice, decimal, integer, memo, phone, text, when
from dataverse_schema.model import ENGLISH, OPTION_VALUE_BASE, PERSIAN, ColumnType, RequiredLevel, choices

CRM = "Microsoft.Dynamics.CRM."


def labels_of(label: dict) -> dict[int, str]:
    assert label["@odata.type"] == CRM + "Label"
    return {item["LanguageCode"]: item["Label"] for item in label["LocalizedLabels"]}


def test_string_column_matches_the_documented_shape():
    body = webapi.attribute_metadata(
        phone("comms_Number", "Number", "The number.", required=RequiredLevel.APPLICATION_REQUIRED, fa="شماره")
    )
    assert body["@odata.type"] == CRM + "StringAttributeMetadata"
    assert (body["AttributeType"], body["AttributeTypeName"]) == ("String", {"Value": "StringType"})
    assert body["FormatName"] == {"Value": "Phone"}
    assert body["MaxLength"] == 50
    assert body["SchemaName"] == "comms_Number"
    assert labels_of(body["DisplayName"]) == {ENGLISH: "Number", PERSIAN: "شماره"}
    assert labels_of(body["Description"]) == {ENGLISH: "The number."}
    assert body["RequiredLevel"] == {
        "Value": "ApplicationRequired",
        "CanBeChanged": True,
        "ManagedPropertyLogicalName": "canmodifyrequirementlevelsettings",
    }


@pytest.mark.parametrize(
    "column, odata_type, attribute_type, type_name, extra",
    [
        (
            memo("comms_Note", "Note", "n", length=4000),
            "MemoAttributeMetadata",
            "Memo",
            "MemoType",
            {"MaxLength": 4000, "Format": "TextArea"},
        ),
        (
            integer("comms_Count", "Count", "c", minimum=1, maximum=20),
            "IntegerAttributeMetadata",
            "Integer",
            "IntegerType",
            {"MinValue": 1, "MaxValue": 20, "Format": "None"},
        ),
        (
            decimal("comms_Credit", "Credit", "c", precision=2),
            "DecimalAttributeMetadata",
            "Decimal",
            "DecimalType",
            {"Precision": 2, "MinValue": -100_000_000_000, "MaxValue": 100_000_000_000},
        ),
        (
            when("comms_SentOn", "Sent", "s"),
            "DateTimeAttributeMetadata",
            "DateTime",
            "DateTimeType",
            {"Format": "DateAndTime", "DateTimeBehavior": {"Value": "UserLocal"}},
        ),
        (
            when("comms_Day", "Day", "d", date_only=True),
            "DateTimeAttributeMetadata",
            "DateTime",
            "DateTimeType",
            {"Format": "DateOnly"},
        ),
        (
            text("comms_Code", "Code", "c", length=20),
            "StringAttributeMetadata",
            "String",
            "StringType",
            {"MaxLength": 20, "FormatName": {"Value": "Text"}},
        ),
    ],
)
def test_each_column_type_has_its_metadata_type(column, odata_type, attribute_type, type_name, extra):
    body = webapi.attribute_metadata(column)
    assert body["@odata.type"] == CRM + odata_type
    assert body["AttributeType"] == attribute_type
    assert body["AttributeTypeName"] == {"Value": type_name}
    for name, value in extra.items():
        assert body[name] == value


def test_boolean_column_has_a_boolean_option_set_and_default():
    body = webapi.attribute_metadata(boolean("comms_IsDefault", "Default", "d", default=True))
    assert body["@odata.type"] == CRM + "BooleanAttributeMetadata"
    assert body["DefaultValue"] is True
    option_set = body["OptionSet"]
    assert option_set["OptionSetType"] == "Boolean"
    assert option_set["TrueOption"]["Value"] == 1 and option_set["FalseOption"]["Value"] == 0
    assert labels_of(option_set["TrueOption"]["Label"])[ENGLISH] == "Yes"
    assert labels_of(option_set["FalseOption"]["Label"])[PERSIAN] == "خیر"


def test_choice_column_uses_a_local_option_set_in_the_publisher_range():
    body = webapi.attribute_metadata(choice("comms_Kind", "Kind", choices(("A", "الف"), "B", default=1), "k"))
    assert body["@odata.type"] == CRM + "PicklistAttributeMetadata"
    assert (body["AttributeType"], body["AttributeTypeName"]) == ("Picklist", {"Value": "PicklistType"})
    assert body["SourceTypeMask"] == 0
    assert body["DefaultFormValue"] == OPTION_VALUE_BASE + 1
    option_set = body["OptionSet"]
    assert option_set["@odata.type"] == CRM + "OptionSetMetadata"
    assert (option_set["IsGlobal"], option_set["OptionSetType"]) == (False, "Picklist")
    assert [o["Value"] for o in option_set["Options"]] == [OPTION_VALUE_BASE, OPTION_VALUE_BASE + 1]
    assert labels_of(option_set["Options"][0]["Label"]) == {ENGLISH: "A", PERSIAN: "الف"}


def test_global_choice_binds_to_its_definition():
    shared = choices("On", "Off", name="comms_switch")
    body = webapi.attribute_metadata(choice("comms_Switch", "Switch", shared, "s"))
    assert body["GlobalOptionSet@odata.bind"] == "/GlobalOptionSetDefinitions(Name='comms_switch')"
    assert "OptionSet" not in body
    definition = webapi.global_option_set_metadata(shared)
    assert definition["Name"] == "comms_switch" and definition["IsGlobal"] is True
    with pytest.raises(ValueError):
        webapi.global_option_set_metadata(choices("x"))


@pytest.mark.parametrize("column_name", ["ownerid", "statecode", "statuscode", "activityid", "from"])
def test_columns_dataverse_creates_itself_are_refused(column_name):
    with pytest.raises(ValueError, match="not created"):
        webapi.attribute_metadata(schema.table("comms_sms").column(column_name))


def test_custom_table_body_has_exactly_its_primary_name_attribute():
    body = webapi.entity_metadata(schema.table("comms_telephonysystem"))
    assert body["@odata.type"] == CRM + "EntityMetadata"
    assert body["SchemaName"] == "comms_TelephonySystem"
    assert body["OwnershipType"] == "OrganizationOwned"
    assert body["IsActivity"] is False
    assert labels_of(body["DisplayName"]) == {ENGLISH: "Telephony System", PERSIAN: "سامانه تلفنی"}
    assert labels_of(body["DisplayCollectionName"])[ENGLISH] == "Telephony Systems"
    (primary,) = body["Attributes"]
    assert primary["IsPrimaryName"] is True
    assert primary["SchemaName"] == "comms_Name"
    assert primary["FormatName"] == {"Value": "Text"}


def test_activity_table_body_follows_the_custom_activity_rules():
    body = webapi.entity_metadata(schema.table("comms_sms"))
    assert body["IsActivity"] is True
    assert (body["HasActivities"], body["HasNotes"]) == (False, True)
    assert (body["IsAvailableOffline"], body["IsMailMergeEnabled"]) == (True, False)
    assert body["OwnershipType"] == "UserOwned"
    (primary,) = body["Attributes"]
    assert primary["SchemaName"] == "Subject" and primary["IsPrimaryName"] is True


@pytest.mark.parametrize("table", schema.custom_tables(), ids=lambda t: t.logical_name)
def test_every_custom_table_body_is_json_and_its_primary_name_is_text(table):
    body = json.loads(json.dumps(webapi.entity_metadata(table)))
    assert body["Attributes"][0]["AttributeType"] == "String"


def test_relationship_body_names_the_navigation_property_after_the_lookups_schema_name():
    phonecall = schema.table("phonecall")
    body = webapi.relationship_metadata(phonecall, phonecall.column("comms_telephonysystemid"))
    assert body["@odata.type"] == CRM + "OneToManyRelationshipMetadata"
    assert (body["ReferencedEntity"], body["ReferencedAttribute"]) == (
        "comms_telephonysystem",
        "comms_telephonysystemid",
    )
    assert body["ReferencingEntity"] == "phonecall"
    # Dataverse's default and what the solution zip declares: the lookup's SchemaName, case and all.
    assert body["ReferencingEntityNavigationPropertyName"] == "comms_TelephonySystemId"
    assert body["CascadeConfiguration"]["Delete"] == "RemoveLink"
    lookup = body["Lookup"]
    assert lookup["@odata.type"] == CRM + "LookupAttributeMetadata"
    assert (lookup["AttributeType"], lookup["AttributeTypeName"]) == ("Lookup", {"Value": "LookupType"})
    assert lookup["SchemaName"] == "comms_TelephonySystemId"


def test_relationship_to_a_standard_table_references_its_real_primary_key():
    clicktocall = schema.table("comms_clicktocall")
    body = webapi.relationship_metadata(clicktocall, clicktocall.column("comms_phonecallid"))
    assert (body["ReferencedEntity"], body["ReferencedAttribute"]) == ("phonecall", "activityid")
    with pytest.raises(ValueError, match="no relationship"):
        webapi.relationship_metadata(clicktocall, schema.table("contact").column("parentcustomerid"))


def test_key_body():
    body = webapi.key_metadata(schema.table("phonecall").keys[0])
    assert body == {
        "@odata.type": CRM + "EntityKeyMetadata",
        "SchemaName": "comms_phonecall_pbxcall",
        "DisplayName": webapi.label("PBX call"),
        "KeyAttributes": ["comms_systemkey", "comms_pbxcallid"],
    }


def test_standard_table_payloads_only_add_the_suite_columns():
    payloads = webapi.table_payloads(schema.table("phonecall"))
    assert payloads["entity"] is None
    names = {a["SchemaName"] for a in payloads["attributes"]} | {
        r["Lookup"]["SchemaName"] for r in payloads["relationships"]
    }
    assert all(n.startswith("comms_") for n in names)
    assert "comms_PbxCallId" in names and "comms_TelephonySystemId" in names
    assert not any(r["Lookup"]["AttributeType"] != "Lookup" for r in payloads["relationships"])
    assert webapi.table_payloads(schema.table("contact"))["attributes"] == []


def test_custom_table_payloads_leave_out_primary_name_and_system_columns():
    payloads = webapi.table_payloads(schema.table("comms_faxserver"))
    names = {a["SchemaName"] for a in payloads["attributes"]}
    assert "comms_Name" not in names and "OwnerId" not in names and "comms_FaxServerId" not in names
    assert "comms_ServerKey" in names
    assert all(
        c.type is not ColumnType.LOOKUP
        for c in schema.table("comms_faxserver").custom_columns
        if c.schema_name in names
    )
