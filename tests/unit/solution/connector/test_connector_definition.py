"""The generated connector definition is valid Swagger 2.0 and names only what the schema model has (X-02)."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

import dataverse_schema
from dataverse_schema import navigation
from dataverse_schema.fax import FAX_STATUS
from dataverse_schema.names import ActivityParty
from solution.connector.definition import api_definition, operations
from solution.connector.environment import environment

ORG = "https://contoso.crm4.dynamics.com"
METHODS = ("get", "post", "patch")


@pytest.fixture(scope="module")
def definition() -> dict:
    return api_definition(environment(ORG), "1.2.0.0")


def test_the_definition_passes_the_official_swagger_2_schema(definition) -> None:
    validate(definition)  # openapi-spec-validator: the Swagger 2.0 JSON schema plus its semantic checks


def test_the_validator_refuses_a_broken_definition(definition) -> None:
    broken = {**definition, "paths": {"/comms_smses({smsId})": {"get": {"responses": {"200": {"description": "x"}}}}}}
    with pytest.raises(OpenAPIValidationError):
        validate(broken)  # the path parameter is not declared


def test_host_base_path_and_sign_in_are_the_environments(definition) -> None:
    assert (definition["host"], definition["basePath"], definition["schemes"]) == (
        "contoso.crm4.dynamics.com",
        "/api/data/v9.2",
        ["https"],
    )
    [security] = definition["securityDefinitions"].values()
    assert (security["type"], security["flow"]) == ("oauth2", "accessCode")
    assert definition["security"] == [{name: []} for name in definition["securityDefinitions"]]


def test_the_operations_are_the_actions_reads_and_triggers() -> None:
    ids = {op.operation_id: op.spec.get("x-ms-trigger") for op in operations()}
    assert ids == {
        "SendSms": None,
        "SendDocumentByFax": None,
        "CreateFax": None,
        "AttachFaxDocument": None,
        "SendFax": None,
        "ClickToCall": None,
        "GetSmsStatus": None,
        "GetFaxStatus": None,
        "OnSmsReceived": "batch",
        "OnFaxReceived": "batch",
        "OnCallMissed": "batch",
    }


def test_every_visibility_and_trigger_value_is_one_custom_connectors_know(definition) -> None:
    # Values documented for x-ms-visibility (important, advanced, internal) and x-ms-trigger (batch, single).
    for item in _walk(definition["paths"]):
        assert item.get("x-ms-visibility", "important") in ("important", "advanced", "internal")
        assert item.get("x-ms-trigger", "batch") in ("batch", "single")


@pytest.mark.parametrize("op", operations(), ids=lambda op: op.operation_id)
def test_every_field_the_operation_names_is_a_column_or_a_navigation_of_the_model(op) -> None:
    table = dataverse_schema.by_entity_set(_entity_set(op))
    for parameter in op.spec["parameters"]:
        if parameter["in"] == "body":
            for name, prop in parameter["schema"]["properties"].items():
                assert _known(table, name), f"{op.operation_id}: {name}"
                related = _related_table(table, name)
                for nested in prop.get("items", {}).get("properties", {}) if related else ():
                    assert _known(related, nested), f"{op.operation_id}: {name}/{nested}"
        if parameter["name"] == "$select":
            for name in parameter["default"].split(","):
                assert _known(table, name), f"{op.operation_id}: $select {name}"
    for reply in op.spec["responses"].values():
        for name in _reply_fields(reply):
            assert _known(table, name.split("@OData.")[0]), f"{op.operation_id}: reply {name}"


@pytest.mark.parametrize("op", [op for op in operations() if op.spec["parameters"][-1]["in"] == "body"])
def test_every_recipient_is_an_activity_party_of_a_table_the_to_column_allows(op) -> None:
    table = dataverse_schema.by_entity_set(_entity_set(op))
    parties = op.spec["parameters"][-1]["schema"]["properties"].get(navigation.activity_parties(table.logical_name))
    if parties is None:
        return
    allowed = {f"{navigation.party(t)}@odata.bind" for t in table.column("to").targets}
    assert set(parties["items"]["properties"]) - {ActivityParty.PARTICIPATIONTYPEMASK} <= allowed


def test_a_bind_accepts_a_record_path_and_nothing_else() -> None:
    import re

    [send_sms] = [op for op in operations() if op.operation_id == "SendSms"]
    body = next(p for p in send_sms.spec["parameters"] if p["in"] == "body")["schema"]
    pattern = re.compile(body["properties"]["regardingobjectid_contact_comms_sms@odata.bind"]["pattern"])
    assert pattern.match("/contacts(0a1b2c3d-0000-4000-8000-00000000abcd)")
    for hostile in ("/accounts(0a1b2c3d-0000-4000-8000-00000000abcd)", "/contacts(x) or 1 eq 1", "contacts"):
        assert not pattern.match(hostile)


def test_send_a_document_by_fax_nests_the_notes_in_the_faxs_own_navigation_property() -> None:
    [op] = [op for op in operations() if op.operation_id == "SendDocumentByFax"]
    schema = op.spec["parameters"][-1]["schema"]
    fax = dataverse_schema.table("fax")
    [notes] = [name for name in schema["properties"] if _related_table(fax, name) is not None]
    assert notes == "Fax_Annotation" and notes in schema["required"]
    documents = schema["properties"][notes]
    assert documents["minItems"] == 1
    assert documents["items"]["required"] == ["filename", "documentbody"]
    assert "objectid_fax@odata.bind" not in documents["items"]["properties"]  # the deep insert links them
    assert schema["properties"]["comms_faxstatus"]["default"] == FAX_STATUS.value_of("Pending")


def test_a_second_post_to_the_same_entity_set_sends_the_same_url() -> None:
    [op] = [op for op in operations() if op.operation_id == "SendDocumentByFax"]
    [segment] = [p for p in op.spec["parameters"] if p["in"] == "path"]
    assert op.path == "/{faxSet}" and segment["enum"] == [segment["default"]] == ["faxes"]
    assert segment["x-ms-visibility"] == "internal" and segment["required"] is True


def _entity_set(op) -> str:
    """The entity set an operation's path names, a fixed path segment replaced by its only value."""
    path = op.path
    for parameter in op.spec["parameters"]:
        if parameter["in"] == "path" and "default" in parameter:
            path = path.replace(f"{{{parameter['name']}}}", parameter["default"])
    return path.strip("/").split("(")[0]


