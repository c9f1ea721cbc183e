"""The telephony part of ``commsuite demo``: the bridge daemon with every plug-in, in-process.

An AMI emulator plays an answered, a missed, a queued, a transferred and an
outbound call; an NS500 SMDR console (TCP, ``SMDR`` login) prints three
records and one line it cannot parse; a click-to-call row is created in the
CRM. The bridge reads its settings and numbers from the running Dataverse
emulator, logs every call matched to the seeded contact, raises app
notifications for the missed calls (tasks assigned to the user on premises,
which has no ``appnotification`` table), attaches a FreePBX-named recording and
dials the click-to-call request, then stops cleanly. Its console runs on
loopback with one browser-like subscriber per extension user, which sees the
ringing calls pop up (CALL-03) and times ring to pop-up; with ``--serve`` the
bridge and its console keep running after the summary.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import Callable
from pathlib import Path

from bridge.config.loader import parse_config
from bridge.runtime.daemon import Bridge
from cli.demo_console import ConsoleDemo, HeldBridge
from cli.demo_signin import DemoSignIn
from cli.demo_telephony_readback import TelephonyResult, summary
from cli.demo_telephony_setup import (
    AMI_KEY,
    AMI_SECRET,
    SMDR_PASSWORD,
    Say,
    bridge_config,
    point_recordings,
    seed,
)
from connectors.dataverse import DataverseClient, bind, odata
from connectors.pbx.base import ConnectionState
from dataverse_schema.names import CallRecording, ClickToCall, SystemUser
from domain.calls.click_to_call import ClickToCallStatus
from domain.calls.events import CallEvent, Direction
from domain.calls.record import CallChange, CallUpdate
from domain.calls.system_settings import TelephonySystemSettings
from emulator.ami import AmiServer
from emulator.ami.scenarios import CUSTOMER, DID
from emulator.server import EmulatorServer
from emulator.smdr import SmdrServer

SCENARIOS = ("inbound_answered", "inbound_missed", "queue", "transfer", "outbound")
SMDR_LINES = [
    "01/02/24 10:03AM   101 01 09121234567               0'00 00:01'05",
    "01/02/24  9:03AM       01 <I>09121234567            0'00                     RC",
    "01/02/24  9:05AM   102 01 <I>09121234567            0'12 00:01'30",
    "01/02/24 11:20AM   104 01 <I>09121234567            0'25 00:00'00            NA",
    "\x07\x00 paper jam ### ",
]
TIMEOUT_S = 30.0


def run_telephony(
    server: EmulatorServer,
    client: DataverseClient,
    out_dir: Path,
    sign_in: DemoSignIn,
    say: Say,
    *,
    serve: bool = False,
) -> TelephonyResult:
    """Seed the telephony rows, run the bridge against the emulators, and read back what it wrote.

    The bridge signs in as ``sign_in`` says; on premises its missed-call notices are tasks.

    With ``serve`` the bridge goes on running after the demo; the result's ``stop()`` ends it.
    """
    work = (out_dir / "telephony").resolve()  # the CRM names recording folders by absolute path
    work.mkdir(parents=True, exist_ok=True)
    users = seed(client, say)
    console = ConsoleDemo(users)
    held = HeldBridge() if serve else None
    run = lambda: _run_bridge(server, client, work, sign_in, console, say, held)  # noqa: E731
    recording = held.run(run) if held else asyncio.run(run())
    result = summary(client, work, recording, say, console)
    if held:
        result.stop = held.release
    return result


class RecorderBox:
    """Writes a small WAV, named as FreePBX names it, when the first answered inbound call hangs up
    (what MixMonitor does on a real PBX)."""

    def __init__(self, root: Path):
        self.root = root
        self.written: str | None = None

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        record = update.record
        if (
            self.written
            or record.system != AMI_KEY
            or CallChange.ENDED not in update.changes
            or not record.is_answered
            or record.direction is not Direction.INBOUND
        ):
            return
        stamp = record.started_at.strftime("%Y%m%d-%H%M%S")
        folder = self.root / record.started_at.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"in-{DID}-{CUSTOMER}-{stamp}-{record.call_id}.wav"
        (folder / name).write_bytes(_wav(seconds=0.25))
        self.written = name

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """Device states make no recordings."""


def _wav(seconds: float, rate: int = 8000) -> bytes:
    samples = bytes(int(seconds * rate) * 2)
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(samples),
        b"WAVE",
        b"fmt ",
        16,
        1,
        1,
        rate,
        rate * 2,
        2,
        16,
        b"data",
        len(samples),
    )
    return header + samples


async def _run_bridge(
    server: EmulatorServer,
    client: DataverseClient,
    work: Path,
    sign_in: DemoSignIn,
    console: ConsoleDemo,
    say: Say,
    held: HeldBridge | None,
) -> str:
    ami = await AmiServer(dialect="modern", secret=AMI_SECRET, speed=4).start()
    smdr = await SmdrServer(password=SMDR_PASSWORD).start()
    environ = {
        **sign_in.environ(),
        "COMMS_DEMO_AMI_SECRET": AMI_SECRET,
        "COMMS_DEMO_SMDR_PASSWORD": SMDR_PASSWORD,
        **console.environ,
    }
    (work / "bridge.toml").write_text(bridge_config(server, sign_in, work, ami, smdr, console), encoding="utf-8")
    config = parse_config((work / "bridge.toml").read_bytes(), str(work / "bridge.toml"), environ)
    point_recordings(client, work / "monitor")
    bridge = Bridge(config)
    recorder = RecorderBox(work / "monitor")
    bridge.add_listener(recorder, "demo recorder box")
    bridge.load_plugins()
    running = asyncio.create_task(bridge.run(install_signals=False))
    started = time.monotonic()
    try:
        await _until(
            lambda: all(w.state is ConnectionState.CONNECTED for w in bridge.workers.values()), "both PBX links up"
        )
        await _until(lambda: bridge.settings.settings_for(AMI_KEY) is not None, "settings read from the CRM")
        await _until(lambda: _index_ready(bridge), "the number index loaded")
        await asyncio.to_thread(console.open)
        say(
            f"bridge running: {len(bridge.pipeline.listeners)} listeners, links up in "
            f"{time.monotonic() - started:.1f} s; console at {console.url}, {console.browsers} browser(s) signed in"
        )
        await _play_calls(bridge, client, ami, smdr, recorder, console.users["101"], say)
        await asyncio.to_thread(console.close)
        if held is not None:
            await held.hold(recorder.written or "")
    finally:
        await asyncio.to_thread(console.close)
        bridge.request_stop("demo over")
        await asyncio.wait_for(running, 20)
        await ami.stop()
        await smdr.stop()
    say(f"bridge stopped cleanly after {time.monotonic() - started:.1f} s; outbox empty")
    return recorder.written or ""


async def _play_calls(
    bridge: Bridge,
    client: DataverseClient,
    ami: AmiServer,
    smdr: SmdrServer,
    recorder: RecorderBox,
    user: str,
    say: Say,
) -> None:
    """The PBXs' calls and a click-to-call request; returns when everything reached the CRM."""
    await smdr.send_lines(SMDR_LINES)
    for name in SCENARIOS:
        await ami.play(name)
    say(f"AMI emulator played {', '.join(SCENARIOS)}; SMDR printed {len(SMDR_LINES)} lines")
    request = await asyncio.to_thread(
        client.create,
        ClickToCall.SET,
        {
            ClickToCall.NUMBER: CUSTOMER,
            ClickToCall.STATUS: int(ClickToCallStatus.PENDING),
            **bind(ClickToCall.SYSTEMUSERID_NAV, SystemUser.SET, user),
        },
    )
    say(f"click-to-call request {request} created for extension 101's user")
    await _until(lambda: _click_to_call_done(client, request), "the click-to-call outcome")
    # "Connected" comes with the OriginateResponse; the originated call's answer and hang-up follow on
    # the PBX's own clock. Only once the PBX has played them all can an empty outbox mean "all written".
    await asyncio.wait_for(ami.played(), TIMEOUT_S)
    await _until(
        lambda: recorder.written is not None and _recording_written(client, recorder.written), "the recording row"
    )
    await _until(lambda: bridge.outbox.depth() == 0, "an empty outbox")


def _index_ready(bridge: Bridge) -> bool:
    from bridge.plugins.crm import crm_context

    return all(sync.is_ready for sync in crm_context(bridge).numbers.values())


def _click_to_call_done(client: DataverseClient, request: str) -> bool:
    row = client.retrieve(ClickToCall.SET, request, select=[ClickToCall.STATUS])
    return row[ClickToCall.STATUS] not in (int(ClickToCallStatus.PENDING), int(ClickToCallStatus.RINGING_EXTENSION))


def _recording_written(client: DataverseClient, file_name: str) -> bool:
    return client.count(CallRecording.SET, odata.eq(CallRecording.FILENAME, file_name)) > 0


async def _until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the telephony demo timed out waiting for {what}")
        await asyncio.sleep(0.1)
