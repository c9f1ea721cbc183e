"""customizations.xml generator: XSD-valid, every column in the right shape, deterministic (X-01)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import xmlschema

from dataverse_schema.customizations_xml import (
    ALWAYS_WRITTEN,
    SECTION_ORDER,
    build_customizations,
    implied_relationships,
    serialise,
)
from dataverse_schema.model import (
    AlternateKey,
    Cascade,
    Column,
    ColumnType,
    DateTimeFormat,
    Option,
    OptionSet,
    Ownership,
    Relationship,
    RequiredLevel,
    StringFormat,
    Table,
    choices,
)
from tests import xsd


@pytest.fixture(scope="session")
def customization_schema() -> xmlschema.XMLSchema:
    return xsd.customization_schema()


STATUS = choices(("Pending", "در انتظار"), "Sent", "Delivered", name="comms_smsstatus", default=0)


def col(name: str, kind: ColumnType, **fields) -> Column:
    return Column(name.lower(), name, kind, name.split("_")[-1], **fields)


SMS = Table(
    "comms_sms",
    "comms_Sms",
    "comms_smses",
    "SMS",
    "SMS Messages",
    "activityid",
    "subject",
    (
        col("ActivityId", ColumnType.UNIQUEIDENTIFIER, required=RequiredLevel.SYSTEM_REQUIRED),
        col("Subject", ColumnType.STRING, max_length=200, required=RequiredLevel.APPLICATION_REQUIRED),
        col(
            "comms_PhoneNumber",
            ColumnType.STRING,
            max_length=50,
            string_format=StringFormat.PHONE,
            display_name_fa="شماره تلفن",
        ),
        col("comms_Message", ColumnType.MEMO, max_length=4000),
        col("comms_SmsStatus", ColumnType.PICKLIST, options=STATUS),
        col("comms_Channel", ColumnType.PICKLIST, options=choices("Web", "Phone", default=1)),
        col("comms_Tags", ColumnType.MULTI_PICKLIST, options=choices("A", "B")),
        col("comms_Segments", ColumnType.INTEGER, min_value=0, max_value=255),
        col("comms_Big", ColumnType.BIGINT),
        col("comms_Rate", ColumnType.DECIMAL, precision=4, min_value=0.5, max_value=10),
        col("comms_Price", ColumnType.MONEY),
        col("comms_Urgent", ColumnType.BOOLEAN, default=True),
        col("comms_SentOn", ColumnType.DATETIME, datetime_format=DateTimeFormat.DATE_AND_TIME),
        col("comms_Day", ColumnType.DATETIME, datetime_format=DateTimeFormat.DATE_ONLY),
        col("comms_SmsProviderId", ColumnType.LOOKUP, targets=("comms_smsprovider",)),
        col("comms_CustomerId", ColumnType.CUSTOMER, targets=("account", "contact")),
        col("OwnerId", ColumnType.OWNER, targets=("systemuser", "team")),
        col("to", ColumnType.PARTYLIST, targets=("contact",)),
        col(
            "StateCode",
            ColumnType.STATE,
            options=OptionSet((Option(0, "Open"), Option(1, "Completed"), Option(2, "Canceled"))),
        ),
        col(
            "StatusCode",
            ColumnType.STATUS,
            options=OptionSet((Option(1, "Open"), Option(2, "Completed"), Option(3, "Canceled"))),
        ),
        col("comms_ProviderMessageId", ColumnType.STRING, max_length=100),
        col("comms_CredentialReference", ColumnType.STRING, max_length=500),
    ),
    is_activity=True,
    has_notes=True,
    display_name_fa="پیامک",
    keys=(AlternateKey("comms_sms_providermessage", ("comms_providermessageid",), "Provider message"),),
    relationships=(
        Relationship(
            "comms_smsprovider_sms",
            "comms_smsprovider",
            "comms_sms",
            "comms_smsproviderid",
            cascade_delete=Cascade.RESTRICT,
        ),
    ),
)
PROVIDER = Table(
    "comms_smsprovider",
    "comms_SmsProvider",
    "comms_smsproviders",
    "SMS Provider Account",
    "SMS Provider Accounts",
    "comms_smsproviderid",
    "comms_name",
    (col("comms_Name", ColumnType.STRING, max_length=100),),
    ownership=Ownership.ORGANIZATION,
)
CONTACT = Table(
    "contact",
    "Contact",
    "contacts",
    "Contact",
    "Contacts",
    "contactid",
    "fullname",
    (col("FullName", ColumnType.STRING, max_length=160), col("comms_SmsOptOut", ColumnType.BOOLEAN)),
    is_custom=False,
)
ACCOUNT = Table(
    "account",
    "Account",
    "accounts",
    "Account",
    "Accounts",
    "accountid",
    "name",
    (col("Name", ColumnType.STRING),),
    is_custom=False,
)
TABLES = (SMS, PROVIDER, CONTACT)


def build(**kwargs) -> ET.Element:
    tables = kwargs.pop("tables", TABLES)
    relationships = kwargs.pop(
        "relationships", SMS.relationships + tuple(implied_relationships(tables, SMS.relationships))
    )
    return build_customizations(
        tables, relationships=relationships, option_sets=(STATUS,), reference_tables=(ACCOUNT,), **kwargs
    )


def attribute(root: ET.Element, table: str, column: str) -> ET.Element:
    found = root.find(f"./Entities/Entity/EntityInfo/entity[@Name='{table}']/attributes/attribute[Name='{column}']")
    assert found is not None, f"{table}.{column} missing"
    return found


def test_the_document_is_valid_against_the_official_schema(customization_schema, tmp_path) -> None:
    path = tmp_path / "customizations.xml"
    path.write_bytes(serialise(build(secured_columns={("comms_sms", "comms_credentialreference")})))
    customization_schema.validate(str(path))


def test_sections_follow_the_xsd_order_and_real_exports_write_the_empty_ones() -> None:
    names = [child.tag for child in build()]
    assert names == [n for n in SECTION_ORDER if n in names]
    assert set(names) >= ALWAYS_WRITTEN


@pytest.mark.parametrize(
    "column, crm_type, details",
    [
        ("activityid", "primarykey", {}),
        ("subject", "nvarchar", {"Format": "text", "MaxLength": "200", "Length": "400", "RequiredLevel": "required"}),
        ("comms_phonenumber", "nvarchar", {"Format": "phone", "MaxLength": "50"}),
        ("comms_message", "ntext", {"Format": "textarea", "MaxLength": "4000"}),
        ("comms_segments", "int", {"MinValue": "0", "MaxValue": "255"}),
        ("comms_big", "bigint", {"MaxValue": "9223372036854775807"}),
        ("comms_rate", "decimal", {"Accuracy": "4", "MinValue": "0.5", "MaxValue": "10"}),
        ("comms_price", "money", {"AccuracySource": "2"}),
        ("comms_urgent", "bit", {"AppDefaultValue": "1"}),
        ("comms_senton", "datetime", {"Format": "datetime"}),
        ("comms_day", "datetime", {"Format": "date"}),
        ("comms_smsproviderid", "lookup", {"LookupStyle": "single"}),
        ("comms_customerid", "customer", {"LookupStyle": "single"}),
        ("ownerid", "owner", {"LookupStyle": "single"}),
        ("to", "partylist", {}),
        ("statecode", "state", {}),
        ("statuscode", "status", {}),
        ("comms_smsstatus", "picklist", {"OptionSetName": "comms_smsstatus", "AppDefaultValue": "103710000"}),
        ("comms_channel", "picklist", {"AppDefaultValue": "103710001"}),
        ("comms_tags", "multiselectpicklist", {"AppDefaultValue": "-1"}),
    ],
)
def test_each_column_type_gets_its_solution_shape(column, crm_type, details) -> None:
    element = attribute(build(), "comms_Sms", column)
    assert element.findtext("Type") == crm_type
    assert element.findtext("LogicalName") == column
    for tag, text in details.items():
        assert element.findtext(tag) == text, tag


def test_local_choices_carry_their_options_and_global_ones_live_at_the_root() -> None:
    root = build()
    local = attribute(root, "comms_Sms", "comms_channel").find("optionset")
    assert local.get("Name") == "comms_sms_comms_channel"
    assert [o.get("value") for o in local.iter("option")] == ["103710000", "103710001"]
    assert attribute(root, "comms_Sms", "comms_smsstatus").find("optionset") is None
    (shared,) = root.findall("./optionsets/optionset")
    assert shared.get("Name") == "comms_smsstatus" and shared.findtext("IsGlobal") == "1"
    assert [o.get("value") for o in shared.iter("option")] == ["103710000", "103710001", "103710002"]


def test_state_and_status_use_dataverse_pairs() -> None:
    root = build()
    states = attribute(root, "comms_Sms", "statecode").findall("./optionset/states/state")
    assert [(s.get("value"), s.get("defaultstatus"), s.get("invariantname")) for s in states] == [
        ("0", "1", "Open"),
        ("1", "2", "Completed"),
        ("2", "3", "Canceled"),
    ]
    statuses = attribute(root, "comms_Sms", "statuscode").findall("./optionset/statuses/status")
    assert [(s.get("value"), s.get("state")) for s in statuses] == [("1", "0"), ("2", "1"), ("3", "2")]


def test_persian_labels_are_written_beside_english_and_the_language_is_declared() -> None:
    root = build()
    labels = attribute(root, "comms_Sms", "comms_phonenumber").findall("./displaynames/displayname")
    assert [(x.get("languagecode"), x.get("description")) for x in labels] == [
        ("1033", "PhoneNumber"),
        ("1065", "شماره تلفن"),
    ]
    assert [x.text for x in root.findall("./Languages/Language")] == ["1033", "1065"]
    english_only = build_customizations((PROVIDER,))
    assert [x.text for x in english_only.findall("./Languages/Language")] == ["1033"]


def test_a_standard_table_carries_only_the_suites_columns_and_none_of_its_settings() -> None:
    root = build()
    entity = root.find("./Entities/Entity/EntityInfo/entity[@Name='Contact']")
    assert [a.findtext("Name") for a in entity.find("attributes")] == ["comms_smsoptout"]
    assert [child.tag for child in entity] == ["attributes"]


def test_an_own_table_carries_its_settings_and_keys() -> None:
    entity = build().find("./Entities/Entity/EntityInfo/entity[@Name='comms_Sms']")
    assert entity.findtext("EntitySetName") == "comms_smses"
    assert entity.findtext("IsActivity") == "1"
    assert entity.findtext("OwnershipTypeMask") == "UserOwned"
    assert entity.findtext("HasRelatedNotes") == "True"
    (key,) = entity.findall("./EntityKeys/EntityKey")
    assert key.findtext("LogicalName") == "comms_sms_providermessage"
    assert [a.text for a in key.iter("AttributeName")] == ["comms_providermessageid"]


def test_a_missing_primary_key_column_is_added_with_the_cased_schema_name() -> None:
    element = attribute(build(), "comms_SmsProvider", "comms_smsproviderid")
    assert element.get("PhysicalName") == "comms_SmsProviderId"
    assert element.findtext("Type") == "primarykey"


def test_every_lookup_gets_a_one_to_many_relationship_with_its_cascade() -> None:
    root = build()
    by_name = {r.get("Name"): r for r in root.findall("./EntityRelationships/EntityRelationship")}
    declared = by_name["comms_smsprovider_sms"]
    assert declared.findtext("ReferencingEntityName") == "comms_Sms"
    assert declared.findtext("ReferencedEntityName") == "comms_SmsProvider"
    assert declared.findtext("ReferencingAttributeName") == "comms_SmsProviderId"
    assert declared.findtext("CascadeDelete") == "Restrict"
    assert declared.findtext("CascadeAssign") == "NoCascade"
    assert {"comms_sms_comms_customerid_account", "comms_sms_comms_customerid_contact"} <= set(by_name)
    assert by_name["comms_sms_comms_customerid_account"].findtext("ReferencedEntityName") == "Account"


def test_output_is_deterministic() -> None:
    assert serialise(build()) == serialise(build())


def test_handed_in_sections_and_entity_parts_land_in_place() -> None:
    view = ET.Element("SavedQueries")
    resource = ET.Element("WebResource")
    root = build(sections={"WebResources": [resource]}, entity_parts={"comms_sms": [view]})
    assert root.find("./WebResources/WebResource") is not None
    assert root.find("./Entities/Entity[Name='comms_Sms']/SavedQueries") is not None
    names = [child.tag for child in root]
    assert names.index("WebResources") < names.index("CustomControls")


def test_a_ribbon_part_replaces_the_empty_default_ribbon() -> None:
    ribbon = ET.Element("RibbonDiffXml", {"marker": "ours"})
    entity = build(entity_parts={"comms_sms": [ribbon]}).find("./Entities/Entity[Name='comms_Sms']")
    assert [r.get("marker") for r in entity.findall("RibbonDiffXml")] == ["ours"]


def test_secured_columns_are_flagged() -> None:
    root = build(secured_columns={("comms_sms", "comms_credentialreference")})
    assert attribute(root, "comms_Sms", "comms_credentialreference").findtext("IsSecured") == "1"
    assert attribute(root, "comms_Sms", "comms_message").findtext("IsSecured") == "0"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sections": {"Entities": []}}, "cannot be handed in"),
        ({"sections": {"NoSuchSection": []}}, "cannot be handed in"),
        ({"entity_parts": {"comms_nothing": []}}, "not in the solution"),
        ({"entity_parts": {"comms_sms": [ET.Element("FormXml"), ET.Element("FormXml")]}}, "distinct"),
        ({"secured_columns": {("comms_sms", "comms_nothing")}}, "secured columns"),
    ],
)
def test_misplaced_contributions_are_refused(kwargs, message) -> None:
    with pytest.raises(ValueError, match=message):
        build(**kwargs)


def _with(column: Column) -> Table:
    return Table(
        "comms_bad",
        "comms_Bad",
        "comms_bads",
        "Bad",
        "Bads",
        "comms_badid",
        "comms_name",
        (col("comms_Name", ColumnType.STRING), column),
    )


@pytest.mark.parametrize(
    "column, message",
    [
        (col("comms_Choice", ColumnType.PICKLIST), "needs options"),
        (col("comms_File", ColumnType.FILE), "no solution type"),
        (col("StatusCode", ColumnType.STATUS, options=OptionSet((Option(7, "Odd"),))), "no known state"),
    ],
)
def test_columns_the_solution_cannot_express_fail_with_the_column_named(column, message) -> None:
    with pytest.raises(ValueError, match=f"comms_bad.*{message}|{message}"):
        build_customizations((_with(column),))


def test_an_assign_cascade_that_dataverse_does_not_know_is_refused() -> None:
    wrong = Relationship(
        "comms_x", "comms_smsprovider", "comms_sms", "comms_smsproviderid", cascade_assign=Cascade.REMOVE_LINK
    )
    with pytest.raises(ValueError, match="assign"):
        build(relationships=(wrong,))
