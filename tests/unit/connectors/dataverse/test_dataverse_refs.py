"""Record addressing, @odata.bind and deterministic ids."""

from __future__ import annotations

import uuid
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors.dataverse import AlternateKey, RecordId, bind, deterministic_id
from connectors.dataverse.refs import entity_id_from_url, entity_path, strip_key_columns

GUID = "00aa00aa-bb11-cc22-dd33-44ee44ee44ee"


def test_agreed_examples():
    assert entity_path("contacts", RecordId(GUID)) == f"contacts({GUID})"
    assert (
        entity_path("phonecalls", AlternateKey({"comms_pbxcallid": "1700000.12"}))
        == "phonecalls(comms_pbxcallid='1700000.12')"
    )


def test_multi_part_and_typed_keys():
    key = AlternateKey({"firstname": "Joe", "emailaddress1": "abc@example.com", "comms_n": 5})
    assert key.segment() == "(firstname='Joe',emailaddress1='abc%40example.com',comms_n=5)"
    assert key == AlternateKey({"firstname": "Joe", "emailaddress1": "abc@example.com", "comms_n": 5})
    assert hash(key) == hash(AlternateKey({"firstname": "Joe", "emailaddress1": "abc@example.com", "comms_n": 5}))


@given(st.text(min_size=1))
def test_any_key_value_round_trips_and_stays_one_segment(value):
    segment = AlternateKey({"comms_key": value}).segment()
    assert all(char not in segment for char in "/?#&% \n") or "%" in segment
    inner = segment[len("(comms_key=") : -1]
    assert "/" not in inner and "?" not in inner and "#" not in inner and " " not in inner
    decoded = unquote(inner)
    assert decoded.startswith("'") and decoded.endswith("'")
    assert decoded[1:-1].replace("''", "'") == value
    assert "'" not in decoded[1:-1].replace("''", "")


@pytest.mark.parametrize("columns", [{}, {"bad name": "x"}, {"k": None}, {"k": float("nan")}, {"k": object()}])
def test_bad_alternate_keys_are_refused(columns):
    with pytest.raises((ValueError, TypeError)):
        AlternateKey(columns)


@pytest.mark.parametrize("value", ["not-a-guid", "", "00aa00aa-bb11-cc22-dd33-44ee44ee44ee) or (x", None])
def test_record_ids_must_be_guids(value):
    with pytest.raises(ValueError):
        RecordId(value)


def test_record_id_is_canonical():
    assert RecordId(GUID.upper()).value == GUID and RecordId("{" + GUID + "}").value == GUID


def test_entity_set_names_are_validated():
    with pytest.raises(ValueError):
        entity_path("contacts(x)", GUID)


def test_bind():
    assert bind("parentcustomerid_account", "accounts", GUID) == {
        "parentcustomerid_account@odata.bind": f"/accounts({GUID})"
    }
    assert bind("comms_Line", "comms_lines", AlternateKey({"comms_number": "+98 21"})) == {
        "comms_Line@odata.bind": "/comms_lines(comms_number='%2B98%2021')"
    }
    with pytest.raises(ValueError):
        bind("nav@odata.bind", "accounts", GUID)


@pytest.mark.parametrize("reference", ["$1", "$42", "$1000"])
def test_bind_to_a_change_set_reference(reference):
    assert bind("parentcustomerid_account", "accounts", reference) == {"parentcustomerid_account@odata.bind": reference}


@pytest.mark.parametrize("not_a_reference", ["$0", "$", "$1x", "$12345", "1", "$-1"])
def test_anything_else_must_be_a_guid(not_a_reference):
    with pytest.raises(ValueError):
        bind("parentcustomerid_account", "accounts", not_a_reference)


def test_deterministic_id_is_stable_and_unambiguous():
    first = deterministic_id("phonecall", "pbx-key", "1700000.12")
    assert first == deterministic_id("phonecall", "pbx-key", "1700000.12")
    assert uuid.UUID(first).version == 5
    assert deterministic_id("sms", "a|b", "c") != deterministic_id("sms", "a", "b|c")
    assert first == "a0d6fabe-ccc3-5774-a671-941ef646af96"  # pinned: changing it would re-key every record
    for bad in (("phonecall",), ("", "x"), ("phonecall", "")):
        with pytest.raises(ValueError):
            deterministic_id(*bad)


@pytest.mark.parametrize(
    "url, expected",
    [
        (f"https://org/api/data/v9.2/accounts({GUID})", GUID),
        (f"https://org/api/data/v9.2/accounts({GUID.upper()})", GUID),
        ("https://org/api/data/v9.2/accounts(accountnumber='1')", None),
        ("", None),
        (None, None),
        ("garbage", None),
    ],
)
def test_entity_id_from_url(url, expected):
    assert entity_id_from_url(url) == expected


def test_strip_key_columns():
    key = AlternateKey({"comms_pbxcallid": "1"})
    assert strip_key_columns({"comms_pbxcallid": "1", "subject": "x"}, key) == {"subject": "x"}
    assert strip_key_columns({"accountid": GUID}, RecordId(GUID)) == {"accountid": GUID}
