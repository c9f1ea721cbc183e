"""A host updated before the solution: the opt-out table has no Normalised Number (X-01, X-03, SMS-15).

The emulator is started with the previous solution's tables, so it refuses the column with Dataverse's
own 400s. A single send to a number opted out as typed is still refused (by its spellings, as before
the column); the sweep's fill does nothing, said once; a send to anyone else still goes out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses

from connectors.dataverse import DataverseClient
from connectors.sms.kavenegar import local_id as kavenegar_local_id
from emulator.server import EmulatorServer, FaultPlan
from services.factory import SmsServices
from services.sms.opt_outs import OptOutFill
from services.sms.rows import SmsStatus
from services.sms.sender import SendResult, attempt_key
from tests.older_solution import older_tables

from .conftest import KAVENEGAR, add_contact, add_provider, add_sms, attempts, fixture, kavenegar_reply, sms

OPT_OUTS = "comms_smsoptouts"
WARNED_BY = "connectors.dataverse.optional_columns"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    """The emulator with the tables of the solution before this release (overrides the conftest's)."""
    db = tmp_path / "dataverse.db"
    with EmulatorServer(db, faults=FaultPlan.none(), key_activation_s=0, tables=older_tables()) as server:
        yield server


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == WARNED_BY]


@pytest.mark.parametrize("typed", ["+989121234567", "09121234567", "۰۹۱۲۱۲۳۴۵۶۷"])
def test_a_single_send_to_a_number_opted_out_as_typed_is_refused(
    client: DataverseClient,
    runtime: SmsServices,
    wire: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    typed: str,
) -> None:
    add_provider(client)
    client.create(OPT_OUTS, {"comms_phonenumber": typed, "comms_keyword": "لغو11"})
    first, second = add_sms(client, add_contact(client)), add_sms(client, add_contact(client))

    with caplog.at_level(logging.WARNING, logger=WARNED_BY):
        assert runtime.sender.send(first).result is SendResult.FAILED
        assert runtime.sender.send(second).result is SendResult.FAILED

    for sms_id in (first, second):
        row = sms(client, sms_id)
        assert row["comms_smsstatus"] == SmsStatus.FAILED.value_code and "opted out" in row["comms_error"]
        assert attempts(client, sms_id) == []
    assert len(wire.calls) == 0
    (warned,) = _warnings(caplog)
    assert "comms_normalisednumber" in warned and "import this version's CommSuite solution" in warned


def test_the_sweep_fills_nothing_and_a_send_to_anyone_else_goes_out(
    client: DataverseClient, runtime: SmsServices, wire: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    add_provider(client)
    client.create(OPT_OUTS, {"comms_phonenumber": "0912 999 9999"})
    sms_id = add_sms(client, add_contact(client))
    entry = fixture("kavenegar", "send_one_queued.json")["entries"][0]
    local = kavenegar_local_id(attempt_key(sms_id, 1))
    wire.post(f"{KAVENEGAR}/sms/send.json", json=kavenegar_reply([{**entry, "messageid": 8792343, "localid": local}]))

    with caplog.at_level(logging.WARNING, logger=WARNED_BY):
        assert runtime.sweep().opt_outs == OptOutFill()
        assert runtime.sweep().opt_outs == OptOutFill()
        assert runtime.sender.send(sms_id).result is SendResult.SENT

    assert len(wire.calls) == 1 and sms(client, sms_id)["comms_smsstatus"] == SmsStatus.QUEUED.value_code
    assert len(_warnings(caplog)) == 1
