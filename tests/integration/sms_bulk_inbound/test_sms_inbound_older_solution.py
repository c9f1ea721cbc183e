"""A keyword opt-out reaching a host updated before the solution: stored, with its text (X-01, X-03, SMS-15).

The emulator is started with the previous solution's tables (no Normalised Number on the opt-out
table), so it refuses the column in the inbound change set with Dataverse's own 400. The text is
still stored, the opt-out row written without the column (single sends match it as typed), and an
opt-in after it still deactivates the row; the missing column is said once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from connectors.dataverse import RecordId, deterministic_id, odata
from domain.numbers import NumberPlan
from domain.sms import InboundSms
from emulator.server import EmulatorServer, FaultPlan
from services.matching.sync import NumberSync
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry
from tests.older_solution import older_tables

from . import seed
from .conftest import TOKEN

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
SENDER = "+989127654321"
WARNED_BY = "connectors.dataverse.optional_columns"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """The emulator with the tables of the solution before this release (overrides the conftest's)."""
    db = tmp_path_factory.mktemp("older") / "dataverse.sqlite"
    tables = older_tables()
    with EmulatorServer(db, faults=FaultPlan.none(), token=TOKEN, key_activation_s=0, tables=tables) as emulator:
        yield emulator


@pytest.fixture
def inbound(client) -> InboundService:
    account_id = seed.provider_account(client, "kv-in")
    accounts = StaticAccountDirectory([ProviderAccount("kv-in", account_id, None, poll_interval_s=60)])
    client.upsert(
        "contacts",
        RecordId(deterministic_id("inbound-contact", "sara")),
        {"firstname": "سارا", "lastname": "کریمی", "mobilephone": "0912 765 4321"},
    )
    plan = NumberPlan()
    numbers = NumberSync(client, "test", plan)
    numbers.refresh_now()
    return InboundService(
        client, accounts, plan=plan, index=lambda: numbers.index, services=KeywordServiceRegistry(), clock=lambda: NOW
    )


def _message(provider_id: str, text: str) -> InboundSms:
    return InboundSms(provider_id, "09127654321", "3000202030", text, NOW)


def test_an_opt_out_by_keyword_is_stored_with_its_text_and_an_opt_in_still_ends_it(client, inbound, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger=WARNED_BY):
        assert inbound.receive("kv-in", [_message("m-out", "لغو ۱۱")]).stored == ["m-out"]
        assert inbound.receive("kv-in", [_message("m-in", "START")]).stored == ["m-in"]

    texts = client.query(
        "comms_smses",
        select=["comms_message", "comms_providermessageid"],
        filter=odata.eq("comms_provideraccountkey", "kv-in"),
    )
    stored = {row["comms_providermessageid"]: row["comms_message"] for row in texts}
    assert (stored["m-out"], stored["m-in"]) == ("لغو ۱۱", "START")
    (row,) = client.query(
        "comms_smsoptouts",
        select=["statecode", "comms_keyword", "comms_phonenumber"],
        filter=odata.eq("comms_phonenumber", SENDER),
    )
    assert row["statecode"] == 1 and row["comms_keyword"] == "START"
    warned = [r.getMessage() for r in caplog.records if r.name == WARNED_BY]
    assert len(warned) == 1 and "comms_normalisednumber" in warned[0]


def test_an_opt_out_by_keyword_is_an_active_row_under_the_senders_number(client, inbound) -> None:
    inbound.receive("kv-in", [_message("m-out-2", "لغو ۱۱")])
    (row,) = client.query(
        "comms_smsoptouts", select=["statecode", "comms_keyword"], filter=odata.eq("comms_phonenumber", SENDER)
    )
    assert row["statecode"] == 0 and row["comms_keyword"] == "لغو 11"  # the keyword as matched
