"""The phone-call activity as a Dataverse row (connectors/crm/phone_call.py): parties, binds, outcome, hostile input."""

from __future__ import annotations

import pytest

from connectors.crm.phone_call import phone_call_body, phone_call_key
from domain.calls.activity import CallResult, MatchResult, phone_call_activity
from domain.calls.events import Direction
from domain.calls.record import CallOutcome, CallStatus
from domain.calls.system_settings import TelephonySystemSettings
from domain.number_index import Match, RecordRef
from tests.unit.domain.calls.call_samples import (
    ACCOUNT_REF,
    CONTACT,
    CONTACT_REF,
    SYSTEM,
    T0,
    USER,
    call,
    ended,
    names,
)


def test_answered_inbound_call_from_a_known_contact() -> None:
    activity = phone_call_activity(ended(), SYSTEM, Match(CONTACT_REF), name_of=names)
    body = phone_call_body(activity)
    assert body["subject"] == "Incoming call from Reza Ahmadi"
    assert body["directioncode"] is False and body["phonenumber"] == "+989121234567"
    assert body["phonecall_activity_parties"] == [
        {
            "partyid_contact@odata.bind": f"/contacts({CONTACT})",
            "addressused": "+989121234567",
            "participationtypemask": 1,
        },
        {"partyid_systemuser@odata.bind": f"/systemusers({USER})", "participationtypemask": 2},
    ]
    assert body["regardingobjectid_contact_phonecall@odata.bind"] == f"/contacts({CONTACT})"
    assert body["ownerid@odata.bind"] == f"/systemusers({USER})"
    assert body["comms_ExtensionId@odata.bind"].startswith("/comms_extensions(5555")
    assert body["comms_PhoneLineId@odata.bind"].startswith("/comms_phonelines(6666")
    assert body["comms_TelephonySystemId@odata.bind"].startswith("/comms_telephonysystems(4444")
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
    record = call(status=CallStatus.ENDED, outcome=CallOutcome.MISSED, answered_at=None, ended_at=T0, talk_seconds=None)
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


@pytest.mark.parametrize("raw", [None, "", "anonymous", "+", "٠٩١٢abc", "0" * 40, "\u202e"])
def test_odd_numbers_never_raise(raw: str | None) -> None:
    activity = phone_call_activity(call(external_number=raw), SYSTEM, None)
    body = phone_call_body(activity)
    assert body["subject"].startswith("Incoming call from")
    assert activity.match_result is MatchResult.NOT_MATCHED
    assert len(body.get("comms_rawnumber") or "") <= 100


def test_unknown_extension_and_missing_settings_log_without_owner() -> None:
    bare = TelephonySystemSettings(key="hq")
    body = phone_call_body(phone_call_activity(call(extension="999", line="?"), bare, None))
    assert "ownerid@odata.bind" not in body and "comms_ExtensionId@odata.bind" not in body
    assert [p["participationtypemask"] for p in body["phonecall_activity_parties"]] == [1]


def test_key_is_system_and_pbx_call_id() -> None:
    assert phone_call_key(call()) == {"comms_systemkey": "hq", "comms_pbxcallid": "1714030100.200"}
