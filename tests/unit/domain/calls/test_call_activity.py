"""The phone-call mapping (domain/calls/activity.py): subjects, parties, binds, outcome, hostile input."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.calls.activity import (
    CallResult,
    MatchResult,
    phone_call_activity,
    phone_call_body,
    phone_call_key,
    skip_reason,
)
from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallRecord, CallStatus
from domain.calls.system_settings import ExtensionSettings, LineSettings, TelephonySystemSettings
from domain.number_index import Match, RecordRef
from domain.numbers import NumberPlan

T0 = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
USER = "11111111-1111-1111-1111-111111111111"
CONTACT = "22222222-2222-2222-2222-222222222222"
ACCOUNT = "33333333-3333-3333-3333-333333333333"
SYSTEM = TelephonySystemSettings(
    key="hq", record_id="44444444-4444-4444-4444-444444444444", plan=NumberPlan(98, "21", "9", 5),
    hidden_extensions=frozenset({"600"}), ivr_variable="CUSTOMER_CODE",
    extensions={"101": ExtensionSettings("101", "55555555-5555-5555-5555-555555555555", USER)},
    lines={"trunk-1": LineSettings("trunk-1", "66666666-6666-6666-6666-666666666666", "+982191002000")},
)
CONTACT_REF = RecordRef("contact", CONTACT, "mobilephone", USER, T0)
ACCOUNT_REF = RecordRef("account", ACCOUNT, "telephone1", None, T0)


def call(**changes) -> CallRecord:
    base = CallRecord("hq", "1714030100.200", 3, CallStatus.TALKING, T0, direction=Direction.INBOUND,
                      external_number="09121234567", extension="101", line="trunk-1",
                      answered_at=T0 + timedelta(seconds=8), ring_seconds=8)
    return replace(base, **changes)


def ended(**changes) -> CallRecord:
    return call(status=CallStatus.ENDED, outcome=CallOutcome.ANSWERED, ended_at=T0 + timedelta(seconds=98),
                talk_seconds=90, **changes)


def names(ref: RecordRef) -> str | None:
    return {CONTACT: "Reza Ahmadi", ACCOUNT: "Pars Trading"}.get(ref.record_id)


def test_answered_inbound_call_from_a_known_contact() -> None:
    activity = phone_call_activity(ended(), SYSTEM, Match(CONTACT_REF), name_of=names)
    body = phone_call_body(activity)
    assert body["subject"] == "Incoming call from Reza Ahmadi"
    assert body["directioncode"] is False and body["phonenumber"] == "+989121234567"
    assert body["phonecall_activity_parties"] == [
        {"partyid_contact@odata.bind": f"/contacts({CONTACT})", "addressused": "+989121234567",
         "participationtypemask": 1},
        {"partyid_systemuser@odata.bind": f"/systemusers({USER})", "participationtypemask": 2},
    ]
    assert body["regardingobjectid_contact_phonecall@odata.bind"] == f"/contacts({CONTACT})"
    assert body["ownerid@odata.bind"] == f"/systemusers({USER})"
    assert body["comms_extensionid@odata.bind"].startswith("/comms_extensions(5555")
    assert body["comms_phonelineid@odata.bind"].startswith("/comms_phonelines(6666")
    assert body["comms_telephonysystemid@odata.bind"].startswith("/comms_telephonysystems(4444")
    assert (body["statecode"], body["statuscode"], body["actualdurationminutes"]) == (1, 4, 2)
    assert activity.result is CallResult.ANSWERED and activity.match_result is MatchResult.MATCHED
    assert "description" not in body


def test_outgoing_call_swaps_the_parties_and_is_made() -> None:
    record = ended(direction=Direction.OUTBOUND, external_number="909121234567")  # line-release prefix 9
    body = phone_call_body(phone_call_activity(record, SYSTEM, Match(CONTACT_REF), name_of=names))
    assert body["subject"] == "Call to Reza Ahmadi" and body["directioncode"] is True
    assert body["phonenumber"] == "+989121234567" and body["statuscode"] == 2
    sender, recipient = body["phonecall_activity_parties"]
    assert "partyid_systemuser@odata.bind" in sender and "partyid_contact@odata.bind" in recipient


def test_unknown_caller_keeps_the_number_as_the_party_address() -> None:
    body = phone_call_body(phone_call_activity(call(), SYSTEM, Match(None)))
    assert body["phonecall_activity_parties"][0] == {"addressused": "+989121234567", "participationtypemask": 1}
    assert not any(k.startswith("regardingobjectid") for k in body)
    assert body["comms_matchresult"] == 103710002  # unknown number
    assert "statecode" not in body  # still talking: the activity stays open


def test_several_matches_use_the_best_and_list_the_others_once() -> None:
    activity = phone_call_activity(call(), SYSTEM, Match(CONTACT_REF, (ACCOUNT_REF,)), name_of=names)
    body = phone_call_body(activity)
    assert activity.match_result is MatchResult.SEVERAL
    assert "Pars Trading (account 3333" in body["description"]
    assert "description" not in phone_call_body(activity, include_description=False)


def test_missed_call_is_completed_unanswered_with_zero_minutes() -> None:
    record = call(status=CallStatus.ENDED, outcome=CallOutcome.MISSED, answered_at=None, ended_at=T0,
                  talk_seconds=None)
    body = phone_call_body(phone_call_activity(record, SYSTEM, Match(CONTACT_REF), name_of=names))
    assert body["subject"] == "Missed call from Reza Ahmadi"
    assert body["comms_answered"] is False and body["actualdurationminutes"] == 0
    assert body["comms_callresult"] == 103710001  # no answer
    assert "comms_answeredon" not in body


def test_custom_matched_table_binds_with_its_entity_set_but_is_no_party() -> None:
    ref = RecordRef("new_patient", CONTACT, "new_mobile", None, T0)
    body = phone_call_body(phone_call_activity(call(), SYSTEM, Match(ref)), entity_sets={"new_patient": "new_patients"})
    assert body["regardingobjectid_new_patient_phonecall@odata.bind"] == f"/new_patients({CONTACT})"
    assert body["phonecall_activity_parties"][0] == {"addressused": "+989121234567", "participationtypemask": 1}
    unbound = phone_call_body(phone_call_activity(call(), SYSTEM, Match(ref)))
    assert not any(k.startswith("regardingobjectid") for k in unbound)


@pytest.mark.parametrize("record, reason", [
    (call(direction=Direction.INTERNAL), "internal call"),
    (call(external_number="1234"), "shorter than 5 digits"),
    (call(extension="600"), "hidden"),
])
def test_calls_that_are_never_logged(record: CallRecord, reason: str) -> None:
    assert reason in (skip_reason(record, SYSTEM) or "")
    with pytest.raises(ValueError, match="not logged"):
        phone_call_activity(record, SYSTEM, None)


@pytest.mark.parametrize("raw", [None, "", "anonymous", "+", "٠٩١٢abc", "0" * 40, "\u202e"])
def test_odd_numbers_never_raise(raw: str | None) -> None:
    activity = phone_call_activity(call(external_number=raw), SYSTEM, None)
    body = phone_call_body(activity)
    assert body["subject"].startswith("Incoming call from")
    assert activity.match_result is MatchResult.NOT_MATCHED
    assert len(body.get("comms_rawnumber") or "") <= 100


def test_persian_digits_normalise_and_persian_subject() -> None:
    record = call(external_number="۰۹۱۲۱۲۳۴۵۶۷")
    activity = phone_call_activity(record, SYSTEM, Match(CONTACT_REF), name_of=lambda ref: "رضا احمدی",
                                   language="fa")
    assert activity.number == "+989121234567" and activity.subject.startswith("تماس ورودی از")


def test_unknown_extension_and_missing_settings_log_without_owner() -> None:
    bare = TelephonySystemSettings(key="hq")
    body = phone_call_body(phone_call_activity(call(extension="999", line="?"), bare, None))
    assert "ownerid@odata.bind" not in body and "comms_extensionid@odata.bind" not in body
    assert [p["participationtypemask"] for p in body["phonecall_activity_parties"]] == [1]


def test_ivr_data_prefers_the_configured_variable() -> None:
    record = call(ivr_data={"CUSTOMER_CODE": "40022", "LANG": "fa"})
    assert phone_call_activity(record, SYSTEM, None).ivr_data == "40022"
    other = replace(SYSTEM, ivr_variable="")
    assert phone_call_activity(record, other, None).ivr_data == "CUSTOMER_CODE=40022; LANG=fa"


def test_key_is_system_and_pbx_call_id() -> None:
    assert phone_call_key(call()) == {"comms_systemkey": "hq", "comms_pbxcallid": "1714030100.200"}
