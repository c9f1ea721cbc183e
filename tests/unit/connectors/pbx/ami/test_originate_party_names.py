"""A click-to-call's phone call names the right parties (CALL-29): replayed from the real Asterisk 20 recordings.

``pjsip/originate*.bin`` were recorded with the Originate's ``CallerID: "09121234567" <101>``, the dialled number
as the name, as the bridge used to send it. Asterisk handed that name to the trunk leg as its connected line and
back to the phone's channel (``NewConnectedLine``, ``ConnectedLineName: 09121234567``), so the call's party name
was the raw number. ``originate.bin`` (IAX2) was recorded with ``"CRM" <101>``.
"""

from __future__ import annotations

import pytest

from connectors.crm.phone_call import phone_call_body
from dataverse_schema.telephony import PARTY_SENDER, PARTY_TO_RECIPIENT
from domain.calls.activity import phone_call_activity
from domain.calls.events import Direction
from domain.calls.system_settings import ExtensionSettings, TelephonySystemSettings
from domain.number_index import Match, RecordRef
from domain.numbers import NumberPlan
from tests.unit.connectors.pbx.ami.recordings import CUSTOMER, Recordings
from tests.unit.connectors.pbx.ami.test_asterisk20_pjsip_recordings import REC as PJSIP
from tests.unit.connectors.pbx.ami.test_asterisk20_recordings import REC as IAX2

USER = "11111111-1111-1111-1111-111111111111"
CONTACT = "22222222-2222-2222-2222-222222222222"
SYSTEM = TelephonySystemSettings(
    key="pbx1",
    plan=NumberPlan(98, "21", "", 5),
    extensions={"101": ExtensionSettings("101", "55555555-5555-5555-5555-555555555555", USER, name="Sara Karimi")},
)
CASES = [(PJSIP, "originate"), (PJSIP, "originate_device"), (IAX2, "originate"), (IAX2, "originate_device")]


def test_the_pjsip_recordings_carry_the_dialled_number_as_a_connected_line_name() -> None:
    # What the wire says: the premise of the tests below.
    lines = PJSIP.frames("originate_device", "NewConnectedLine")
    assert any(f["Channel"].startswith("PJSIP/101-") and f["ConnectedLineName"] == CUSTOMER for f in lines)


@pytest.mark.parametrize(("recordings", "scenario"), CASES)
def test_a_click_to_call_has_no_number_for_a_party_name(recordings: Recordings, scenario: str) -> None:
    call = recordings.only(scenario)
    assert call.direction is Direction.OUTBOUND and call.extension == "101"
    assert call.external_number == CUSTOMER and call.external_name is None


@pytest.mark.parametrize(("recordings", "scenario"), CASES)
def test_the_phone_call_is_from_the_extensions_user_to_the_dialled_contact(recordings: Recordings, scenario: str):
    call = recordings.only(scenario)
    contact = RecordRef("contact", CONTACT, "mobilephone", USER, call.started_at)
    matched = phone_call_activity(call, SYSTEM, Match(contact), name_of=lambda ref: "Reza Ahmadi")
    body = phone_call_body(matched)
    assert body["subject"] == "Call to Reza Ahmadi" and body["directioncode"] is True
    assert body["phonecall_activity_parties"] == [
        {"partyid_systemuser@odata.bind": f"/systemusers({USER})", "participationtypemask": PARTY_SENDER},
        {
            "partyid_contact@odata.bind": f"/contacts({CONTACT})",
            "addressused": "+989121234567",
            "participationtypemask": PARTY_TO_RECIPIENT,
        },
    ]
    unknown = phone_call_body(phone_call_activity(call, SYSTEM, Match(None)))
    assert unknown["subject"] == f"Call to {CUSTOMER}"  # the number, as a number: no name is made up
    assert unknown["phonecall_activity_parties"][1] == {
        "addressused": "+989121234567",
        "participationtypemask": PARTY_TO_RECIPIENT,
    }
