"""The live pipeline fed with AMI streams recorded from a real Asterisk 20.20.1, and from 18.26.4, 16.30.1 and 13.38.3
(issue 11, section 3).

The AMI emulator logs the bridge in over a real socket; the recorded events of each scenario
(tests/fixtures/ami/asterisk-20/ with IAX2 phones and trunk, its pjsip/ folder with chan_pjsip, chan_sip/ with
chan_sip, parking/ with res_parking and freepbx/ with a FreePBX-shaped dialplan; asterisk-18/, asterisk-16/ and
asterisk-13/ with the IAX2 set-up and the PBX's Cdr events, their chan_sip/ folders with chan_sip, and
asterisk-18/pjsip/ and its siblings, parking included; the freepbx_macro/ folders of asterisk-18/, -16/ and -13/
with a Macro()-based dialplan, and their chan_sip/ and pjsip/ sub-folders with SIP phones on it; see their READMEs) are
then written to that socket byte for byte, minus the recording's own banner, login reply and logoff reply. The
bridge runs in-process and writes to the Dataverse emulator; the phone-call rows must show the outcomes the replay
tests pin (tests/unit/connectors/pbx/ami/test_asterisk20_recordings.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
from pathlib import Path

import pytest

from bridge.plugins.crm import crm_context
from bridge.runtime.daemon import Bridge
from connectors.dataverse import DataverseClient, odata
from connectors.pbx.base import ConnectionState
from emulator.ami import AmiServer
from emulator.server import EmulatorServer, FaultPlan

from .helpers import eventually, loaded_bridge, stop_bridge
from .plugin_world import AMI_KEY, Crm, seed_crm

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ami" / "asterisk-20"
SYSTEM = AMI_KEY  # the system row seed_crm writes, with extensions 101-103 and the customer as a contact
CUSTOMER = "+989121234567"
_FRAME_END = re.compile(rb"\r\n\r\n")

# scenario: outgoing, answered, extension, talk seconds, hold seconds (the replay tests' figures: whole seconds, the
# fraction dropped, as Asterisk's CDR counts them; domain/calls/seconds.py)
EXPECTED_IAX2 = {
    "inbound_answered": (False, True, "101", 5, 0),
    "inbound_missed": (False, False, "102", 0, 0),
    "queue": (False, True, "101", 2, 0),
    "outbound": (True, True, "101", 4, 0),
    "originate": (True, True, "101", 6, 0),  # click-to-call as the bridge originates it (Local/101@from-internal)
}
# the same on PJSIP endpoints (tests/unit/connectors/pbx/ami/test_asterisk20_pjsip_recordings.py)
EXPECTED_PJSIP = {
    "inbound_answered": (False, True, "101", 5, 0),
    "inbound_missed": (False, False, "102", 0, 0),
    "queue": (False, True, "101", 2, 0),
    "outbound": (True, True, "101", 4, 0),
    "originate": (True, True, "101", 6, 0),
    # AMI Atxfer from 101 to 102: the caller is held during the 7.7 s consultation; 102 ends owning the call
    "attended_transfer": (False, True, "102", 13, 7),
}
# chan_sip (tests/unit/connectors/pbx/ami/test_asterisk20_chan_sip_recordings.py)
EXPECTED_SIP = {
    "inbound_answered": (False, True, "101", 5, 0),
    "inbound_missed": (False, False, "102", 0, 0),
    "queue": (False, True, "101", 2, 0),
    "outbound": (True, True, "101", 4, 0),
    "originate": (True, True, "101", 6, 0),
    "blind_transfer": (False, True, "102", 14, 0),
    "park_retrieve": (False, True, "102", 16, 4),  # parked by 101, retrieved by 102: parked time is hold time
    "park_timeout": (False, True, "101", 11, 10),
}
# res_parking on PJSIP (tests/unit/connectors/pbx/ami/test_asterisk20_parking_recordings.py)
EXPECTED_PARKING = {
    "park_retrieve": (False, True, "102", 16, 4),
    "park_timeout": (False, True, "101", 12, 9),  # parked 9.999 s
    "park_giveup": (False, True, "101", 4, 5),
}
# a FreePBX-shaped dialplan on PJSIP, the walk-through of docs/asterisk.md section 11
# (tests/unit/connectors/pbx/ami/test_asterisk20_freepbx_recordings.py)
EXPECTED_FREEPBX = {
    "inbound_answered": (False, True, "101", 5, 0),
    "inbound_missed": (False, False, "102", 0, 0),
    "ring_group": (False, True, "102", 6, 0),
    "queue": (False, True, "102", 2, 0),
    "followme_mobile": (False, True, "103", 6, 0),  # answered on the mobile, through the trunk
    "outbound": (True, True, "101", 4, 0),
    "click_to_call": (True, True, "101", 5, 0),
    "blind_transfer": (False, True, "102", 14, 0),
}
# the IAX2 set-up on older versions (tests/unit/connectors/pbx/ami/test_older_asterisk_recordings.py)
EXPECTED_OLDER = {"18": EXPECTED_IAX2, "16": EXPECTED_IAX2, "13": EXPECTED_IAX2}
# chan_sip on 18, 16 and 13 (tests/unit/connectors/pbx/ami/test_older_asterisk_chan_sip_recordings.py): no parking
# time-out recorded
EXPECTED_SIP18 = {scenario: row for scenario, row in EXPECTED_SIP.items() if scenario != "park_timeout"}
EXPECTED_OLDER_SIP = {"18": EXPECTED_SIP18, "16": EXPECTED_SIP18, "13": EXPECTED_SIP18}
# PJSIP on 18, 16 and 13 (tests/unit/connectors/pbx/ami/test_older_asterisk_pjsip_recordings.py)
EXPECTED_PJSIP18 = {
    "inbound_answered": (False, True, "101", 5, 0),
    "inbound_missed": (False, False, "102", 0, 0),
    "queue": (False, True, "101", 2, 0),
    "outbound": (True, True, "101", 4, 0),
    "originate": (True, True, "101", 6, 0),
    "attended_transfer": (False, True, "102", 15, 5),
}
# res_parking on 18's PJSIP set-up: 10.000 s parked before the time-out, 6.017 s before the caller gave up
EXPECTED_PARKING18 = {
    "park_retrieve": (False, True, "102", 16, 4),
    "park_timeout": (False, True, "101", 11, 10),
    "park_giveup": (False, True, "101", 3, 6),
}
# on 16 and 13 the caller gave up 5.95 s after being parked; on 13 the time-out came after 9.99998 s parked
EXPECTED_PARKING16 = EXPECTED_PARKING18 | {"park_giveup": (False, True, "101", 4, 5)}
EXPECTED_PARKING13 = EXPECTED_PARKING16 | {"park_timeout": (False, True, "101", 12, 9)}
EXPECTED_OLDER_PARKING = {"18": EXPECTED_PARKING18, "16": EXPECTED_PARKING16, "13": EXPECTED_PARKING13}
# a FreePBX 13 / 14-shaped Macro() dialplan on 18, 16 and 13
# (tests/unit/connectors/pbx/ami/test_freepbx_macro_recordings.py); busy is left out: it rang 104, which has no user
EXPECTED_MACRO = {
    "inbound_answered": (False, True, "101", 5, 0),
    "inbound_missed": (False, False, "102", 0, 0),
    "ring_group": (False, True, "102", 6, 0),
    "followme_mobile": (False, True, "103", 5, 0),  # the mobile hung up 5.49 s (18), 5.51 s (16, 13) after answering
    "outbound": (True, True, "101", 4, 0),
    "originate": (True, True, "101", 6, 0),
    "blind_transfer": (False, True, "102", 14, 0),
    "queue": (False, True, "101", 2, 0),
    "queue_abandoned": (False, False, "101", 0, 0),  # nobody answered; 101 was the first member rung
    "voicemail": (False, False, "101", 0, 0),  # 101 rang out, then VoiceMail answered
}
# the same dialplan with chan_sip or PJSIP phones and trunk
# (tests/unit/connectors/pbx/ami/test_freepbx_macro_sip_recordings.py)
EXPECTED_MACRO_SIP = {
    "inbound_answered": (False, True, "101", 5, 0),
    "inbound_missed": (False, False, "102", 0, 0),
    "outbound": (True, True, "101", 4, 0),
    "queue": (False, True, "101", 2, 0),
    "queue_abandoned": (False, False, "101", 0, 0),
    "voicemail": (False, False, "101", 0, 0),
}
RECORDINGS = {
    "freepbx": (FIXTURES / "freepbx", EXPECTED_FREEPBX),
    **{
        f"asterisk{v}_freepbx_macro_{driver}": (
            FIXTURES.parent / f"asterisk-{v}" / "freepbx_macro" / driver,
            EXPECTED_MACRO_SIP,
        )
        for v in ("18", "16", "13")
        for driver in ("chan_sip", "pjsip")
    },
    **{
        f"asterisk{v}_freepbx_macro": (FIXTURES.parent / f"asterisk-{v}" / "freepbx_macro", EXPECTED_MACRO)
        for v in ("18", "16", "13")
    },
    "iax2": (FIXTURES, EXPECTED_IAX2),
    "pjsip": (FIXTURES / "pjsip", EXPECTED_PJSIP),
    "chan_sip": (FIXTURES / "chan_sip", EXPECTED_SIP),
    "parking": (FIXTURES / "parking", EXPECTED_PARKING),
    **{
        f"asterisk{v}_pjsip": (FIXTURES.parent / f"asterisk-{v}" / "pjsip", EXPECTED_PJSIP18 | parking)
        for v, parking in EXPECTED_OLDER_PARKING.items()
    },
    **{f"asterisk{v}": (FIXTURES.parent / f"asterisk-{v}", expected) for v, expected in EXPECTED_OLDER.items()},
    **{
        f"asterisk{v}_chan_sip": (FIXTURES.parent / f"asterisk-{v}" / "chan_sip", expected)
        for v, expected in EXPECTED_OLDER_SIP.items()
    },
}


def bridge_file(outbox: Path, crm_url: str, ami_port: int) -> str:
    """The default plug-ins (no ``listeners`` key); the IAX2 recordings' trunk is named as docs/asterisk.md
    section 9 says (a PJSIP trunk named ``trunk`` is a trunk by the default rules; naming it changes nothing)."""
    return f"""