def _related_table(table, name: str):
    """The referencing table of the one-to-many relationship ``name`` that ``table`` is the referenced side of."""
    for other in dataverse_schema.TABLES.values():
        for relationship in other.relationships:
            if relationship.schema_name == name and relationship.referenced == table.logical_name:
                return other
    return None


def _reply_fields(reply: dict) -> dict:
    properties = reply.get("schema", {}).get("properties", {})
    if "value" in properties:  # a trigger's collection
        return properties["value"]["items"]["properties"]
    return properties


def _known(table, name: str) -> bool:
    if table.has_column(name):
        return True
    if name.startswith("_") and name.endswith("_value"):
        return table.has_column(name[1:-6])
    if name == navigation.activity_parties(table.logical_name):
        return table.has_column("to")
    if _related_table(table, name) is not None:
        return True
    if name.endswith("@odata.bind"):
        nav = name.removesuffix("@odata.bind")
        return any(_binds(table, lookup, nav) for lookup in table.lookups)
    return name == ActivityParty.PARTICIPATIONTYPEMASK


def _binds(table, lookup, nav: str) -> bool:
    targets = lookup.targets or ()
    names = {table.navigation(lookup.logical_name)} | {
        navigation.regarding(t, table.logical_name) for t in targets if lookup.logical_name == "regardingobjectid"
    }
    names |= {navigation.objectid(t) for t in targets if lookup.logical_name == "objectid"}
    return nav in names


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
