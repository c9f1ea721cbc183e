"""The SMS step of ``commsuite demo``: the Functions app against the fake Kavenegar and the Dataverse emulator."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cli.demo_sms import run_sms
from cli.demo_sms_setup import ACCOUNT_KEY, API_KEY_SETTING, CASE_TITLE, LINE
from connectors.dataverse import odata
from dataverse_schema import sms as schema
from functions.app_services import services
from services.sms.rows import SmsStatus

from .demo_world import DEMO_TOKEN, SeededEmulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]


def test_sms_demo_figures_match_the_records(seeded: SeededEmulator, tmp_path: Path) -> None:
    client, lines = seeded.client, seeded.lines
    result = run_sms(seeded.server, client, tmp_path, DEMO_TOKEN, lines.append)

    assert (result.sent, result.delivered) == (1, 1)
    single = list(
        client.query(
            "comms_smses",
            select=["comms_message", "comms_smsstatus", "comms_deliveredon"],
            filter=odata.and_(odata.eq("comms_provideraccountkey", ACCOUNT_KEY), odata.eq("subject", "Welcome")),
        )
    )
    assert len(single) == 1 and single[0]["comms_smsstatus"] == SmsStatus.DELIVERED.value_code
    assert single[0]["comms_deliveredon"] and "{" not in single[0]["comms_message"]
    assert "۱۴" in single[0]["comms_message"] or "14" in single[0]["comms_message"]  # a Jalali year, 14xx

    assert (result.bulk_state, result.bulk_total, result.bulk_sent, result.bulk_skipped, result.bulk_failed) == (
        "Completed",
        4,
        3,
        1,
        0,
    )
    bulk = next(client.query("comms_smsbulks", select=["comms_sentcount", "comms_skippedcount"]))
    assert (bulk["comms_sentcount"], bulk["comms_skippedcount"]) == (3, 1)

    assert (result.inbound, result.inbound_matched, result.cases, result.opted_out) == (2, 2, 1, 1)
    case = next(
        client.query(
            "incidents", select=["title", "description", "_customerid_value"], filter=odata.eq("title", CASE_TITLE)
        )
    )
    assert case["_customerid_value"] and "ذخیره" in case["description"]
    line = next(client.query("comms_smsnumbers", select=["comms_smsnumberid"], filter=odata.eq("comms_number", LINE)))
    incoming = list(
        client.query(
            "comms_smses",
            select=["comms_sendernumber", "_comms_smsnumberid_value"],
            filter=odata.eq("comms_direction", schema.DIRECTIONS.value_of("Incoming")),
        )
    )
    assert [row["_comms_smsnumberid_value"] for row in incoming] == [line["comms_smsnumberid"]] * 2, incoming

    account = next(
        client.query(
            "comms_smsproviders",
            select=["comms_balance", "comms_isdefault"],
            filter=odata.eq("comms_accountkey", ACCOUNT_KEY),
        )
    )
    assert account["comms_isdefault"] is True and 0 < account["comms_balance"] < 1_500_000
    assert result.credit.startswith(f"{ACCOUNT_KEY}: ") and result.credit.endswith(" IRR")

    assert API_KEY_SETTING not in os.environ  # the app settings were put back
    assert services.cache_info().currsize == 0
    assert any(line.startswith("sms: bulk send: Completed") for line in lines)
