"""A described panel from the CRM row to the wire: the registry builds it, the test send reports the raw outcome."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

from connectors.sms import build_provider
from connectors.sms.configurable import ConfigurableProvider
from domain.sms import OutgoingSms
from services.sms.accounts import ProviderRegistry, provider_settings
from services.sms.panel_trial import TrialRequestError, parse_trial_request, trial_send, trial_send_account
from services.sms.rows import ProviderRow

PANELS = Path(__file__).resolve().parents[4] / "connectors" / "sms" / "panels"
IPPANEL = (PANELS / "ippanel_edge.json").read_text(encoding="utf-8")
SEND = "https://edge.ippanel.com/v1/api/send"
SENT = {"data": {"message_outbox_ids": [1123544244]}, "meta": {"status": True, "message_code": "200-1"}}
KEY = "edge-key-secret"


def row(description: str | None = IPPANEL) -> ProviderRow:
    return ProviderRow(
        "p1",
        "ipp",
        "configurable",
        "IPPanel",
        False,
        None,
        None,
        "IPP_KEY",
        '{"default_sender": "+983000505"}',
        None,
        None,
        None,
        None,
        None,
        panel_description=description,
    )


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


@pytest.mark.parametrize("to", ["09121234567", "۰۹۱۲ ۱۲۳ ۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧"])  # as typed on any keyboard
def test_trial_send_reports_an_accepted_message_with_the_raw_reply(wire, to):
    wire.post(
        SEND,
        json=SENT,
        match=[
            matchers.json_params_matcher(
                {
                    "sending_type": "webservice",
                    "from_number": "+983000505",
                    "message": "آزمایش",
                    "params": {"recipients": ["+989121234567"]},
                }
            )
        ],
    )
    outcome = trial_send(IPPANEL, to=to, text="آزمایش", password=KEY, sender="+983000505")
    assert (outcome.ok, outcome.outcome, outcome.message_id, outcome.http_status) == (
        True,
        "accepted",
        "1123544244",
        200,
    )
    assert "message_outbox_ids" in outcome.raw_reply


def test_trial_send_reports_a_refusal_with_the_code_and_masks_the_password(wire):
    wire.post(
        SEND,
        status=422,
        json={"data": None, "meta": {"status": False, "message_code": "400-2", "message": f"key {KEY} may not send"}},
    )
    outcome = trial_send(json.loads(IPPANEL), to="+989121234567", text="x", password=KEY, sender="+983000505")
    assert (outcome.ok, outcome.outcome, outcome.http_status) == (False, "RejectedError", 422)
    assert "400-2" in outcome.detail
    assert KEY not in json.dumps(outcome.as_dict())


def test_trial_send_reports_an_invalid_description_without_sending(wire):
    outcome = trial_send(
        '{"name": "x", "send": {"url": "/s", "body": "json"}}', to="+989121234567", text="x", password=KEY
    )
    assert (outcome.ok, outcome.outcome) == (False, "invalid description")
    assert "send" in outcome.detail and outcome.http_status is None


def test_trial_send_reports_a_transport_fault(wire):
    wire.post(SEND, body=requests.ReadTimeout(f"timed out with {KEY}"))
    outcome = trial_send(IPPANEL, to="+989121234567", text="x", password=KEY, sender="+983000505")
    assert (outcome.ok, outcome.outcome) == (False, "OutcomeUnknownError")
    assert KEY not in outcome.detail


class _Rows:
    """The part of SmsStore the registry reads: the active provider rows."""

    def __init__(self, *rows: ProviderRow):
        self.rows = list(rows)

    def providers(self) -> list[ProviderRow]:
        return list(self.rows)


def registry(*rows: ProviderRow, secrets: dict[str, str] | None = None) -> ProviderRegistry:
    secrets = {"IPP_KEY": KEY} if secrets is None else secrets
    return ProviderRegistry(
        _Rows(*rows), session=requests.Session(), secrets=secrets, clock=lambda: datetime(2026, 5, 1, tzinfo=UTC)
    )


def test_the_saved_row_sends_once_with_its_own_secret_and_reports_the_raw_reply(wire):
    wire.post(SEND, json={**SENT, "echo": KEY}, match=[matchers.header_matcher({"Authorization": KEY})])
    outcome = trial_send_account(registry(row()), "ipp", to="09121234567", text="آزمایش")
    assert (outcome.ok, outcome.outcome, outcome.message_id, outcome.http_status) == (
        True,
        "accepted",
        "1123544244",
        200,
    )
    assert KEY not in json.dumps(outcome.as_dict()) and "***" in outcome.raw_reply


def test_a_row_saved_after_the_registry_loaded_is_read_again(wire):
    rows = _Rows()
    reg = ProviderRegistry(
        rows, session=requests.Session(), secrets={"IPP_KEY": KEY}, clock=lambda: datetime(2026, 5, 1, tzinfo=UTC)
    )
    assert reg.accounts() == []
    rows.rows.append(row())
    wire.post(SEND, json=SENT)
    assert trial_send_account(reg, "ipp", to="09121234567", text="x").ok


def test_a_panel_refusal_is_an_outcome_not_an_exception(wire):
    wire.post(SEND, status=401, json={"meta": {"status": False, "message": f"bad key {KEY}"}})
    outcome = trial_send_account(registry(row()), "ipp", to="09121234567", text="x")
    assert (outcome.ok, outcome.outcome, outcome.http_status) == (False, "AuthError", 401)
    assert KEY not in json.dumps(outcome.as_dict())


def test_no_such_account_is_none_and_a_bad_row_is_named():
    assert trial_send_account(registry(row()), "nope", to="09121234567", text="x") is None
    outcome = trial_send_account(registry(row(), secrets={}), "ipp", to="09121234567", text="x")
    assert (outcome.ok, outcome.outcome) == (False, "invalid settings") and "IPP_KEY" in outcome.detail


@pytest.mark.parametrize(
    "body, ok",
    [
        (b'{"to": "09121234567"}', ("09121234567", "CommSuite test")),
        ('{"to": "+989121234567", "text": "سلام"}'.encode(), ("+989121234567", "سلام")),
        (b'{"to": "0912; DROP"}', None),
        (b'{"text": "x"}', None),
        (b"[1]", None),
        (b"\xff", None),
        (b'{"to": "09121234567", "text": ""}', None),
        (b'{"to": "09121234567", "text": "' + b"x" * 5000 + b'"}', None),
    ],
)
def test_parse_trial_request(body, ok):
    if ok is None:
        with pytest.raises(TrialRequestError):
            parse_trial_request(body)
    else:
        assert parse_trial_request(body) == ok
