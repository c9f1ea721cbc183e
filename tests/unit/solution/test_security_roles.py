"""The five CommSuite roles: who may send, bulk-send and read SMS, and what the rest may do (SMS-19, X-04)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET

import pytest

import dataverse_schema as registry
from dataverse_schema.model import Ownership
from solution.roles import (
    ADMINISTRATOR,
    AGENT,
    PROVIDER_CREDENTIALS,
    RECEIVED_CALLS_VIEWER,
    ROLES,
    SECURED_COLUMNS,
    SMS_BULK_SENDER,
    SMS_SENDER,
    SMS_VIEWER,
)
from solution.security import ALL_ACCESS, ORGANISATION_ACCESS, Access, Depth, Grant, SecurityRole, rights

B, L, G = Depth.BASIC, Depth.LOCAL, Depth.GLOBAL
ROLE_ORDER = (AGENT, SMS_SENDER, SMS_BULK_SENDER, SMS_VIEWER, ADMINISTRATOR)


def custom_table_names() -> list[str]:
    return sorted(t.logical_name for t in registry.custom_tables())


def spec(text: str) -> dict[Access, Depth]:
    """``"B:Create,Read L:Read"`` → ``{Access.CREATE: Depth.BASIC, Access.READ: Depth.LOCAL}``; ``""`` → nothing."""
    depths = {"B": B, "L": L, "D": Depth.DEEP, "G": G}
    result: dict[Access, Depth] = {}
    for part in text.split():
        depth, names = part.split(":")
        result.update({Access(name): depths[depth] for name in names.split(",")})
    return result


def granted(role: SecurityRole, table: str) -> dict[Access, Depth]:
    return dict(role.grant_for(table).rights)


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.name)
@pytest.mark.parametrize("table", custom_table_names())
def test_every_custom_table_has_a_considered_entry_in_every_role(role, table) -> None:
    grant = role.grant_for(table)
    assert len(grant.rationale) > 20


OWN = "B:Create,Read,Write,Append,AppendTo"
CHOOSE = "G:Read,AppendTo"
TEMPLATES = "G:Read,AppendTo B:Create,Write,Delete,Append"
OPT_OUTS = "G:Create,Read,Append"
#: role → table → rights; every SMS table for every role except the Administrator (tested on its own below).
SMS_RIGHTS = {
    "CommSuite Agent": {
        "comms_sms": OWN,
        "comms_smsbulk": "",
        "comms_smsprocess": "",
        "comms_smsprovider": CHOOSE,
        "comms_smsnumber": CHOOSE,
        "comms_smstemplate": TEMPLATES,
        "comms_keywordrule": "G:Read",
        "comms_smsoptout": OPT_OUTS,
    },
    "CommSuite SMS Sender": {
        "comms_sms": OWN,
        "comms_smsbulk": "",
        "comms_smsprocess": "",
        "comms_smsprovider": CHOOSE,
        "comms_smsnumber": CHOOSE,
        "comms_smstemplate": TEMPLATES,
        "comms_keywordrule": "G:Read",
        "comms_smsoptout": OPT_OUTS,
    },
    "CommSuite SMS Bulk Sender": {
        "comms_sms": "B:Create,Write,Append,AppendTo L:Read",
        "comms_smsbulk": OWN,
        "comms_smsprocess": "",
        "comms_smsprovider": CHOOSE,
        "comms_smsnumber": CHOOSE,
        "comms_smstemplate": TEMPLATES,
        "comms_keywordrule": "G:Read",
        "comms_smsoptout": OPT_OUTS,
    },
    "CommSuite SMS Viewer": {
        "comms_sms": "L:Read",
        "comms_smsbulk": "L:Read",
        "comms_smsprocess": "",
        "comms_smsprovider": "",
        "comms_smsnumber": "",
        "comms_smstemplate": "",
        "comms_keywordrule": "",
        "comms_smsoptout": "",
    },
}


@pytest.mark.parametrize(
    "role, table, expected",
    [
        pytest.param(role, table, expected, id=f"{role}-{table}")
        for role, tables in SMS_RIGHTS.items()
        for table, expected in tables.items()
    ],
)
def test_each_role_s_rights_on_the_sms_tables(role, table, expected) -> None:
    (chosen,) = (r for r in ROLES if r.name == role)
    assert granted(chosen, table) == spec(expected)


CALL_AND_FAX_TABLES = (
    "comms_telephonysystem",
    "comms_phoneline",
    "comms_extension",
    "comms_clicktocall",
    "comms_callrecording",
    "comms_faxserver",
    "comms_faxnumber",
)


@pytest.mark.parametrize("role", (SMS_SENDER, SMS_BULK_SENDER, SMS_VIEWER), ids=lambda r: r.name)
@pytest.mark.parametrize("table", CALL_AND_FAX_TABLES)
def test_the_sms_roles_grant_nothing_on_calls_and_faxes(role, table) -> None:
    assert granted(role, table) == {}
    assert "phonecall" not in {g.table for g in role.grants} and "fax" not in {g.table for g in role.grants}


#: question → privilege → depth per role, in ROLE_ORDER (Agent, Sender, Bulk Sender, Viewer, Administrator).
WHO_MAY = [
    ("create a bulk send", "prvCreatecomms_SmsBulk", (None, None, B, None, G)),
    ("start a bulk send (Progress → Queued)", "prvWritecomms_SmsBulk", (None, None, B, None, G)),
    ("read others' bulk sends", "prvReadcomms_SmsBulk", (None, None, B, L, G)),
    ("delete a bulk send", "prvDeletecomms_SmsBulk", (None, None, None, None, G)),
    ("create a single SMS", "prvCreateActivity", (B, B, B, None, G)),
    ("read others' SMS", "prvReadActivity", (B, B, L, L, G)),
    ("change others' SMS", "prvWriteActivity", (B, B, B, None, G)),
    ("delete an SMS", "prvDeleteActivity", (None, None, None, None, G)),
    ("reassign an SMS", "prvAssignActivity", (None, None, None, None, G)),
    ("pick a provider account", "prvAppendTocomms_SmsProvider", (G, G, G, None, G)),
    ("change a provider account", "prvWritecomms_SmsProvider", (None, None, None, None, G)),
    ("read send attempts", "prvReadcomms_SmsProcess", (None, None, None, None, G)),
    ("aim a send at a marketing list", "prvAppendToList", (None, None, L, None, G)),
    ("aim a send at a campaign", "prvAppendToCampaign", (None, None, L, None, G)),
    ("lift an opt-out", "prvDeletecomms_SmsOptOut", (None, None, None, None, G)),
    ("ask for a click-to-call", "prvCreatecomms_ClickToCall", (B, None, None, None, G)),
]


@pytest.mark.parametrize("question, privilege, depths", WHO_MAY, ids=[q for q, _, _ in WHO_MAY])
def test_who_may(schema, question, privilege, depths) -> None:
    actual = tuple(role.privileges(schema).get(privilege) for role in ROLE_ORDER)
    assert actual == depths, question


def test_the_viewer_only_reads(schema) -> None:
    assert SMS_VIEWER.privileges(schema) == {"prvReadActivity": L, "prvReadcomms_SmsBulk": L}


@pytest.mark.parametrize("role", (AGENT, SMS_BULK_SENDER), ids=lambda r: r.name)
def test_the_sms_sender_s_rights_are_part_of_the_agent_and_the_bulk_sender(schema, role) -> None:
    """One definition of "texting a customer": the wider roles carry it whole, so giving both is never needed."""
    wider = role.privileges(schema)
    for name, depth in SMS_SENDER.privileges(schema).items():
        assert wider.get(name, 0) >= depth, name


def test_the_agent_works_on_own_activities_only(schema) -> None:
    privileges = AGENT.privileges(schema)
    assert privileges["prvCreateActivity"] is Depth.BASIC
    assert privileges["prvReadActivity"] is Depth.BASIC
    assert "prvDeleteActivity" not in privileges


@pytest.mark.parametrize("access", [Access.CREATE, Access.WRITE, Access.DELETE, Access.ASSIGN, Access.SHARE])
@pytest.mark.parametrize("role", ROLE_ORDER[:4], ids=lambda r: r.name)
def test_only_administrators_change_provider_accounts(schema, role, access) -> None:
    assert role.grant_for("comms_smsprovider").depth_of(access) is None
    assert f"prv{access.value}comms_SmsProvider" not in role.privileges(schema)


def test_the_agent_cannot_change_fax_servers_or_telephony_settings(schema) -> None:
    privileges = AGENT.privileges(schema)
    for table in ("comms_FaxServer", "comms_TelephonySystem", "comms_KeywordRule", "comms_SmsNumber"):
        assert not {f"prv{a}{table}" for a in ("Create", "Write", "Delete")} & set(privileges), table


def test_provider_credentials_are_column_secured(schema, unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    for table, column in PROVIDER_CREDENTIALS.columns:
        entity = schema.table(table).schema_name
        attribute = root.find(
            f"./Entities/Entity/EntityInfo/entity[@Name='{entity}']/attributes/attribute[Name='{column}']"
        )
        assert attribute.findtext("IsSecured") == "1"
    profile = root.find(
        "./FieldSecurityProfiles/FieldSecurityProfile[@fieldsecurityprofileid='{05408e99-6fca-5382-a305-7deec045f82d}']"
    )
    assert profile.get("name") == "CommSuite Provider Credentials"
    assert {(p.findtext("EntityName"), p.findtext("AttributeName")) for p in profile.iter("FieldPermission")} == set(
        PROVIDER_CREDENTIALS.columns
    )


def test_no_role_reaches_the_provider_credentials(schema, unmanaged) -> None:
    """Column security is granted by profile membership only: no role may open, edit or join the profile."""
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    grantable = {f"prv{access.value}" for access in Access}
    for role in root.findall("./Roles/Role"):
        text = ET.tostring(role, encoding="unicode").lower()
        assert "credentialreference" not in text and "fieldsecurity" not in text and "fieldpermission" not in text
        assert "flowurl" not in text
        assert "systemuserprofile" not in text and "teamprofile" not in text
        assert [child.tag for child in role.find("RolePrivileges")] == ["RolePrivilege"] * len(
            role.find("RolePrivileges")
        )
    for role in ROLES:
        for name in role.privileges(schema):
            assert any(name.startswith(p) for p in grantable), name
        tables = {schema.table(g.table).logical_name for g in role.grants}
        assert not tables & {"fieldsecurityprofile", "fieldpermission", "systemuserprofiles", "teamprofiles"}


@pytest.mark.parametrize("table", custom_table_names())
def test_the_administrator_has_every_right_on_every_custom_table(schema, table) -> None:
    definition = schema.table(table)
    organisation_owned = definition.ownership is Ownership.ORGANIZATION and not definition.is_activity
    expected = ORGANISATION_ACCESS if organisation_owned else ALL_ACCESS
    grant = ADMINISTRATOR.grant_for(table)
    assert {access: grant.depth_of(access) for access in expected} == dict.fromkeys(expected, Depth.GLOBAL)


#: What the Functions app does through its application user, which is given the Administrator role (README).
FUNCTIONS_APP_NEEDS = [
    ("comms_sms", "Create,Read,Write,Append,AppendTo"),  # sends, bulk rows, inbound messages
    ("comms_smsprocess", "Create,Read,Write,Append"),  # one attempt row per provider call
    ("comms_smsbulk", "Read,Write,AppendTo"),  # runs bulks, counters, cursor
    ("comms_smsprovider", "Read,Write,AppendTo"),  # accounts, credit and provider status
    ("comms_smsnumber", "Read,AppendTo"),
    ("comms_smstemplate", "Read,AppendTo"),
    ("comms_keywordrule", "Read"),
    ("comms_smsoptout", "Create,Read,Write"),  # keyword opt-outs
    ("contact", "Read,AppendTo"),
    ("account", "Read,AppendTo"),
    ("lead", "Read,AppendTo"),
    ("list", "Read"),
    ("campaign", "Read"),
    ("systemuser", "Read,AppendTo"),
    ("team", "Read,AppendTo"),
    ("queue", "Read,AppendTo"),
]


@pytest.mark.parametrize("table, accesses", FUNCTIONS_APP_NEEDS)
def test_the_functions_app_user_keeps_what_it_needs(table, accesses) -> None:
    grant = ADMINISTRATOR.grant_for(table)
    assert {grant.depth_of(Access(a)) for a in accesses.split(",")} == {Depth.GLOBAL}


def test_shared_activity_privileges_merge_at_the_widest_depth(schema) -> None:
    privileges = ADMINISTRATOR.privileges(schema)
    assert privileges["prvReadActivity"] is Depth.GLOBAL
    assert privileges["prvWritecomms_TelephonySystem"] is Depth.GLOBAL
    assert "prvAssigncomms_TelephonySystem" not in privileges
    # The Bulk Sender's unit-wide read of SMS wins over its own-rows create and write.
    assert SMS_BULK_SENDER.privileges(schema)["prvReadActivity"] is Depth.LOCAL


ROLE_IDS = {
    "CommSuite Agent": "e9f99ca2-22f6-5d63-8b26-34660e8cbf26",
    "CommSuite SMS Sender": "5b8abf7a-5e8f-5a26-9434-2455d1f3e9a0",
    "CommSuite SMS Bulk Sender": "a616ea01-e7f9-5581-9297-78f85e05805f",
    "CommSuite SMS Viewer": "69f36abf-f9fb-5c29-a5e1-735085d8637d",
    "CommSuite Administrator": "5a074609-3eda-5af9-a554-e79e284e2a0f",
    "CommSuite Received Calls Viewer": "a9e87306-aaec-53aa-a349-fe8ef1fa26b4",
}


def test_role_ids_are_fixed(unmanaged) -> None:
    assert {role.name: role.id for role in ROLES} == ROLE_IDS
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    assert {r.get("name"): r.get("id") for r in root.findall("./Roles/Role")} == {
        name: "{" + role_id + "}" for name, role_id in ROLE_IDS.items()
    }
    profile_ids = {profile.id for profile in SECURED_COLUMNS}
    assert len(set(ROLE_IDS.values()) | profile_ids) == len(ROLE_IDS) + len(SECURED_COLUMNS)


@pytest.mark.parametrize(
    "role, key",
    [
        (SMS_SENDER, "sms-sender"),
        (SMS_BULK_SENDER, "sms-bulk-sender"),
        (SMS_VIEWER, "sms-viewer"),
        (RECEIVED_CALLS_VIEWER, "received-calls-viewer"),
    ],
    ids=lambda v: getattr(v, "name", v),
)
def test_the_sms_19_role_ids_are_the_documented_name_based_uuids(role, key) -> None:
    namespace = uuid.uuid5(uuid.NAMESPACE_URL, "https://commsuite.invalid/solution/roles")
    assert role.id == str(uuid.uuid5(namespace, key))


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.name)
def test_roles_render_their_privileges_sorted_with_xsd_levels(schema, unmanaged, role) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    (element,) = root.findall(f"./Roles/Role[@name='{role.name}']")
    rendered = [(p.get("name"), p.get("level")) for p in element.iter("RolePrivilege")]
    assert [name for name, _ in rendered] == sorted(name for name, _ in rendered)
    assert dict(rendered) == {name: depth.level for name, depth in role.privileges(schema).items()}
    assert {level for _, level in rendered} <= {"Basic", "Local", "Deep", "Global"}


def test_the_roles_validate_against_the_customization_xsd(customization_schema, unmanaged, tmp_path) -> None:
    path = tmp_path / "customizations.xml"
    path.write_bytes(unmanaged.files["customizations.xml"])
    customization_schema.validate(str(path))
    assert len(ET.fromstring(unmanaged.files["customizations.xml"]).findall("./Roles/Role")) == len(ROLE_IDS)


@pytest.mark.parametrize(
    "grant, message",
    [
        (Grant("comms_smsprovider", rights(Depth.BASIC, Access.READ), "a reason long enough"), "organisation-wide"),
        (Grant("comms_smsprovider", rights(Depth.GLOBAL, Access.ASSIGN), "a reason long enough"), "assign or share"),
        (Grant("comms_sms", rights(Depth.BASIC, Access.READ) * 2, "a reason long enough"), "twice"),
        (Grant("comms_nothing", rights(Depth.BASIC, Access.READ), "a reason long enough"), "no table"),
    ],
)
def test_impossible_grants_are_refused(schema, grant, message) -> None:
    role = SecurityRole("Broken", "00000000-0000-0000-0000-000000000001", "", (grant,))
    with pytest.raises((ValueError, KeyError), match=message):
        role.privileges(schema)


def test_a_role_with_two_entries_for_one_table_is_refused(schema) -> None:
    """grant_for() reads the first entry, so a second one would grant what the role does not say."""
    grants = (
        Grant("comms_sms", rights(Depth.BASIC, Access.READ), "own messages only"),
        Grant("comms_sms", rights(Depth.GLOBAL, Access.READ), "every message, by mistake"),
    )
    with pytest.raises(ValueError, match="more than one entry for comms_sms"):
        SecurityRole("Broken", "00000000-0000-0000-0000-000000000002", "", grants).privileges(schema)


def test_a_role_without_an_entry_says_which_table() -> None:
    with pytest.raises(KeyError, match="comms_nothing"):
        AGENT.grant_for("comms_nothing")


def test_the_webhook_key_generation_is_column_secured_from_every_sending_role(schema, unmanaged) -> None:
    """Rotating webhook URLs is an administrator's act: no role reads or changes the generation (issue 12, §2)."""
    assert ("comms_smsprovider", "comms_webhookgeneration") in PROVIDER_CREDENTIALS.columns
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    attribute = root.find(
        "./Entities/Entity/EntityInfo/entity[@Name='comms_SmsProvider']/attributes/"
        "attribute[Name='comms_webhookgeneration']"
    )
    assert attribute.findtext("IsSecured") == "1"
    for role in root.findall("./Roles/Role"):
        assert "webhookgeneration" not in ET.tostring(role, encoding="unicode").lower()
