"""The fax worker's reliability against the real hylafax-server: a crash between submit and the status write
sends no second job; hfaxd stopped makes the fax wait with a message and go when it is back; a malformed
reply (a tiny fake hfaxd) is a clear error on the fax and the worker goes on (issue 13, "Reliability")."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.fax.hylafax import HylaFaxServer, HylaFaxSettings
from dataverse_schema.names import Fax
from emulator.server import EmulatorServer
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.sending import FaxSender
from tests.integration.fax.bridge_world import (
    SERVER_KEY,
    bridge_text,
    eventually,
    fax_table,
    hfaxd,
    new_fax,
    read_fax,
    running_bridge,
    seed_fax_crm,
)
from tests.integration.fax.conftest import _port_open, _wait_for_port

pytestmark = [pytest.mark.integration, pytest.mark.timeout(240)]


class Killed(BaseException):
    """The process dying: nothing after it runs."""


def test_a_crash_between_submit_and_status_write_sends_no_second_job(tmp_path: Path, hylafax: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        fax_id = new_fax(crm)

        def dies_before_writing(*_args) -> None:
            raise Killed

        server = HylaFaxServer(HylaFaxSettings(host="localhost", user="bridge", read_timeout_s=20))
        first = FaxSender(crm.client, server, SERVER_KEY, dies_before_writing, clock=lambda: datetime.now(UTC))
        with pytest.raises(Killed):  # the job is on hfaxd; the fax is claimed (Sending) without a job id
            first.run_once(FaxDirectory.load(crm.client, [SERVER_KEY]))
        [submitted] = hfaxd().find_by_key(fax_id)
        claimed = read_fax(crm, fax_id)
        assert claimed[Fax.FAXSTATUS] == rows.SENDING and not claimed[Fax.JOBID]

        async def main() -> dict:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table(receive=False))):
                return await eventually(lambda: (r := read_fax(crm, fax_id))[Fax.JOBID] and r, "the job id")

        try:
            record = asyncio.run(main())
            assert record[Fax.JOBID] == submitted.job_id and record[Fax.FAXSTATUS] == rows.QUEUED
            assert [job.job_id for job in hfaxd().find_by_key(fax_id)] == [submitted.job_id]  # reconciled by key
        finally:
            hfaxd().cancel(submitted.job_id)


def _hylafax(action: str) -> None:
    subprocess.run(["/etc/init.d/hylafax", action], check=True, capture_output=True, timeout=60)


def test_with_hfaxd_stopped_the_fax_waits_and_goes_when_it_is_back(tmp_path: Path, hylafax: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        fax_id = new_fax(crm)

        def waiting() -> dict | None:
            record = read_fax(crm, fax_id)
            return record if (record[Fax.STATUSDETAIL] or "").startswith("Waiting for the fax server") else None

        async def main() -> dict:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table(receive=False))):
                held = await eventually(waiting, "the waiting message")
                assert held[Fax.FAXSTATUS] == rows.SENDING and not held[Fax.JOBID]
                await asyncio.to_thread(_hylafax, "start")
                await asyncio.to_thread(_wait_for_port, 90.0)
                return await eventually(
                    lambda: (r := read_fax(crm, fax_id))[Fax.JOBID] and r, "the job id", timeout_s=60
                )

        _hylafax("stop")
        try:
            record = asyncio.run(main())
        finally:
            if not _port_open():
                _hylafax("start")
                _wait_for_port(90.0)
        try:
            assert record[Fax.FAXSTATUS] == rows.QUEUED
            assert record[Fax.STATUSDETAIL] == f"Queued on the fax server as job {record[Fax.JOBID]}."
            assert [job.job_id for job in hfaxd().find_by_key(fax_id)] == [record[Fax.JOBID]]
        finally:
            hfaxd().cancel(record[Fax.JOBID])


class GarbledHfaxd:
    """Greets like hfaxd, then answers every command with a line that is not ``NNN text``."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sessions = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.sessions += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    @staticmethod
    def _session(conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as lines, contextlib.suppress(OSError):
            # The client gives up on the garbled replies and may drop the link mid-answer (a reset).
            conn.sendall(b"220 fake.example server (HylaFAX (tm) Version 6.0.7) ready.\r\n")
            for _ in lines:
                conn.sendall(b"this is not a reply\r\n")

    def close(self) -> None:
        self.listener.close()


def test_a_malformed_reply_is_a_clear_error_and_the_worker_goes_on(tmp_path: Path) -> None:
    fake = GarbledHfaxd()
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        fax_id = new_fax(crm)

        def waiting() -> dict | None:
            record = read_fax(crm, fax_id)
            return record if (record[Fax.STATUSDETAIL] or "").startswith("Waiting") else None

        async def main() -> dict:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table(port=fake.port, receive=False))):
                record = await eventually(waiting, "the error on the fax")
                seen = fake.sessions
                await eventually(lambda: fake.sessions >= seen + 2, "later rounds")  # the worker goes on
                return record

        try:
            record = asyncio.run(main())
        finally:
            fake.close()
        assert record[Fax.FAXSTATUS] == rows.SENDING and not record[Fax.JOBID]  # nothing was submitted
        assert "this is not a reply" in record[Fax.STATUSDETAIL], record[Fax.STATUSDETAIL]