[bridge]
outbox = "{outbox}"
health_listen = "127.0.0.1:0"
sweep_interval_s = 0.5
shutdown_timeout_s = 10

[environments.crm]
url = "{crm_url}"
static_token = "bridge"
read_timeout_s = 10

[systems.{SYSTEM}]
kind = "ami"
environments = ["crm"]
host = "127.0.0.1"
port = {ami_port}
username = "crm"
password = "crm-secret"

[systems.{SYSTEM}.plan]
country_code = 98
city_code = "21"

[systems.{SYSTEM}.ami]
ping_interval_s = 0.5
ping_timeout_s = 1.0
backoff_min_s = 0.05
backoff_max_s = 0.2

[systems.{SYSTEM}.ami.channels]
trunk_channels = ["IAX2/trunk*", "PJSIP/trunk*", "SIP/trunk*"]
"""


def recorded_events(folder: Path, scenario: str) -> bytes:
    """The PBX's bytes after its banner and login reply, without the closing logoff reply."""
    data = (folder / f"{scenario}.bin").read_bytes()
    _banner, _, rest = data.partition(b"\r\n")
    frames = [frame for frame in _FRAME_END.split(rest) if frame.strip()]
    kept = [frame for frame in frames if not frame.startswith(b"Response:")]
    if len(kept) != len(frames) - 2:
        raise AssertionError(f"{scenario}: expected exactly a login and a logoff reply besides the events")
    return b"".join(frame + b"\r\n\r\n" for frame in kept)


