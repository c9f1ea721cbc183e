"""The bridge's fax worker against the real hylafax-server 6.0.7 and the Dataverse emulator (FAX-01, -04..-14,
-25): a pending fax goes to hfaxd with the server row's dial prefix, extension pause, retries and header, its
job id and status come back; a user's cancel reaches the server; a send-after time is kept in the job.

The bridge runs in-process with only ``[fax]`` (a fax-only site). hfaxd has no modem, so a job waits in
state ``W`` (or ``B`` behind another job to the same number): submission, queue state, scheduling and
cancel are what can be shown.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dataverse_schema.names import Fax
from domain.fax import FaxJobState
from domain.fax.sent_phrases import cancel_done
from emulator.server import EmulatorServer
from services.fax import rows
from tests.integration.fax.bridge_world import (
    bridge_text,
    eventually,
    fax_table,
    hfaxd,
    job_parameters,
    new_fax,
    read_fax,
    running_bridge,
    seed_fax_crm,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


def _queued(crm, fax_id: str):
    record = read_fax(crm, fax_id)
    return record if record[Fax.JOBID] and record[Fax.FAXSTATUS] == rows.QUEUED else None


def test_a_pending_fax_is_submitted_with_the_servers_settings_and_written_back(tmp_path: Path, hylafax: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        fax_id = new_fax(crm)

        async def main() -> dict:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table(receive=False))):
                return await eventually(lambda: _queued(crm, fax_id), "the job id written back")

        record = asyncio.run(main())
        job_id = record[Fax.JOBID]
        try:
            assert record[Fax.DIALSTRING] == "902112345678,,,,123"  # prefix 9, 8 s = 4 commas of 2 s, extension
            assert record[Fax.SUBJECT].startswith("Fax from ") and record[Fax.SUBJECT].endswith(" to Reza Karimi")
            assert record[Fax.STATUSDETAIL] == f"Queued on the fax server as job {job_id}."
            [status] = hfaxd().status([job_id])
            assert status.key == fax_id  # JOBINFO: the activity id, for reconciling after a crash
            assert status.state in (FaxJobState.READY, FaxJobState.BLOCKED)
            params = job_parameters(job_id)
            assert params["DIALSTRING"] == "902112345678,,,,123"
            assert params["EXTERNAL"] == "02112345678 ext. 123"  # what faxstat shows: no prefix, no pauses
            assert params["TAGLINE"].startswith("ACME Trading Ltd|") and params["USETAGLINE"] == "YES"
            assert params["FAXNUMBER"] == "02188881000"  # the server's default sending number
            assert params["TOUSER"] == "Reza Karimi"
            assert (params["MAXDIALS"], params["RETRYTIME"]) == ("4", "1000")  # 3 retries = 4 dials, 10 min
            sent_for = datetime.strptime(params["SENDTIME"], "%Y%m%d%H%M%S").replace(tzinfo=UTC)
            assert sent_for <= datetime.now(UTC)  # "NOW": hfaxd stores the submit time, not a later one
        finally:
            hfaxd().cancel(job_id)


def test_a_fax_the_user_cancels_is_killed_on_the_server_and_marked(tmp_path: Path, hylafax: Path) -> None:
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        fax_id = new_fax(crm)

        async def main() -> dict:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table(receive=False))):
                record = await eventually(lambda: _queued(crm, fax_id), "the job id written back")
                await asyncio.to_thread(crm.client.update, Fax.SET, fax_id, {Fax.FAXSTATUS: rows.CANCELLED})

                def done() -> dict | None:
                    now = read_fax(crm, fax_id)
                    return now if now[Fax.STATUSDETAIL] == cancel_done() else None

                return {**await eventually(done, "the cancel written back"), "job": record[Fax.JOBID]}

        record = asyncio.run(main())
        assert record[Fax.FAXSTATUS] == rows.CANCELLED
        [status] = hfaxd().find_by_key(fax_id)
        assert status.job_id == record["job"] and status.state is FaxJobState.CANCELLED  # JKILL reached hfaxd
        assert status.status_text == "Job aborted by request"


def test_send_after_and_retries_are_kept_in_the_job(tmp_path: Path, hylafax: Path) -> None:
    send_at = (datetime.now(UTC) + timedelta(hours=20)).replace(second=0, microsecond=0)
    give_up = send_at + timedelta(hours=5)
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        fax_id = new_fax(crm, extension="", **{Fax.SENDAFTER: send_at, Fax.GIVEUPAFTER: give_up})

        async def main() -> dict:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_table(receive=False))):
                return await eventually(lambda: _queued(crm, fax_id), "the job id written back")

        record = asyncio.run(main())
        job_id = record[Fax.JOBID]
        try:
            assert record[Fax.DIALSTRING] == "902112345678"  # no extension: no pause
            assert rows.when(record[Fax.NEXTATTEMPTON]) == send_at
            [status] = hfaxd().status([job_id])
            assert status.state is FaxJobState.PENDING and status.send_at == send_at  # held until its time
            params = job_parameters(job_id)
            assert params["SENDTIME"] == send_at.strftime("%Y%m%d%H%M00")
            assert params["LASTTIME"] == "000500"  # give up 5 h after the send time
            assert (params["MAXDIALS"], params["RETRYTIME"]) == ("4", "1000")
        finally:
            hfaxd().cancel(job_id)
