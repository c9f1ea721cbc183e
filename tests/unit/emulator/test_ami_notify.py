"""The AMI emulator's PJSIPNotify / SIPnotify replies match Asterisk's own texts (CALL-06)."""

from __future__ import annotations

import pytest

from emulator.ami.notify import pjsip_notify, sip_notify, unknown_command


@pytest.mark.parametrize(
    "action, variables, status, message, device",
    [
        ({"endpoint": "101"}, ["Event=talk"], "Success", "NOTIFY sent", "PJSIP/101"),
        ({"endpoint": "PJSIP/101"}, ["Event=talk"], "Success", "NOTIFY sent", "PJSIP/101"),
        ({"endpoint": "101"}, ["Event=check-sync"], "Success", "NOTIFY sent", None),
        ({"endpoint": "sara"}, ["Event=talk"], "Error", "Unable to retrieve endpoint sara", None),
        ({}, ["Event=talk"], "Error", "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.", None),
        (
            {"endpoint": "101", "uri": "sip:101@10.0.0.5"},
            ["Event=talk"],
            "Error",
            "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel.  You must use only one of them.",
            None,
        ),
        ({"uri": "sip:101@10.0.0.5"}, ["Event=talk"], "Success", "NOTIFY sent", None),
    ],
)
def test_pjsip_notify(action, variables, status, message, device):
    reply = pjsip_notify(action, variables)
    assert (reply.status, reply.message, reply.device) == (status, message, device)


@pytest.mark.parametrize(
    "action, variables, status, message, device",
    [
        ({"channel": "SIP/101"}, ["Event=talk"], "Success", "Notify Sent", "SIP/101"),
        ({"channel": "101"}, ["Event = Talk"], "Success", "Notify Sent", "SIP/101"),
        ({"channel": "SIP/101"}, [], "Error", "SIPNotify requires variables", None),
        ({}, ["Event=talk"], "Error", "SIPNotify requires a channel name", None),
        ({"channel": "SIP/trunk"}, ["Event=talk"], "Error", "Could not create address", None),
    ],
)
def test_sip_notify(action, variables, status, message, device):
    reply = sip_notify(action, variables)
    assert (reply.status, reply.message, reply.device) == (status, message, device)


def test_unknown_command_is_worded_as_asterisk_words_it():
    assert unknown_command("SIPnotify").message == (
        "Invalid/unknown command: SIPnotify. Use Action: ListCommands to show available commands."
    )