def phone_calls(client: DataverseClient) -> dict[str, dict]:
    rows = client.query(
        "phonecalls",
        filter=odata.eq("comms_systemkey", SYSTEM),
        select=[
            "comms_pbxcallid",
            "directioncode",
            "comms_answered",
            "comms_extensionnumber",
            "phonenumber",
            "comms_talkseconds",
            "comms_holdseconds",
            "statecode",
            "_ownerid_value",
            "_regardingobjectid_value",
        ],
    )
    return {row["comms_pbxcallid"]: row for row in rows}


def crm_ready(bridge: Bridge) -> bool:
    """The system's row (its extensions' users) and the number index are read: owners and contacts can be set."""
    context = crm_context(bridge)
    return context.settings["crm"].settings_for(SYSTEM) is not None and bool(
        context.numbers["crm"].lookup(CUSTOMER).best
    )


def _closed_count(client: DataverseClient) -> int:
    return sum(1 for row in phone_calls(client).values() if row["statecode"] == 1)


async def _feed(ami: AmiServer, bridge: Bridge, client: DataverseClient, recordings: str) -> dict[str, dict]:
    """Send each scenario in turn; return scenario → its phone-call row once the call is closed."""
    folder, expected_rows = RECORDINGS[recordings]
    rows: dict[str, dict] = {}
    for scenario in expected_rows:
        known = set(phone_calls(client))
        ami.send_raw(recorded_events(folder, scenario))
        expected = len(known) + 1
        await eventually(lambda n=expected: _closed_count(client) == n, 15, f"{scenario} logged")
        (new,) = set(phone_calls(client)) - known
        rows[scenario] = phone_calls(client)[new]
    await eventually(lambda: bridge.outbox.depth() == 0, 10, "an empty outbox")
    return rows


