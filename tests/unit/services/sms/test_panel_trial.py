"""A described panel from the CRM row to the wire: the registry builds it, the test send reports the raw outcome."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from connectors.sms import build_provider
from connectors.sms.configurable import ConfigurableProvider
from domain.sms import OutgoingSms
from services.sms.accounts import provider_settings
from services.sms.panel_trial import trial_send
from services.sms.rows import ProviderRow

PANELS = Path(__file__).resolve().parents[4] / "connectors" / "sms" / "panels"
IPPANEL = (PANELS / "ippanel_edge.json").read_text(encoding="utf-8")
SEND = "https://edge.ippanel.com/v1/api/send"
SENT = {"data": {"message_outbox_ids": [1123544244]}, "meta": {"status": True, "message_code": "200-1"}}
KEY = "edge-key-secret"


def row(description: str | None = IPPANEL) -> ProviderRow:
    return ProviderRow("p1", "ipp", "configurable", "IPPanel", False, None, None, "IPP_KEY",
                       '{"default_sender": "+983000505"}', None, None, None, None, None,
                       panel_description=description)


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def test_the_registry_builds_a_described_panel_from_its_row(wire):
    settings = provider_settings(row(), {"IPP_KEY": KEY})
    provider = build_provider("configurable", settings, session=requests.Session())
    assert isinstance(provider, ConfigurableProvider) and provider.description.name == "IPPanel Edge"
    wire.post(SEND, json=SENT, match=[matchers.header_matcher({"Authorization": KEY})])
    assert provider.send(OutgoingSms("a-1", "+989121234567", "سلام")).provider_id == "1123544244"


def test_a_row_with_a_broken_description_names_the_field():
    settings = provider_settings(row('{"name": "x", "send": {"url": "https://{password}.evil/"}}'), {"IPP_KEY": KEY})
    with pytest.raises(ValueError, match=r"send\.url"):
        build_provider("configurable", settings, session=requests.Session())


def test_trial_send_reports_an_accepted_message_with_the_raw_reply(wire):
    wire.post(SEND, json=SENT, match=[matchers.json_params_matcher({
        "sending_type": "webservice", "from_number": "+983000505", "message": "آزمایش",
        "params": {"recipients": ["+989121234567"]}})])
    outcome = trial_send(IPPANEL, to="09121234567", text="آزمایش", password=KEY, sender="+983000505")
    assert (outcome.ok, outcome.outcome, outcome.message_id, outcome.http_status) == (
        True, "accepted", "1123544244", 200)
    assert "message_outbox_ids" in outcome.raw_reply


def test_trial_send_reports_a_refusal_with_the_code_and_masks_the_password(wire):
    wire.post(SEND, status=422, json={"data": None, "meta": {"status": False, "message_code": "400-2",
                                                             "message": f"key {KEY} may not send"}})
    outcome = trial_send(json.loads(IPPANEL), to="+989121234567", text="x", password=KEY, sender="+983000505")
    assert (outcome.ok, outcome.outcome, outcome.http_status) == (False, "RejectedError", 422)
    assert "400-2" in outcome.detail
    assert KEY not in json.dumps(outcome.as_dict())


def test_trial_send_reports_an_invalid_description_without_sending(wire):
    outcome = trial_send('{"name": "x", "send": {"url": "/s", "body": "json"}}', to="+989121234567", text="x",
                         password=KEY)
    assert (outcome.ok, outcome.outcome) == (False, "invalid description")
    assert "send" in outcome.detail and outcome.http_status is None


def test_trial_send_reports_a_transport_fault(wire):
    wire.post(SEND, body=requests.ReadTimeout(f"timed out with {KEY}"))
    outcome = trial_send(IPPANEL, to="+989121234567", text="x", password=KEY, sender="+983000505")
    assert (outcome.ok, outcome.outcome) == (False, "OutcomeUnknownError")
    assert KEY not in outcome.detail
