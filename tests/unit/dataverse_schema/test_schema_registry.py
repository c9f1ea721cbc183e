"""Invariants of the whole schema registry: what Dataverse would refuse, caught before it sees it."""

from __future__ import annotations

import re

import pytest

import dataverse_schema as schema
from dataverse_schema import fax, sms, telephony
from dataverse_schema.columns import entity_set_name
from dataverse_schema.model import (
    OPTION_VALUE_BASE,
    PUBLISHER_PREFIX,
    Area,
    ColumnType,
    Table,
    TableExtension,
)

ALL_TABLES = list(schema.TABLES.values())
CUSTOM_NAME = re.compile(r"^comms_[a-z0-9_]+$")


def test_registry_lookups_answer_and_name_what_is_missing():
    assert schema.table("phonecall").entity_set_name == "phonecalls"
    assert schema.by_entity_set("faxes").logical_name == "fax"
    assert schema.by_entity_set("comms_smses").logical_name == "comms_sms"
    with pytest.raises(KeyError, match="comms_nothing"):
        schema.table("comms_nothing")
    with pytest.raises(KeyError, match="nothings"):
        schema.by_entity_set("nothings")


def test_custom_and_standard_partition_the_tables():
    custom, standard = schema.custom_tables(), schema.standard_tables()
    assert {t.logical_name for t in custom} | {t.logical_name for t in standard} == set(schema.TABLES)
    assert all(t.logical_name.startswith("comms_") for t in custom)
    assert not any(t.logical_name.startswith("comms_") for t in standard)


@pytest.mark.parametrize(
    "name",
    [
        "contact",
        "account",
        "lead",
        "systemuser",
        "team",
        "businessunit",
        "phonecall",
        "fax",
        "annotation",
        "appnotification",
        "incident",
        "activityparty",
        "list",
        "listmember",
        "campaign",
        "queue",
    ],
)
def test_every_standard_table_the_suite_touches_is_present(name):
    assert not schema.table(name).is_custom


def test_standard_tables_carry_the_real_names():
    contact = schema.table("contact")
    for column in (
        "firstname",
        "lastname",
        "fullname",
        "jobtitle",
        "telephone1",
        "telephone2",
        "telephone3",
        "mobilephone",
        "fax",
        "emailaddress1",
        "parentcustomerid",
        "ownerid",
        "modifiedon",
    ):
        assert contact.has_column(column)
    user = schema.table("systemuser")
    assert {"internalemailaddress", "address1_telephone1", "isdisabled", "azureactivedirectoryobjectid"} <= {
        c.logical_name for c in user.columns
    }
    assert schema.table("annotation").column("objectid").type is ColumnType.LOOKUP
    assert schema.table("phonecall").primary_id == "activityid"


def test_phonecall_and_fax_are_one_table_each_with_the_suite_columns_merged_in():
    phonecall = schema.table("phonecall")
    assert not phonecall.is_custom
    assert {"subject", "phonenumber", "comms_pbxcallid", "comms_talkseconds"} <= {
        c.logical_name for c in phonecall.columns
    }
    assert all(c.is_custom for c in phonecall.custom_columns)
    assert [k.columns for k in phonecall.keys] == [("comms_systemkey", "comms_pbxcallid")]
    assert {"comms_jobid", "comms_giveupafter"} <= {c.logical_name for c in schema.table("fax").custom_columns}


def test_sms_is_a_custom_activity_table():
    sms_table = schema.table("comms_sms")
    assert sms_table.is_activity and sms_table.is_custom
    assert (sms_table.primary_id, sms_table.primary_name) == ("activityid", "subject")
    assert sms_table.entity_set_name == "comms_smses"


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.logical_name)
def test_every_lookup_target_exists(table: Table):
    for column in table.lookups:
        assert column.targets, f"{table.logical_name}.{column.logical_name} has no target"
        if column.is_custom:
            for target in column.targets:
                assert target in schema.TABLES, f"{table.logical_name}.{column.logical_name} → {target}"


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.logical_name)
def test_every_key_column_exists_and_is_a_string(table: Table):
    for key in table.keys:
        assert key.schema_name.startswith(PUBLISHER_PREFIX + "_")
        for name in key.columns:
            assert table.column(name).type is ColumnType.STRING


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.logical_name)
def test_custom_names_have_the_prefix_and_fit_dataverse_limits(table: Table):
    names = [c.logical_name for c in table.custom_columns]
    if table.is_custom:
        names.append(table.logical_name)
    for name in names:
        assert CUSTOM_NAME.match(name), name
        assert len(name) <= 50, name
    for column in table.columns:
        assert column.logical_name == column.schema_name.lower()


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.logical_name)
def test_suite_option_values_sit_in_the_publisher_range(table: Table):
    for column in table.custom_columns:
        if column.type is ColumnType.PICKLIST:
            values = [o.value for o in column.options.options]
            assert len(set(values)) == len(values)
            assert all(OPTION_VALUE_BASE <= v < OPTION_VALUE_BASE + 10_000 for v in values), column.logical_name


