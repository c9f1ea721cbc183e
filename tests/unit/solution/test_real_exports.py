"""Our solution set beside real exported solutions from public repositories (issue 10, section 4).

An import is stricter than the XSD, so the structure of ``customizations.xml`` and
``solution.xml`` is compared with facts taken from real exports (never their files):

- TACTEC = Tactec-Inc/dev-powerapps:XML_1_1/customizations.xml (custom table ``cr97b_Project``);
- CONTOSO = H12345555/Contoso-Power-Apps-Project:ContosoParkingChallenge_1_0_0_3/ (customizations.xml
  with a model-driven app, and its solution.xml).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import xmlschema

from solution.app import APP_UNIQUE_NAME, app_tables
from tests.xsd import xsd_path

#: TACTEC: children of an exported custom table's ``Entity``, in order (charts, ``Visualizations``, come after
#: the views in the XSD's list of Entity parts).
ENTITY_CHILDREN = ["Name", "EntityInfo", "FormXml", "SavedQueries", "Visualizations", "RibbonDiffXml"]
#: TACTEC: children of ``entity`` in order (the ones we write; exports add newer flags between them).
ENTITY_INFO_ORDER = [
    "LocalizedNames",
    "LocalizedCollectionNames",
    "Descriptions",
    "attributes",
    "EntitySetName",
    "IsDuplicateCheckSupported",
    "IsBusinessProcessEnabled",
    "IsRequiredOffline",
    "IsInteractionCentricEnabled",
    "IsCollaboration",
    "AutoRouteToOwnerQueue",
    "IsConnectionsEnabled",
    "IsDocumentManagementEnabled",
    "IsOneNoteIntegrationEnabled",
    "IsKnowledgeManagementEnabled",
    "IsSLAEnabled",
    "IsDocumentRecommendationsEnabled",
    "IsBPFEntity",
    "OwnershipTypeMask",
    "IsAuditEnabled",
    "IsActivity",
    "ActivityTypeMask",
    "IsActivityParty",
    "IsReplicated",
    "IsReplicationUserFiltered",
    "IsMailMergeEnabled",
    "IsVisibleInMobile",
    "IsVisibleInMobileClient",
    "IsReadOnlyInMobileClient",
    "IsOfflineInMobileClient",
    "DaysSinceRecordLastModified",
    "MobileOfflineFilters",
    "IsMapiGridEnabled",
    "IsReadingPaneEnabled",
    "IsQuickCreateEnabled",
    "SyncToExternalSearchIndex",
    "IntroducedVersion",
    "IsCustomizable",
    "IsRenameable",
    "IsMappable",
    "CanModifyAuditSettings",
]
#: TACTEC: every attribute starts with these, in this order.
ATTRIBUTE_HEAD = ["Type", "Name", "LogicalName", "RequiredLevel"]
#: TACTEC (plus the picklist / decimal elements of the XSD's AttributeType, which that export has no column for).
ATTRIBUTE_CHILDREN = {
    "Type",
    "Name",
    "LogicalName",
    "RequiredLevel",
    "DisplayMask",
    "ImeMode",
    "ValidForUpdateApi",
    "ValidForReadApi",
    "ValidForCreateApi",
    "IsCustomField",
    "IsAuditEnabled",
    "IsSecured",
    "IntroducedVersion",
    "IsCustomizable",
    "IsRenameable",
    "CanModifySearchSettings",
    "CanModifyRequirementLevelSettings",
    "CanModifyAdditionalSettings",
    "SourceType",
    "IsGlobalFilterEnabled",
    "IsSortableEnabled",
    "CanModifyGlobalFilterSettings",
    "CanModifyIsSortableSettings",
    "IsDataSourceSecret",
    "LookupStyle",
    "LookupTypes",
    "displaynames",
    "Descriptions",
    "Format",
    "MaxLength",
    "Length",
    "CanChangeDateTimeBehavior",
    "Behavior",
    "MinValue",
    "MaxValue",
    "optionset",
    "AppDefaultValue",
    "OptionSetName",
    "Accuracy",
    "AccuracySource",  # XSD AttributeType
}
#: TACTEC: a system view's children in order.
SAVEDQUERY_CHILDREN = [
    "IsCustomizable",
    "CanBeDeleted",
    "isquickfindquery",
    "isprivate",
    "isdefault",
    "savedqueryid",
    "layoutxml",
    "querytype",
    "fetchxml",
    "IntroducedVersion",
    "LocalizedNames",
]
#: TACTEC: the system views of a custom table: (querytype, isquickfindquery, isdefault).
SYSTEM_VIEW_KINDS = {
    ("0", "0", "1"),
    ("0", "0", "0"),
    ("4", "1", "1"),
    ("1", "0", "1"),
    ("2", "0", "1"),
    ("64", "0", "1"),
}
#: TACTEC: a main form's children in order (we write no IsCustomizable / CanBeDeleted: both default to 1).
SYSTEMFORM_HEAD = ["formid", "IntroducedVersion", "FormPresentation", "FormActivationState", "form"]
#: TACTEC: the system columns of a user-owned custom table.
SYSTEM_COLUMNS = {
    "createdby",
    "createdon",
    "createdonbehalfby",
    "importsequencenumber",
    "modifiedby",
    "modifiedon",
    "modifiedonbehalfby",
    "overriddencreatedon",
    "ownerid",
    "owningbusinessunit",
    "owningteam",
    "owninguser",
    "statecode",
    "statuscode",
    "timezoneruleversionnumber",
    "utcconversiontimezonecode",
}
#: CONTOSO: an app module's children in order (the ones CustomizationsSolution.xsd 9.0 knows).
APP_MODULE_CHILDREN = [
    "UniqueName",
    "IntroducedVersion",
    "WebResourceId",
    "FormFactor",
    "ClientType",
    "AppModuleComponents",
    "AppModuleRoleMaps",
    "LocalizedNames",
    "Descriptions",
]


def customizations(package) -> ET.Element:
    return ET.fromstring(package.files["customizations.xml"])


def custom_entities(package, schema) -> list[ET.Element]:
    names = {t.schema_name for t in schema.custom_tables}
    return [e for e in customizations(package).find("Entities") if e.findtext("Name") in names]


def in_order(tags: list[str], order: list[str]) -> bool:
    known = [t for t in tags if t in order]
    return known == sorted(known, key=order.index)


def test_custom_tables_have_the_parts_of_an_exported_table_in_its_order(unmanaged, schema) -> None:
    for entity in custom_entities(unmanaged, schema):
        tags = [c.tag for c in entity]
        assert [t for t in ENTITY_CHILDREN if t in tags] == tags and "Visualizations" not in ENTITY_CHILDREN[:4]
        assert {"Name", "EntityInfo", "FormXml", "SavedQueries", "RibbonDiffXml"} <= set(tags), entity.findtext("Name")
        info = entity.find("EntityInfo/entity")
        assert in_order([c.tag for c in info], ENTITY_INFO_ORDER), entity.findtext("Name")


def test_attributes_use_only_exported_elements_and_start_as_exports_do(unmanaged) -> None:
    for attribute in (a for holder in customizations(unmanaged).iter("attributes") for a in holder):
        tags = [c.tag for c in attribute]
        assert tags[:4] == ATTRIBUTE_HEAD and set(tags) <= ATTRIBUTE_CHILDREN, attribute.get("PhysicalName")


def test_user_owned_custom_tables_carry_the_exported_system_columns(unmanaged, schema) -> None:
    for entity in custom_entities(unmanaged, schema):
        table = next(t for t in schema.custom_tables if t.schema_name == entity.findtext("Name"))
        written = {a.findtext("LogicalName") for a in entity.find("EntityInfo/entity/attributes")}
        expected = (
            SYSTEM_COLUMNS
            if table.ownership.name == "USER"
            else SYSTEM_COLUMNS - {"ownerid", "owningbusinessunit", "owningteam", "owninguser"} | {"organizationid"}
        )
        assert expected <= written, table.logical_name


def test_every_custom_table_has_a_main_form_and_the_exported_system_views(unmanaged, schema) -> None:
    for entity in custom_entities(unmanaged, schema):
        forms = entity.findall("FormXml/forms[@type='main']/systemform")
        assert forms and all([c.tag for c in f][:5] == SYSTEMFORM_HEAD for f in forms), entity.findtext("Name")
        queries = entity.findall("SavedQueries/savedqueries/savedquery")
        system = [q for q in queries if q.findtext("CanBeDeleted") == "0"]
        kinds = {(q.findtext("querytype"), q.findtext("isquickfindquery"), q.findtext("isdefault")) for q in system}
        assert kinds == SYSTEM_VIEW_KINDS, entity.findtext("Name")
        assert all([c.tag for c in q][: len(SAVEDQUERY_CHILDREN)] == SAVEDQUERY_CHILDREN for q in system)
        quick_find = next(q for q in system if q.findtext("isquickfindquery") == "1")
        assert quick_find.find(".//filter[@isquickfindfields='1']/condition[@operator='like']") is not None


def test_the_custom_activity_has_the_states_of_every_activity(unmanaged) -> None:
    sms = next(e for e in customizations(unmanaged).iter("entity") if e.get("Name") == "comms_Sms")
    states = {(s.get("value"), s.get("defaultstatus"), s.get("invariantname")) for s in sms.iter("state")}
    assert states == {("0", "1", "Open"), ("1", "2", "Completed"), ("2", "3", "Canceled"), ("3", "4", "Scheduled")}


def test_the_app_lists_every_suite_table_with_a_valid_site_map(unmanaged, schema) -> None:
    root = customizations(unmanaged)
    app = root.find("AppModules/AppModule")
    assert [c.tag for c in app] == APP_MODULE_CHILDREN and app.findtext("UniqueName") == APP_UNIQUE_NAME
    components = {(c.get("type"), c.get("schemaName")) for c in app.iter("AppModuleComponent")}
    assert {("1", t.logical_name) for t in schema.custom_tables} <= components
    assert ("62", APP_UNIQUE_NAME) in components
    site_map = root.find("AppModuleSiteMaps/AppModuleSiteMap/SiteMap")
    xmlschema.XMLSchema(str(xsd_path("SiteMap.xsd"))).validate(ET.tostring(site_map, encoding="unicode"))
    areas = [a.find("Titles/Title[@LCID='1033']").get("Title") for a in site_map.iter("Area")]
    assert areas == ["Telephony", "SMS", "Fax", "Settings"]
    assert set(app_tables(schema)) >= {t.logical_name for t in schema.custom_tables} | {"phonecall", "fax"}


def test_solution_xml_names_web_resources_site_map_and_app_by_schema_name(unmanaged) -> None:
    # CONTOSO solution.xml: <RootComponent type="62" schemaName=...>, type="80" likewise; web resources the same
    manifest = ET.fromstring(unmanaged.files["solution.xml"])
    for component in manifest.iter("RootComponent"):
        if component.get("type") in {"61", "62", "80"}:
            assert component.get("schemaName") and component.get("id") is None
