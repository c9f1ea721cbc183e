"""Channel names per technology, and the channel rules applied to every technology (issue 11, points 2 and 4).

Asterisk names a channel ``<technology>/<resource>-<suffix>``: an 8-hex-digit
sequence for SIP, PJSIP and SCCP, the decimal call number for IAX2, a decimal
sequence for DAHDI, ``<exten>@<context>-<hex>;<1|2>`` for Local channels.
"""

from __future__ import annotations

import pytest

from connectors.pbx.ami.classify import ChannelClassifier, ChannelName, Role, known_value
from connectors.pbx.ami.settings import ChannelRules


@pytest.mark.parametrize(
    ("channel", "technology", "device", "context"),
    [
        ("PJSIP/101-0000001a", "PJSIP", "101", ""),
        ("SIP/777-000000bc", "SIP", "777", ""),
        ("SIP/toOurAster-000000bb", "SIP", "toOurAster", ""),
        ("IAX2/101-11090", "IAX2", "101", ""),
        ("IAX2/provider-7", "IAX2", "provider", ""),
        ("DAHDI/1-1", "DAHDI", "1", ""),
        ("DAHDI/i1/02191002000-2", "DAHDI", "i1/02191002000", ""),
        ("DAHDI/pseudo-1838", "DAHDI", "pseudo", ""),
        ("Local/259@default-00000000;2", "Local", "259", "default"),
        ("Local/101@from-queue-0000001f;1", "Local", "101", "from-queue"),
        ("Local/09121234567#@from-internal-1a2b;1", "Local", "09121234567#", "from-internal"),
        ("SCCP/201-0000000a", "SCCP", "201", ""),
        ("Motif/alice@example.org-4f2a", "Motif", "alice@example.org", ""),
        ("SIP/101-00000007<ZOMBIE>", "SIP", "101", ""),
        ("SIP/777", "SIP", "777", ""),
        ("IAX2/101", "IAX2", "101", ""),
    ],
)
def test_channel_names_are_split_per_technology(channel, technology, device, context):
    name = ChannelName.parse(channel)
    assert (name.technology, name.device, name.context) == (technology, device, context)


PHONES_ON_IAX2 = ChannelRules(trunk_channels=("DAHDI/*",))


@pytest.mark.parametrize(
    ("channel", "role"),
    [
        ("IAX2/101-11090", Role.EXTENSION),
        ("IAX2/provider-7", Role.TRUNK),
        ("DAHDI/1-1", Role.TRUNK),
        ("SCCP/201-0000000a", Role.EXTENSION),
    ],
)
def test_iax2_phones_and_dahdi_ports_are_recognised(channel, role):
    classifier = ChannelClassifier(PHONES_ON_IAX2)
    assert classifier.role(channel) is role


def test_iax2_phone_has_an_extension():
    assert ChannelClassifier(PHONES_ON_IAX2).extension_of("IAX2/101-11090") == "101"


def test_local_channels_honour_trunk_channels_and_inbound_contexts():
    classifier = ChannelClassifier(
        ChannelRules(trunk_channels=("Local/*@from-sip-provider",), inbound_contexts=("from-pstn",))
    )
    assert classifier.role("Local/02191002000@from-sip-provider-00000a1b;2") is Role.TRUNK
    assert classifier.role("Local/02191002000@from-pstn-00000a1c;1") is Role.TRUNK
    assert classifier.role("Local/5000@somewhere-00000a1d;2", "from-pstn") is Role.TRUNK
    assert classifier.role("Local/101@from-queue-00000a1e;1") is Role.OTHER


@pytest.mark.parametrize("value", ["", "  ", "<unknown>", "unknown", "anonymous", "Anonymous", None])
def test_caller_id_values_asterisk_uses_for_none_are_no_value(value: str | None) -> None:
    assert known_value(value) is None


@pytest.mark.parametrize("value", ["09121234567", "رضا احمدی", "Unknown Caller Ltd"])
def test_real_caller_id_values_are_kept(value: str) -> None:
    assert known_value(value) == value
