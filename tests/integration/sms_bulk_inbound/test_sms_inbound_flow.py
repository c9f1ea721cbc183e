"""SMS-16 "Start flow" against the emulator: the rule's Flow Address is called once per text.

The flow's HTTP trigger is mocked with ``responses`` as Power Automate's "When an HTTP request is
received" answers (202 Accepted; an ``error`` object with a message when it refuses). The address
carries a ``sig`` query parameter, which must never reach a log line or the text's error.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import requests
from responses import matchers

from connectors.dataverse import RecordId, deterministic_id, odata
from connectors.sms.flow_trigger import FlowTrigger
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from dataverse_schema import sms as schema
from domain.numbers import NumberPlan
from domain.sms import InboundSms
from services.matching.sync import NumberSync
from services.sms.directory import ProviderAccount, StaticAccountDirectory
from services.sms.inbound import InboundService, KeywordServiceRegistry
from services.sms.inbound.flows import FlowStarter

from . import seed
from .fake_kavenegar import KEY

pytestmark = pytest.mark.integration
NOW = datetime(2026, 5, 3, 9, 0, tzinfo=UTC)
LINE = "3000202060"
ACCOUNT_KEY = "kv-flows"
SIG = "CANARY-sig-9f2e"
FLOW = "https://prod-07.westeurope.logic.azure.com:443/workflows/4b1c/triggers/manual/paths/invoke"
FLOW_URL = f"{FLOW}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIG}"


@pytest.fixture
def flows(client, session):
    account_id = seed.provider_account(client, ACCOUNT_KEY)
    numbers = NumberSync(client, "test", NumberPlan())
    numbers.refresh_now()
    clock, pauses = seed.Clock(NOW), []
    starter = FlowStarter(client, FlowTrigger(requests.Session()), clock=clock, pause=pauses.append)
    inbound = InboundService(
        client,
        StaticAccountDirectory(
            [
                ProviderAccount(
                    ACCOUNT_KEY, account_id, KavenegarProvider(KavenegarSettings(api_key=KEY), session=session)
                )
            ]
        ),
        plan=NumberPlan(),
        index=lambda: numbers.index,
        services=KeywordServiceRegistry(),
        clock=clock,
        flows=starter,
    )
    return {"inbound": inbound, "starter": starter, "clock": clock, "pauses": pauses}


def flow_rule(client, name: str, keyword: str, url: str | None = FLOW_URL) -> str:
    rule_id = deterministic_id("flow-rule", name)
    client.upsert(
        "comms_keywordrules",
        RecordId(rule_id),
        {
            "comms_name": name,
            "comms_keywords": keyword,
            "comms_action": schema.RULE_ACTIONS.value_of("Start flow"),
            "comms_order": 5,
            "comms_flowurl": url,
        },
    )
    return rule_id


def text(provider_id: str, body: str) -> InboundSms:
    return InboundSms(provider_id, "+989127770066", LINE, body, NOW)


def stored(client, provider_id: str) -> dict:
    (row,) = client.query(
        "comms_smses",
        select=["activityid", "comms_flowdueon", "comms_flowstartedon", "comms_error"],
        filter=odata.and_(
            odata.eq("comms_provideraccountkey", ACCOUNT_KEY), odata.eq("comms_providermessageid", provider_id)
        ),
    )
    return row


def flow_body(call) -> dict:
    return json.loads(call.request.body)


def test_a_text_starts_its_rules_flow_once_with_its_details(client, flows, wire, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    rule_id = flow_rule(client, "register", "ثبت")
    trigger = wire.post(
        FLOW,
        status=202,
        match=[
            matchers.query_param_matcher(
                {"api-version": "2016-06-01", "sp": "/triggers/manual/run", "sv": "1.0", "sig": SIG}
            ),
            matchers.header_matcher({"Content-Type": "application/json; charset=utf-8"}),
        ],
    )

    flows["inbound"].receive(ACCOUNT_KEY, [text("f-1", "ثبت نام کلاس")])

    row = stored(client, "f-1")
    assert trigger.call_count == 1
    sent = flow_body(trigger.calls[0])
    assert (sent["smsId"], sent["from"], sent["text"], sent["rule"], sent["ruleId"]) == (
        row["activityid"],
        "+989127770066",
        "ثبت نام کلاس",
        "register",
        rule_id,
    )
    assert row["comms_flowstartedon"] is not None and row["comms_flowdueon"] is None
    # Redelivered by the provider, then a sweep: the flow is not started again.
    assert flows["inbound"].receive(ACCOUNT_KEY, [text("f-1", "ثبت نام کلاس")]).duplicates == ["f-1"]
    assert flows["starter"].start_due().started == []
    assert trigger.call_count == 1
    assert SIG not in caplog.text


def test_a_flow_that_is_down_is_retried_now_and_at_the_next_sweep(client, flows, wire, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    flow_rule(client, "survey", "نظر")
    wire.post(FLOW, status=502)
    wire.post(FLOW, status=429, headers={"Retry-After": "7"})
    wire.post(FLOW, body=requests.ConnectionError(f"connection refused for {FLOW_URL}"))

    flows["inbound"].receive(ACCOUNT_KEY, [text("f-2", "نظر عالی")])

    row = stored(client, "f-2")
    assert row["comms_flowdueon"] is not None and row["comms_flowstartedon"] is None
    assert flows["pauses"] == [2.0, 7.0]  # backoff, then the flow's own Retry-After; never a real sleep
    wire.post(FLOW, status=202)
    flows["clock"].now = NOW + timedelta(minutes=1)
    assert flows["starter"].start_due().started == [row["activityid"]]
    assert stored(client, "f-2")["comms_flowstartedon"] is not None
    assert SIG not in caplog.text


def test_a_flow_that_refuses_leaves_a_clear_error_and_is_not_called_again(client, flows, wire, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    flow_rule(client, "order", "سفارش")
    refusal = {"error": {"code": "TriggerInputSchemaMismatch", "message": "The input body does not match the schema"}}
    trigger = wire.post(FLOW, status=400, json=refusal)

    flows["inbound"].receive(ACCOUNT_KEY, [text("f-3", "سفارش ۲ عدد")])

    row = stored(client, "f-3")
    assert row["comms_flowdueon"] is None and row["comms_flowstartedon"] is None
    assert "flow not started" in row["comms_error"] and "does not match the schema" in row["comms_error"]
    assert "HTTP 400" in row["comms_error"] and SIG not in row["comms_error"]
    assert flows["starter"].start_due().started == []
    assert trigger.call_count == 1
    assert SIG not in caplog.text


def test_a_flow_address_that_is_not_https_is_refused_without_a_call(client, flows, wire) -> None:
    flow_rule(client, "plain", "سوال", url="http://flows.example.test/hook?key=abc")
    flows["inbound"].receive(ACCOUNT_KEY, [text("f-4", "سوال دارم")])
    row = stored(client, "f-4")
    assert "not an https:// address" in row["comms_error"] and "key=abc" not in row["comms_error"]
    assert row["comms_flowdueon"] is None
    assert not [c for c in wire.calls if "flows.example.test" in c.request.url]


def test_a_flow_down_for_a_day_gives_up_with_a_clear_error(client, flows, wire) -> None:
    flow_rule(client, "late", "دیر")
    for _ in range(3):
        wire.post(FLOW, status=503)
    flows["inbound"].receive(ACCOUNT_KEY, [text("f-5", "دیر شد")])
    for _ in range(3):
        wire.post(FLOW, status=503)
    flows["clock"].now = NOW + timedelta(hours=24)
    report = flows["starter"].start_due()
    row = stored(client, "f-5")
    assert [sms_id for sms_id, _ in report.refused] == [row["activityid"]]
    assert "did not take the text for 24 hours" in row["comms_error"] and row["comms_flowdueon"] is None


def test_a_rule_without_a_flow_address_only_tags_the_text(client, flows, wire) -> None:
    flow_rule(client, "tag only", "برچسب", url=None)
    flows["inbound"].receive(ACCOUNT_KEY, [text("f-6", "برچسب")])
    row = stored(client, "f-6")
    assert row["comms_flowdueon"] is None and row["comms_error"] is None
