"""A CRM whose telephony system says Subject Language = Persian gets Persian call subjects and recording notes,
end to end (CALL-07, CALL-28, X-05).

The telephony system row in the emulator carries ``comms_language = fa`` and an SFTP recording source; the
bridge reads it through its real settings reader (``CrmSettings``), logs a call folded from real AMI
fixture events, and fetches the call's recording from a real OpenSSH server; the outbox drains into
the emulator. The phone call's subject, the recording note's subject and text are Persian, and names,
numbers and paths inside them stay upright (isolated).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.calls.logger import CallLogger
from bridge.recordings.fetcher import RecordingFetcher
from bridge.recordings.policy import RecordingPolicy
from connectors.dataverse import AlternateKey, RecordId, odata
from connectors.recordings import SftpRecordingStore, SftpSettings
from connectors.recordings.naming import candidate_folders
from dataverse_schema.names import Annotation, CallRecording, PhoneCall, TelephonySystem
from dataverse_schema.telephony import RECORDING_SOURCES
from emulator.server import EmulatorServer, FaultPlan
from services.calls.recordings import STATUS_ATTACHED, STATUS_NOT_FOUND, note_id
from tests.integration.recordings.sshd import SshServer, start_sshd

from .call_logging_env import ENV, SYSTEM_KEY, World, build_world, fixture_events, fold

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]
FSI, PDI = "\u2068", "\u2069"
CONTENT = b"RIFF" + bytes(range(256)) * 16


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def world(tmp_path: Path, sshd: SshServer) -> Iterator[World]:
    columns = {
        TelephonySystem.LANGUAGE: "fa",
        TelephonySystem.RECORDINGSOURCE: RECORDING_SOURCES.value_of("Asterisk monitor folder (SFTP)"),
        TelephonySystem.RECORDINGHOST: sshd.host,
        TelephonySystem.RECORDINGPORT: sshd.port,
        TelephonySystem.RECORDINGPATH: f"{sshd.folder}/{tmp_path.name}/YYYY/MM/DD",  # a folder per test
        TelephonySystem.ATTACHRECORDINGS: True,
    }
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        built = build_world(server, tmp_path, **columns)
        yield built
        built.outbox.close()


def store_of(sshd: SshServer) -> SftpRecordingStore:
    return SftpRecordingStore(
        SftpSettings(
            system=SYSTEM_KEY,
            host=sshd.host,
            port=sshd.port,
            username=sshd.username,
            known_hosts=sshd.known_hosts,
            private_key_path=sshd.client_key,
            root=str(sshd.folder),
            connect_timeout_s=5.0,
            read_timeout_s=5.0,
        )
    )


def test_a_persian_system_gets_persian_call_subjects_and_recording_notes(world: World, sshd: SshServer) -> None:
    system = world.settings.settings_for(SYSTEM_KEY)
    assert system is not None and system.language == "fa"  # read from the CRM row by the bridge's reader
    updates = fold(fixture_events("inbound_answered.txt"))
    record = updates[-1].record
    folder = Path(candidate_folders(system.recording.path, record)[0])
    folder.mkdir(parents=True, exist_ok=True)
    name = f"in-{record.external_number.lstrip('+')}-101-{record.call_id}.wav"
    (folder / name).write_bytes(CONTENT)
    logger = CallLogger(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    policy = RecordingPolicy(first_delay_s=0, retry_base_s=0.05, retry_max_s=0.1, give_up_after_s=10)
    fetcher = RecordingFetcher(outbox=world.outbox, environment=ENV, stores={SYSTEM_KEY: store_of(sshd)}, policy=policy)

    async def main() -> None:
        for update in updates:
            logger.on_call(update, system)
            fetcher.on_call(update, system)
        await fetcher.wait_idle()
        await fetcher.aclose()

    asyncio.run(main())
    assert world.drainer.drain_until_empty(timeout_s=10) and world.outbox.dead_letters() == []
    (call,) = world.client.query(
        PhoneCall.SET,
        filter=odata.eq(PhoneCall.SYSTEMKEY, SYSTEM_KEY),
        select=[PhoneCall.ACTIVITYID, PhoneCall.SUBJECT],
    )
    assert call[PhoneCall.SUBJECT] == f"تماس ورودی از {FSI}{world.contact_name}{PDI}"
    note = world.client.retrieve(
        Annotation.SET,
        RecordId(note_id(record, name)),
        select=[Annotation.SUBJECT, Annotation.NOTETEXT, Annotation.FILENAME, Annotation.OBJECTID_VALUE],
    )
    assert note[Annotation.SUBJECT] == f"فایل ضبط مکالمه {FSI}{name}{PDI}"
    assert note[Annotation.NOTETEXT] == (
        f"فایل ضبط این مکالمه، دریافت‌شده از {FSI}Tehran head office{PDI}: {FSI}{folder}/{name}{PDI}"
    )
    assert (note[Annotation.FILENAME], note[Annotation.OBJECTID_VALUE]) == (name, call[PhoneCall.ACTIVITYID])
    row = world.client.retrieve(
        CallRecording.SET,
        AlternateKey(
            {CallRecording.SYSTEMKEY: SYSTEM_KEY, CallRecording.PBXCALLID: record.call_id, CallRecording.FILENAME: name}
        ),
        select=[CallRecording.STATUS, CallRecording.ERROR],
    )
    assert row[CallRecording.STATUS] == STATUS_ATTACHED and row[CallRecording.ERROR] is None


def test_a_recording_not_found_is_reported_in_persian(world: World, sshd: SshServer) -> None:
    system = world.settings.settings_for(SYSTEM_KEY)
    assert system is not None
    updates = fold(fixture_events("inbound_answered.txt"))
    record = updates[-1].record
    policy = RecordingPolicy(first_delay_s=0, retry_base_s=0.05, retry_max_s=0.1, give_up_after_s=0.3)
    logger = CallLogger(world.outbox, {SYSTEM_KEY: [ENV]}, {ENV: world.crm})
    fetcher = RecordingFetcher(outbox=world.outbox, environment=ENV, stores={SYSTEM_KEY: store_of(sshd)}, policy=policy)

    async def main() -> None:
        for update in updates:
            logger.on_call(update, system)
            fetcher.on_call(update, system)
        await fetcher.wait_idle()
        await fetcher.aclose()

    asyncio.run(main())
    assert world.drainer.drain_until_empty(timeout_s=10) and world.outbox.dead_letters() == []
    (row,) = world.client.query(
        CallRecording.SET,
        filter=odata.eq(CallRecording.PBXCALLID, record.call_id),
        select=[CallRecording.STATUS, CallRecording.ERROR],
    )
    assert row[CallRecording.STATUS] == STATUS_NOT_FOUND
    assert row[CallRecording.ERROR].startswith("تا 0.005 دقیقه پس از پایان تماس فایل ضبطی پیدا نشد؛")
    assert f"{FSI}{record.call_id}{PDI}" in row[CallRecording.ERROR]
