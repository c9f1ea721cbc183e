"""The fax step of ``commsuite demo``: the bridge's fax worker against HylaFAX (or the stand-in) and the emulator."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from cli import demo_fax
from cli.demo_fax import run_fax
from cli.demo_signin import DemoSignIn
from connectors.dataverse import RecordId, odata
from dataverse_schema.names import Account, Fax
from emulator import fax_scenario
from emulator.fax_scenario import ACCOUNT_FAX, CONTACT_FAX, SERVER_KEY
from services.fax import rows

from .demo_world import SeededEmulator

# The real hfaxd is machine-wide and one fax integration test restarts it: run beside those tests, not during them.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180), pytest.mark.xdist_group("hylafax")]


def _check_records(seeded: SeededEmulator, result: demo_fax.FaxResult) -> None:
    client = seeded.client
    [sent] = client.query(
        Fax.SET,
        select=[Fax.JOBID, Fax.FAXNUMBER, Fax.DIALSTRING, Fax.SERVERKEY, Fax.SUBJECT],
        filter=odata.eq(Fax.DIRECTIONCODE, True),
    )
    assert sent[Fax.JOBID] and sent[Fax.JOBID].isdigit() and sent[Fax.JOBID] == result.job_id
    assert sent[Fax.FAXNUMBER] == CONTACT_FAX and sent[Fax.DIALSTRING].startswith("9")
    assert sent[Fax.SERVERKEY] == SERVER_KEY and sent[Fax.SUBJECT].startswith("Fax from ")
    [received] = client.query(
        Fax.SET,
        select=[Fax.FAXSTATUS, Fax.FAXNUMBER, Fax.REGARDINGOBJECTID_VALUE, Fax.ACTIVITYID],
        filter=odata.eq(Fax.DIRECTIONCODE, False),
    )
    assert received[Fax.FAXSTATUS] == rows.RECEIVED and received[Fax.FAXNUMBER] == ACCOUNT_FAX
    account = client.retrieve(
        Account.SET, RecordId(received[Fax.REGARDINGOBJECTID_VALUE]), select=[Account.NAME, Account.FAX]
    )
    assert account[Account.FAX] == ACCOUNT_FAX and result.matched_account == account[Account.NAME]
    assert uuid.UUID(received[Fax.ACTIVITYID])
    assert any(line.startswith("fax: received: «Fax from ") for line in seeded.lines), seeded.lines


def test_fax_demo_sends_and_receives_through_the_server_it_finds(seeded: SeededEmulator, tmp_path: Path) -> None:
    result = run_fax(seeded.server, seeded.client, tmp_path, DemoSignIn.for_profile("online"), seeded.lines.append)
    _check_records(seeded, result)


def test_without_hylafax_the_stand_in_is_used_and_said_so(
    seeded: SeededEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fax_scenario, "_start_real", lambda: "hylafax-server is not installed")
    result = run_fax(seeded.server, seeded.client, tmp_path, DemoSignIn.for_profile("online"), seeded.lines.append)
    _check_records(seeded, result)
    assert result.server.startswith("stand-in hfaxd at 127.0.0.1:") and "not installed" in result.server
    assert any("stand-in" in line for line in seeded.lines)