@pytest.mark.parametrize("recordings", sorted(RECORDINGS))
def test_recorded_asterisk20_calls_reach_dataverse_through_the_live_bridge(tmp_path: Path, recordings: str) -> None:
    expected_rows = RECORDINGS[recordings][1]
    with EmulatorServer(tmp_path / "crm.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:
        world = seed_crm(crm)
        client = world.client

        async def main() -> dict[str, dict]:
            ami = await AmiServer(dialect="modern").start()
            text = bridge_file(tmp_path / "outbox.db", crm.origin, ami.port)
            bridge = loaded_bridge(text)
            running = asyncio.create_task(bridge.run(install_signals=False))
            try:
                await eventually(lambda: bridge.workers[SYSTEM].state is ConnectionState.CONNECTED, 5, "login")
                await ami.handled("CoreShowChannels")  # the first snapshot is taken before the calls begin
                await eventually(lambda: crm_ready(bridge), 10, "the CRM's settings and number index")
                return await _feed(ami, bridge, client, recordings)
            finally:
                await stop_bridge(bridge, running)
                await ami.stop()

        rows = asyncio.run(main())
        assert len(phone_calls(client)) == len(expected_rows)  # nothing doubled, nothing extra
        for scenario, (outgoing, answered, extension, talk, hold) in expected_rows.items():
            row = rows[scenario]
            seen = (row["directioncode"], row["comms_answered"], row["comms_extensionnumber"])
            assert seen == (outgoing, answered, extension), scenario
            assert (row["comms_talkseconds"], row["comms_holdseconds"]) == (talk, hold), scenario
            assert row["phonenumber"] == CUSTOMER, scenario
            assert row["_ownerid_value"] == world.users[extension], scenario
            assert row["_regardingobjectid_value"] == contact_of(world), scenario


def contact_of(world: Crm) -> str:
    (contact,) = world.client.query("contacts", select=["contactid"], filter=odata.eq("mobilephone", "09121234567"))
    return contact["contactid"]


def test_a_trunk_named_like_an_extension_is_counted_and_warned_about_then_logged_once_named(
    tmp_path: Path, caplog
) -> None:
    """The walk-through's second provider (docs/asterisk.md section 11): endpoint ``5001`` in the
    ``from-pstn-toheader`` context. With no trunk rule its calls are kept out, counted on /healthz and named in a
    WARNING; with the ``trunk_channels`` pattern the WARNING names, the same two calls are logged."""
    with EmulatorServer(tmp_path / "crm.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:
        client = seed_crm(crm).client
        caplog.set_level(logging.WARNING, logger="connectors.pbx.ami.classify")
        unclassified = asyncio.run(_feed_digit_trunk(tmp_path / "first.db", crm.origin, "[]", lambda b: False))
        assert unclassified == 2 and phone_calls(client) == {}
        assert "'PJSIP/5001*' to trunk_channels" in caplog.text
        logged = asyncio.run(
            _feed_digit_trunk(
                tmp_path / "second.db", crm.origin, '["PJSIP/5001*"]', lambda b: _closed_count(client) == 2
            )
        )
        assert logged == 0
        rows = sorted(phone_calls(client).values(), key=lambda row: row["directioncode"])
        assert [(r["directioncode"], r["comms_extensionnumber"], r["phonenumber"]) for r in rows] == [
            (False, "101", CUSTOMER),
            (True, "101", CUSTOMER),
        ]


async def _feed_digit_trunk(outbox: Path, crm_url: str, trunks: str, logged) -> int:
    """Run the bridge with ``trunk_channels = <trunks>``, send both recordings; the unclassified count at the end."""
    ami = await AmiServer(dialect="modern").start()
    text = bridge_file(outbox, crm_url, ami.port).replace('["IAX2/trunk*", "PJSIP/trunk*", "SIP/trunk*"]', trunks)
    bridge = loaded_bridge(text)
    running = asyncio.create_task(bridge.run(install_signals=False))

    async def counted() -> int:
        return (await bridge.snapshot()).systems[0].unclassified_calls

    try:
        await eventually(lambda: bridge.workers[SYSTEM].state is ConnectionState.CONNECTED, 5, "login")
        await ami.handled("CoreShowChannels")
        await eventually(lambda: crm_ready(bridge), 10, "the CRM's settings and number index")
        for scenario in ("digit_trunk", "digit_trunk_out"):
            ami.send_raw(recorded_events(FIXTURES / "freepbx", scenario))
        connector = bridge.workers[SYSTEM].connector
        await eventually(
            lambda: getattr(connector, "unclassified_calls", 0) == 2 or logged(bridge), 15, "both calls handled"
        )
        await eventually(lambda: bridge.outbox.depth() == 0, 10, "an empty outbox")
        return await counted()
    finally:
        await stop_bridge(bridge, running)
        await ami.stop()
