"""File names that are not UTF-8 (CALL-28, -37) against a real OpenSSH server, through the fetcher, the outbox
and the drainer into the Dataverse emulator.

A recorder PC or an old Issabel box may name a file in Windows-1256 or Latin-1; OpenSSH lists it by its bytes.
Such a file beside the call's recording must not hide it, and when it *is* the call's recording it is read by
the exact bytes listed and written to Dataverse with U+FFFD for the bytes that are not UTF-8.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox, OutboxItem
from bridge.recordings.fetcher import RecordingFetcher
from bridge.recordings.policy import RecordingPolicy
from connectors.dataverse import AlternateKey, DataverseClient, RecordId, StaticToken
from connectors.pbx.transport.backoff import Backoff
from connectors.recordings import SftpRecordingStore
from connectors.recordings.raw_names import name_to_wire
from domain.calls.system_settings import RecordingSettings, RecordingSource, TelephonySystemSettings
from emulator.server import EmulatorServer, FaultPlan
from services.calls.recordings import STATUS_ATTACHED, note_id, phonecall_key

from .sshd import SshServer
from .test_sftp_recordings import ENV, ended_call, settings

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TEHRAN = timezone(timedelta(hours=3, minutes=30))
LATIN1 = "café-1739270000.1.wav".encode("latin-1")


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        yield server


def put(server: SshServer, day: str, raw_name: bytes, content: bytes) -> None:
    """A file in the served folder named by exactly these bytes."""
    folder = server.folder / day
    folder.mkdir(parents=True, exist_ok=True)
    with open(os.fsencode(folder) + b"/" + raw_name, "wb") as file:
        file.write(content)


def fetch(sshd: SshServer, emulator: EmulatorServer, tmp_path: Path, call_id: str, start: datetime) -> DataverseClient:
    """Run the fetcher for one ended call over SFTP and drain what it queued into the emulator."""
    update = ended_call(call_id, start)
    system = TelephonySystemSettings(
        "tehran-sftp",
        name="Tehran",
        recording=RecordingSettings(
            RecordingSource.SFTP, sshd.host, sshd.port, f"{sshd.folder}/YYYY/MM/DD", attach=True
        ),
    )
    client = DataverseClient(
        base_url=emulator.origin,
        session=requests.Session(),
        token_provider=StaticToken("bridge"),
        timeout=(2.0, 10.0),
        retry=None,
    )
    store = SftpRecordingStore(settings(sshd))
    policy = RecordingPolicy(first_delay_s=0.0, retry_base_s=0.1, retry_max_s=0.2, give_up_after_s=5, stable_wait_s=0)
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.put(OutboxItem(ENV, "phonecalls", phonecall_key(update.record), {"subject": "Call"}))
        fetcher = RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran-sftp": store}, policy=policy)

        async def main() -> None:
            fetcher.on_call(update, system)
            await fetcher.wait_idle()
            await fetcher.aclose()

        try:
            asyncio.run(main())
        finally:
            store.close()
        assert Drainer(outbox, client, ENV, backoff=Backoff(0.05, 60.0)).drain_until_empty(timeout_s=10)
        assert outbox.dead_letters() == []
    return client


def attached(client: DataverseClient, call_id: str, start: datetime, file_name: str) -> dict:
    """The recording row of the call's file, with its note's body checked against the row."""
    record = ended_call(call_id, start).record
    key = {"comms_systemkey": "tehran-sftp", "comms_pbxcallid": call_id, "comms_filename": file_name}
    row = client.retrieve(
        "comms_callrecordings", AlternateKey(key), select=["comms_status", "comms_sourcepath", "comms_noteid"]
    )
    note = client.retrieve("annotations", RecordId(note_id(record, file_name)), select=["filename", "documentbody"])
    assert row["comms_status"] == STATUS_ATTACHED and note["filename"] == file_name
    return {**row, "content": base64.b64decode(note["documentbody"])}


def test_a_latin1_name_beside_the_call_recording_is_skipped_with_one_warning(
    sshd: SshServer, emulator: EmulatorServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    start = datetime(2025, 2, 11, 14, 3, 5, tzinfo=TEHRAN)
    name = "in-02188776655-3201-20250211-140305-1739270585.321.wav"
    put(sshd, "2025/02/11", LATIN1, b"RIFF-other")
    put(sshd, "2025/02/11", name.encode(), b"RIFF-call")
    with caplog.at_level(logging.WARNING, logger="connectors.recordings.raw_names"):
        client = fetch(sshd, emulator, tmp_path, "1739270585.321", start)
    row = attached(client, "1739270585.321", start, name)
    assert row["content"] == b"RIFF-call" and row["comms_sourcepath"] == f"{sshd.folder}/2025/02/11/{name}"
    warnings = [r.getMessage() for r in caplog.records if r.name == "connectors.recordings.raw_names"]
    assert len(warnings) == 1 and r"b'caf\xe9-1739270000.1.wav'" in warnings[0] and warnings[0].isascii()


def test_a_windows_1256_name_that_is_the_call_recording_is_read_by_its_bytes_and_written_with_u_fffd(
    sshd: SshServer, emulator: EmulatorServer, tmp_path: Path
) -> None:
    start = datetime(2025, 2, 12, 9, 0, 1, tzinfo=TEHRAN)
    raw = "in-3201-تماس-20250212-090001-1739338201.55.wav".encode("cp1256")
    put(sshd, "2025/02/12", raw, b"RIFF-persian")
    put(sshd, "2025/02/12", LATIN1, b"RIFF-other")
    client = fetch(sshd, emulator, tmp_path, "1739338201.55", start)
    shown = "in-3201-\ufffd\ufffd\ufffd\ufffd-20250212-090001-1739338201.55.wav"
    row = attached(client, "1739338201.55", start, shown)
    assert row["content"] == b"RIFF-persian"
    assert row["comms_sourcepath"] == f"{sshd.folder}/2025/02/12/{shown}"
    assert name_to_wire(shown) != raw  # what Dataverse holds names it; the bytes stay on the PBX