@pytest.mark.parametrize("table", ALL_TABLES, ids=lambda t: t.logical_name)
def test_lengths_and_descriptions_are_set_on_suite_columns(table: Table):
    for column in table.custom_columns:
        if column.type in (ColumnType.STRING, ColumnType.MEMO):
            assert column.max_length and 1 <= column.max_length <= 1_048_576
        if column.type is not ColumnType.UNIQUEIDENTIFIER:
            assert column.description, f"{table.logical_name}.{column.logical_name} needs a description"


def test_entity_set_names_are_unique_and_derived_as_dataverse_does():
    sets = [t.entity_set_name for t in ALL_TABLES]
    assert len(sets) == len(set(sets))
    for table in schema.custom_tables():
        assert table.entity_set_name == entity_set_name(table.logical_name)
    assert entity_set_name("comms_smsprocess") == "comms_smsprocesses"
    assert entity_set_name("comms_category") == "comms_categories"
    assert entity_set_name("comms_telephonysystem") == "comms_telephonysystems"


def test_every_suite_lookup_has_exactly_one_relationship():
    by_lookup = {(r.referencing, r.lookup): r for r in schema.relationships()}
    assert len(by_lookup) == len(schema.relationships())
    for table in ALL_TABLES:
        for column in table.lookups:
            if column.is_custom:
                relationship = by_lookup[(table.logical_name, column.logical_name)]
                assert relationship.referenced == column.targets[0]
    names = [r.schema_name for r in schema.relationships()]
    assert len(names) == len(set(names))
    assert all(n.startswith("comms_") and len(n) <= 100 for n in names)


def test_issue_settings_are_all_present():
    system = schema.table("comms_telephonysystem")
    for column in (
        "comms_systemkey",
        "comms_kind",
        "comms_countrycode",
        "comms_citycode",
        "comms_linereleaseprefix",
        "comms_minimumdigits",
        "comms_hiddenextensions",
        "comms_autoregisterlines",
        "comms_autoregisterextensions",
        "comms_callvisibility",
        "comms_pbxmodel",
        "comms_dateformat",
        "comms_recordingpath",
    ):
        assert system.has_column(column), column
    server = schema.table("comms_faxserver")
    for column in (
        "comms_kind",
        "comms_isdefault",
        "comms_dialprefix",
        "comms_extensionwaitseconds",
        "comms_retrycount",
        "comms_retryintervalminutes",
        "comms_statusrefreshseconds",
        "comms_pageheader",
    ):
        assert server.has_column(column), column
    provider = schema.table("comms_smsprovider")
    for column in (
        "comms_providerkind",
        "comms_credentialreference",
        "comms_isdefault",
        "comms_balance",
        "comms_balancereadon",
    ):
        assert provider.has_column(column), column


def test_choices_carry_persian_labels():
    assert telephony.SYSTEM_KINDS.label_of(telephony.SYSTEM_KINDS.options[0].value) == "Asterisk (AMI)"
    assert all(o.label_fa for o in sms.SMS_STATUS.options)
    assert fax.FAX_STATUS.value_of("Gave up") > fax.FAX_STATUS.value_of("Failed")


def test_registry_refuses_clashes_and_dangling_extensions():
    phonecall = schema.table("phonecall")
    with pytest.raises(ValueError, match="defined twice"):
        schema._build((Area("a", tables=(phonecall,)), Area("b", tables=(phonecall,))))
    with pytest.raises(ValueError, match="unknown table"):
        schema._build((Area("a", extensions=(TableExtension("nothing"),)),))
    clash = TableExtension("phonecall", columns=(phonecall.column("comms_pbxcallid"),))
    with pytest.raises(ValueError, match="duplicate columns"):
        schema._build((Area("a", tables=(phonecall,), extensions=(clash,)),))
