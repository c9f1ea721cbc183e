"""SFTP recordings against a real OpenSSH server on loopback, and the fetched file landing in the
Dataverse emulator through the outbox and the drainer, once, even across a restart and with two
environments (CALL-28), each with the note in its own system row's Subject Language (X-05)."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import logging
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox, OutboxItem
from bridge.recordings.fetcher import RecordingFetcher
from bridge.recordings.jobs import RecordingJobs
from bridge.recordings.policy import RecordingPolicy
from connectors.dataverse import AlternateKey, DataverseClient, RecordId, StaticToken, odata
from connectors.errors import AuthError, NotSentError
from connectors.pbx.transport.backoff import Backoff
from connectors.recordings import (
    FileTooLargeError,
    FolderMissingError,
    SftpRecordingStore,
    SftpSettings,
    UnknownHostKeyError,
    UnsafePathError,
    check_recording_store,
)
from connectors.settings import Secret
from domain.calls.events import Direction
from domain.calls.record import CallChange, CallOutcome, CallRecord, CallStatus, CallUpdate
from domain.calls.system_settings import RecordingSettings, RecordingSource, TelephonySystemSettings
from emulator.server import EmulatorServer, FaultPlan
from services.calls.recordings import STATUS_ATTACHED, note_id, phonecall_key

from .sshd import SshServer, free_port, keygen

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TEHRAN = timezone(timedelta(hours=3, minutes=30))
CANARY = "CANARY-7f3a"
ENV = "emulator"


def settings(server: SshServer, **overrides: object) -> SftpSettings:
    values: dict[str, object] = {
        "system": "tehran",
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "known_hosts": server.known_hosts,
        "private_key_path": server.client_key,
        "root": str(server.folder),
        "connect_timeout_s": 5.0,
        "read_timeout_s": 5.0,
    }
    values.update(overrides)
    return SftpSettings(**values)


def recording(server: SshServer, day: str, name: str, content: bytes) -> Path:
    folder = server.folder / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    return path


def test_lists_reads_and_checks(sshd: SshServer) -> None:
    content = b"RIFF" + bytes(range(256)) * 300
    recording(sshd, "2025/01/05", "in-021-0912-20250105-101010-1736060000.7.wav", content)
    recording(sshd, "2025/01/05", "notes", b"")
    (sshd.folder / "2025/01/05/sub").mkdir()
    store = SftpRecordingStore(settings(sshd))
    try:
        files = store.list_folder(f"{sshd.folder}/2025/01/05")
        assert [(f.name, f.size_bytes) for f in files if f.name.endswith(".wav")] == [
            ("in-021-0912-20250105-101010-1736060000.7.wav", len(content))
        ]
        assert sorted(f.name for f in files) == ["in-021-0912-20250105-101010-1736060000.7.wav", "notes"]
        wav = next(f for f in files if f.name.endswith(".wav"))
        assert store.read_bytes(wav.path, limit_bytes=len(content)) == content
        with pytest.raises(FileTooLargeError):
            store.read_bytes(f"{sshd.folder}/2025/01/05/in-021-0912-20250105-101010-1736060000.7.wav", limit_bytes=100)
        with pytest.raises(FolderMissingError):
            store.list_folder(f"{sshd.folder}/2025/01/06")
        with pytest.raises(UnsafePathError):
            store.read_bytes(f"{sshd.folder}/../etc/known_hosts", limit_bytes=10_000)
        line = check_recording_store(store, f"{sshd.folder}/YYYY/MM/DD")
        assert "logged in" in line and "SHA256:" in line
    finally:
        store.close()


def test_the_session_reconnects_after_the_link_drops(sshd: SshServer) -> None:
    recording(sshd, "2025/01/07", "a.wav", b"abc")
    store = SftpRecordingStore(settings(sshd))
    try:
        assert len(store.list_folder(f"{sshd.folder}/2025/01/07")) == 1
        transport = store._client.get_transport()  # what a network drop does to the session
        transport.close()
        assert len(store.list_folder(f"{sshd.folder}/2025/01/07")) == 1
    finally:
        store.close()


def test_an_unknown_or_changed_host_key_is_rejected(sshd: SshServer, tmp_path: Path) -> None:
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(UnknownHostKeyError, match="is not in"):
        SftpRecordingStore(settings(sshd, known_hosts=empty)).check()
    other = keygen(tmp_path / "other_host").with_suffix(".pub").read_text().split()
    changed = tmp_path / "changed_known_hosts"
    changed.write_text(f"[{sshd.host}]:{sshd.port} {other[0]} {other[1]}\n")
    with pytest.raises(UnknownHostKeyError, match="changed"):
        SftpRecordingStore(settings(sshd, known_hosts=changed)).check()
    with pytest.raises(UnknownHostKeyError, match="cannot be read"):
        SftpRecordingStore(settings(sshd, known_hosts=tmp_path / "missing")).check()


def test_wrong_password_or_key_is_refused_and_never_shown(
    sshd: SshServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[Exception] = []
    wrong_password = settings(sshd, private_key_path=None, password=Secret(CANARY))
    stranger = keygen(tmp_path / "stranger")
    for candidate in (wrong_password, settings(sshd, private_key_path=stranger)):
        with pytest.raises(AuthError) as caught:
            SftpRecordingStore(candidate).check()
        assert not isinstance(caught.value, UnknownHostKeyError) and not caught.value.retry_safe
        errors.append(caught.value)
    assert "refused the login" in str(errors[0])
    assert CANARY not in caplog.text and all(CANARY not in str(e) for e in errors)
    assert CANARY not in repr(wrong_password)


def test_a_host_that_is_down_is_not_sent(sshd: SshServer) -> None:
    with pytest.raises(NotSentError) as caught:
        SftpRecordingStore(settings(sshd, port=free_port(), connect_timeout_s=2.0)).check()
    assert caught.value.retry_safe


# -- through the fetcher, the outbox and the drainer into the emulator -----------------------


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        yield server


def ended_call(call_id: str, start: datetime) -> CallUpdate:
    record = CallRecord(
        "tehran-sftp",
        call_id,
        3,
        CallStatus.ENDED,
        start,
        direction=Direction.INBOUND,
        outcome=CallOutcome.ANSWERED,
        external_number="+982188776655",
        extension="3201",
        answered_at=start + timedelta(seconds=4),
        ended_at=start + timedelta(seconds=40),
        talk_seconds=36,
    )
    return CallUpdate(record, None, frozenset({CallChange.ENDED}))


def test_a_late_recording_is_attached_to_the_phone_call_in_dataverse(
    sshd: SshServer, emulator: EmulatorServer, tmp_path: Path
) -> None:
    start = datetime(2025, 2, 11, 14, 3, 5, tzinfo=TEHRAN)
    update = ended_call("1739270585.321", start)
    name = "in-02188776655-3201-20250211-140305-1739270585.321.wav"
    content = b"RIFF" + bytes(range(256)) * 64
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
    policy = RecordingPolicy(
        first_delay_s=0.05, retry_base_s=0.1, retry_max_s=0.2, give_up_after_s=10, stable_wait_s=0.05
    )
    with Outbox(tmp_path / "outbox.db") as outbox:
        outbox.put(
            OutboxItem(
                ENV,
                "phonecalls",
                phonecall_key(update.record),
                {"subject": "Call from +982188776655", "comms_answered": True},
            )
        )
        fetcher = RecordingFetcher(outbox=outbox, environment=ENV, stores={"tehran-sftp": store}, policy=policy)
        late = threading.Timer(0.6, recording, args=(sshd, "2025/02/11", name, content))

        async def main() -> None:
            late.start()
            fetcher.on_call(update, system)
            await fetcher.wait_idle()
            await fetcher.aclose()

        asyncio.run(main())
        late.join()
        assert Drainer(outbox, client, ENV, backoff=Backoff(0.05, 60.0)).drain_until_empty(timeout_s=10)
        assert outbox.dead_letters() == []
    call = client.retrieve("phonecalls", phonecall_key(update.record), select=["activityid"])
    note = client.retrieve(
        "annotations",
        RecordId(note_id(update.record, name)),
        select=["filename", "mimetype", "documentbody", "_objectid_value"],
    )
    assert base64.b64decode(note["documentbody"]) == content
    assert (note["filename"], note["mimetype"], note["_objectid_value"]) == (name, "audio/wav", call["activityid"])
    row = client.retrieve(
        "comms_callrecordings",
        AlternateKey({"comms_systemkey": "tehran-sftp", "comms_pbxcallid": "1739270585.321", "comms_filename": name}),
        select=["comms_status", "comms_sizebytes", "comms_sourcepath", "comms_noteid", "_comms_phonecallid_value"],
    )
    assert row["comms_status"] == STATUS_ATTACHED and row["comms_sizebytes"] == len(content)
    assert row["comms_sourcepath"] == f"{sshd.folder}/2025/02/11/{name}"
    assert row["_comms_phonecallid_value"] == call["activityid"]
    assert row["comms_noteid"] == note_id(update.record, name)


# -- a restart mid-wait, and one download for two environments ---------------------------------


def test_a_fetch_pending_at_a_restart_lands_once_in_each_of_two_environments(sshd: SshServer, tmp_path: Path) -> None:
    start = datetime(2025, 2, 12, 9, 0, 1, tzinfo=TEHRAN)
    update = ended_call("1739338201.55", start)
    name = "in-02188776655-3201-20250212-090001-1739338201.55.wav"
    content = b"RIFF" + bytes(range(256)) * 32
    system = TelephonySystemSettings(
        "tehran-sftp",
        name="Tehran",
        recording=RecordingSettings(
            RecordingSource.SFTP, sshd.host, sshd.port, f"{sshd.folder}/YYYY/MM/DD", attach=True
        ),
    )
    # the prod CRM's system row says Subject Language fa, the branch's en; kept across the restart
    environments = {"prod": dataclasses.replace(system, language="fa"), "branch": system}
    policy = RecordingPolicy(
        first_delay_s=0.3, retry_base_s=0.1, retry_max_s=0.2, give_up_after_s=20, stable_wait_s=0.05
    )
    with (
        EmulatorServer(tmp_path / "prod.db", faults=FaultPlan.none(), key_activation_s=0.0) as prod,
        EmulatorServer(tmp_path / "branch.db", faults=FaultPlan.none(), key_activation_s=0.0) as branch,
        Outbox(tmp_path / "outbox.db") as outbox,
    ):
        for env in environments:
            outbox.put(OutboxItem(env, "phonecalls", phonecall_key(update.record), {"subject": "Call"}))

        def fetcher() -> RecordingFetcher:
            return RecordingFetcher(
                outbox=outbox,
                stores={"tehran-sftp": SftpRecordingStore(settings(sshd))},
                jobs=RecordingJobs(tmp_path / "recording-jobs.db"),
                policy=policy,
            )

        async def stopped_mid_wait() -> None:
            first = fetcher()
            first.fetch_for(update, environments)
            await asyncio.sleep(0.1)
            await first.aclose()

        async def restarted() -> int:
            second = fetcher()
            count = await second.resume()
            await second.wait_idle()
            await second.aclose()
            return count

        asyncio.run(stopped_mid_wait())
        recording(sshd, "2025/02/12", name, content)
        assert asyncio.run(restarted()) == 1 and asyncio.run(restarted()) == 0
        clients = {}
        for env, server in (("prod", prod), ("branch", branch)):
            clients[env] = DataverseClient(
                base_url=server.origin,
                session=requests.Session(),
                token_provider=StaticToken("bridge"),
                timeout=(2.0, 10.0),
                retry=None,
            )
            assert Drainer(outbox, clients[env], env, backoff=Backoff(0.05, 60.0)).drain_until_empty(timeout_s=10)
        assert outbox.dead_letters() == []
        subjects = {"prod": f"فایل ضبط مکالمه \u2068{name}\u2069", "branch": f"Call recording {name}"}
        for env, client in clients.items():
            call = client.retrieve("phonecalls", phonecall_key(update.record), select=["activityid"])
            notes = list(
                client.query(
                    "annotations",
                    select=["annotationid", "documentbody", "subject", "notetext"],
                    filter=odata.eq("_objectid_value", uuid.UUID(call["activityid"])),
                )
            )
            assert [n["annotationid"] for n in notes] == [note_id(update.record, name)]
            assert base64.b64decode(notes[0]["documentbody"]) == content
            assert notes[0]["subject"] == subjects[env]
            assert notes[0]["notetext"].startswith("فایل ضبط این مکالمه" if env == "prod" else "Recording of the call")
            assert client.count("comms_callrecordings", odata.eq("comms_pbxcallid", "1739338201.55")) == 1
