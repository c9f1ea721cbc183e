"""CommSuite Agent and Administrator: least privilege for agents, everything for administrators (SMS-19, X-04)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

import dataverse_schema as registry
from dataverse_schema.model import Ownership
from solution.roles import ADMINISTRATOR, AGENT, PROVIDER_CREDENTIALS, ROLES
from solution.security import ALL_ACCESS, ORGANISATION_ACCESS, Access, Depth, Grant, SecurityRole, rights


def custom_table_names() -> list[str]:
    return sorted(t.logical_name for t in registry.custom_tables())


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.name)
@pytest.mark.parametrize("table", custom_table_names())
def test_every_custom_table_has_a_considered_entry_in_both_roles(role, table) -> None:
    grant = role.grant_for(table)
    assert len(grant.rationale) > 20


@pytest.mark.parametrize("access", [Access.CREATE, Access.WRITE, Access.DELETE, Access.ASSIGN, Access.SHARE])
def test_the_agent_cannot_change_provider_accounts(schema, access) -> None:
    assert AGENT.grant_for("comms_smsprovider").depth_of(access) is None
    assert f"prv{access.value}comms_SmsProvider" not in AGENT.privileges(schema)


def test_the_agent_cannot_change_fax_servers_or_telephony_settings(schema) -> None:
    privileges = AGENT.privileges(schema)
    for table in ("comms_FaxServer", "comms_TelephonySystem", "comms_KeywordRule", "comms_SmsNumber"):
        assert not {f"prv{a}{table}" for a in ("Create", "Write", "Delete")} & set(privileges), table


def test_the_agent_works_on_own_activities_only(schema) -> None:
    privileges = AGENT.privileges(schema)
    assert privileges["prvCreateActivity"] is Depth.BASIC
    assert privileges["prvReadActivity"] is Depth.BASIC
    assert "prvDeleteActivity" not in privileges


def test_provider_credentials_are_column_secured(schema, unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    for table, column in PROVIDER_CREDENTIALS.columns:
        entity = schema.table(table).schema_name
        attribute = root.find(f"./Entities/Entity/EntityInfo/entity[@Name='{entity}']/attributes/"
                              f"attribute[Name='{column}']")
        assert attribute.findtext("IsSecured") == "1"
    (profile,) = root.findall("./FieldSecurityProfiles/FieldSecurityProfile")
    assert {(p.findtext("EntityName"), p.findtext("AttributeName")) for p in profile.iter("FieldPermission")} == set(
        PROVIDER_CREDENTIALS.columns)


@pytest.mark.parametrize("table", custom_table_names())
def test_the_administrator_has_every_right_on_every_custom_table(schema, table) -> None:
    definition = schema.table(table)
    organisation_owned = definition.ownership is Ownership.ORGANIZATION and not definition.is_activity
    expected = ORGANISATION_ACCESS if organisation_owned else ALL_ACCESS
    grant = ADMINISTRATOR.grant_for(table)
    assert {access: grant.depth_of(access) for access in expected} == dict.fromkeys(expected, Depth.GLOBAL)


def test_shared_activity_privileges_merge_at_the_widest_depth(schema) -> None:
    privileges = ADMINISTRATOR.privileges(schema)
    assert privileges["prvReadActivity"] is Depth.GLOBAL
    assert privileges["prvWritecomms_TelephonySystem"] is Depth.GLOBAL
    assert "prvAssigncomms_TelephonySystem" not in privileges


def test_roles_render_with_stable_ids_and_sorted_privileges(unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    roles = {r.get("name"): r for r in root.findall("./Roles/Role")}
    assert roles["CommSuite Agent"].get("id") == "{e9f99ca2-22f6-5d63-8b26-34660e8cbf26}"
    assert roles["CommSuite Administrator"].get("id") == "{5a074609-3eda-5af9-a554-e79e284e2a0f}"
    names = [p.get("name") for p in roles["CommSuite Agent"].iter("RolePrivilege")]
    assert names == sorted(names) and len(names) == len(set(names))
    assert {p.get("level") for p in roles["CommSuite Administrator"].iter("RolePrivilege")} == {"Global"}


@pytest.mark.parametrize("grant, message", [
    (Grant("comms_smsprovider", rights(Depth.BASIC, Access.READ), "a reason long enough"), "organisation-wide"),
    (Grant("comms_smsprovider", rights(Depth.GLOBAL, Access.ASSIGN), "a reason long enough"), "assign or share"),
    (Grant("comms_sms", rights(Depth.BASIC, Access.READ) * 2, "a reason long enough"), "twice"),
    (Grant("comms_nothing", rights(Depth.BASIC, Access.READ), "a reason long enough"), "no table"),
])
def test_impossible_grants_are_refused(schema, grant, message) -> None:
    role = SecurityRole("Broken", "00000000-0000-0000-0000-000000000001", "", (grant,))
    with pytest.raises((ValueError, KeyError), match=message):
        role.privileges(schema)


def test_a_role_without_an_entry_says_which_table() -> None:
    with pytest.raises(KeyError, match="comms_nothing"):
        AGENT.grant_for("comms_nothing")
