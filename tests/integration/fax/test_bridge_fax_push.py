"""A Dataverse webhook push to the daemon's /fax/push sends a fax to the real hfaxd at once, and only once (FAX-01).

The worker's send round is set to an hour, so once its first (empty) round has finished, and the test
waits for that, only the push can send the fax; a duplicate push and a later round find it no longer pending.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import requests

from bridge.plugins.fax import fax_workers
from dataverse_schema.names import Fax
from emulator.server import EmulatorServer
from services.fax import rows
from tests.integration.daemon_sms.world import free_port
from tests.integration.fax.bridge_world import (
    bridge_text,
    eventually,
    fax_table,
    hfaxd,
    new_fax,
    read_fax,
    running_bridge,
    seed_fax_crm,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]
PUSH_KEY = "push-key-for-tests"


def _context(fax_id: str, message: str) -> bytes:
    return json.dumps({"MessageName": message, "PrimaryEntityName": "fax", "PrimaryEntityId": fax_id}).encode()


def test_a_pushed_fax_goes_to_hfaxd_once(tmp_path: Path, hylafax: Path) -> None:
    port = free_port()
    fax_part = f'[fax]\nlisten = "127.0.0.1:{port}"\npush_key = "{PUSH_KEY}"\n' + fax_table(receive=False).replace(
        "send_interval_s = 1", "send_interval_s = 3600"
    )
    with EmulatorServer(tmp_path / "crm.db", key_activation_s=0.0) as emulator:
        crm = seed_fax_crm(emulator)
        url = f"http://127.0.0.1:{port}/fax/push?code={PUSH_KEY}"

        def post(body: bytes) -> requests.Response | None:
            try:
                return requests.post(url, data=body, timeout=30)
            except requests.ConnectionError:
                return None  # the endpoint is not listening yet

        async def main() -> tuple[str, list[dict]]:
            async with running_bridge(bridge_text(tmp_path, emulator.origin, fax_part)) as bridge:
                await eventually(lambda: post(b"{}") is not None, "the push endpoint listening")
                (worker,) = fax_workers(bridge)  # its first send round, at start, must not find the new fax
                await eventually(lambda: worker.rounds_done["send"] >= 1, "the worker's first send round")
                fax_id = await asyncio.to_thread(new_fax, crm)
                answers = [await asyncio.to_thread(post, _context(fax_id, m)) for m in ("Create", "Update")]
                return fax_id, [answer.json() for answer in answers if answer is not None]

        fax_id, answers = asyncio.run(main())
        record = read_fax(crm, fax_id)
    job_id = record[Fax.JOBID]
    try:
        assert [a["result"] for a in answers] == ["submitted", "not pending"]
        assert record[Fax.FAXSTATUS] == rows.QUEUED and job_id
        assert [s.job_id for s in hfaxd().find_by_key(fax_id)] == [job_id]
    finally:
        if job_id:
            hfaxd().cancel(job_id)
