"""Pure pieces of the SMS functions: the push parser, webhook tokens, provider settings from rows, the app."""

from __future__ import annotations

import json
from dataclasses import replace

import azure.functions as func
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from connectors.dataverse.remote_context import PushError, parse_remote_context
from connectors.settings import Secret
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from dataverse_schema.names import SmsNumber
from functions import sms_push, sms_timers, sms_webhooks
from services.sms.accounts import ProviderAccount, provider_settings
from services.sms.row_mapping import number_row
from services.sms.rows import ProviderRow
from services.sms.webhook_auth import Endpoint, is_authentic, webhook_token

ID = "6d81597f-0f9f-e711-8122-000d3aa2331c"
ROW = ProviderRow(
    "a",
    "kn-main",
    "kavenegar",
    "Kavenegar",
    True,
    None,
    None,
    "KN_KEY",
    '{"default_sender": "1000"}',
    None,
    None,
    None,
    None,
    None,
)


def test_the_documented_context_parses() -> None:
    body = json.dumps(
        {
            "MessageName": "Create",
            "PrimaryEntityName": "comms_sms",
            "PrimaryEntityId": ID.upper(),
            "Depth": 1,
            "InputParameters": [{"key": "Target", "value": {}}],
        }
    ).encode("utf-8-sig")
    pushed = parse_remote_context(body)
    assert (pushed.entity, pushed.record_id, pushed.message) == ("comms_sms", ID, "Create")


@given(st.binary(max_size=300))
def test_random_bytes_give_a_push_error_or_a_record(body: bytes) -> None:
    try:
        pushed = parse_remote_context(body)
    except PushError as exc:
        assert str(exc)
    else:
        assert pushed.entity and pushed.record_id


def _authentic(
    account_key: str,
    key: Secret | None,
    token: str,
    *,
    endpoint: Endpoint = Endpoint.DELIVERY,
    generation: int = 0,
    provider: object | None = None,
    headers: dict | None = None,
) -> bool:
    provider = provider or KavenegarProvider(KavenegarSettings(api_key="x"), session=requests.Session())
    return is_authentic(
        provider,
        account_key,
        key,
        endpoint=endpoint,
        generation=generation,
        url="u",
        params={"token": token},
        headers=headers or {},
        body=b"",
    )


def test_tokens_are_per_account_and_compare_safely() -> None:
    key = Secret("k")
    token = webhook_token(key, "kn-main", Endpoint.DELIVERY)
    assert token != webhook_token(key, "kn-other", Endpoint.DELIVERY) and len(token) == 43
    assert _authentic("kn-main", key, token)
    assert not _authentic("kn-other", key, token)
    assert not _authentic("kn-main", None, token)


def test_a_delivery_report_token_does_not_open_the_inbound_endpoint() -> None:
    """The delivery URL is shown to senders (Twilio: in Other Settings); it must not forge inbound texts."""
    key = Secret("k")
    delivery = webhook_token(key, "kn-main", Endpoint.DELIVERY)
    inbound = webhook_token(key, "kn-main", Endpoint.INBOUND)
    assert delivery != inbound
    assert not _authentic("kn-main", key, delivery, endpoint=Endpoint.INBOUND)
    assert not _authentic("kn-main", key, inbound, endpoint=Endpoint.DELIVERY)
    assert _authentic("kn-main", key, inbound, endpoint=Endpoint.INBOUND)


def test_the_delivery_token_of_generation_zero_is_the_one_earlier_releases_issued() -> None:
    import base64
    import hashlib
    import hmac

    earlier = base64.urlsafe_b64encode(hmac.new(b"k", b"sms-dlr:kn-main", hashlib.sha256).digest()).rstrip(b"=")
    assert webhook_token(Secret("k"), "kn-main", Endpoint.DELIVERY) == earlier.decode()


@pytest.mark.parametrize("endpoint", list(Endpoint))
def test_raising_the_generation_revokes_the_accounts_urls(endpoint: Endpoint) -> None:
    key = Secret("k")
    old, new = (webhook_token(key, "kn-main", endpoint, generation) for generation in (0, 1))
    assert old != new
    assert not _authentic("kn-main", key, old, endpoint=endpoint, generation=1)
    assert _authentic("kn-main", key, new, endpoint=endpoint, generation=1)


def test_a_signing_provider_is_not_accepted_on_a_token_alone() -> None:
    """Twilio signs every request: its token (kept in a column senders read) must not be enough."""
    from connectors.sms.twilio import TwilioProvider, TwilioSettings

    twilio = TwilioProvider(TwilioSettings(account_sid="AC" + "0" * 32, auth_token="t"), session=requests.Session())
    key = Secret("k")
    token = webhook_token(key, "tw", Endpoint.DELIVERY)
    assert not _authentic("tw", key, token, provider=twilio)
    assert not _authentic("tw", key, token, provider=twilio, headers={"X-Twilio-Signature": "bm9wZQ=="})


@pytest.mark.parametrize(
    "row, words",
    [
        (replace(ROW, credential_reference=None), "Credential Reference is empty"),
        (replace(ROW, credential_reference="https://vault/secrets/x"), "name of an app setting"),
        (replace(ROW, credential_reference="MISSING"), "MISSING"),
        (replace(ROW, settings_json="{not json"), "not valid JSON"),
        (replace(ROW, settings_json="[1]"), "JSON object"),
    ],
)
def test_bad_provider_rows_are_refused_in_words(row: ProviderRow, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        provider_settings(row, {"KN_KEY": "secret"})


def test_a_good_row_fills_the_secret_field_from_the_named_setting() -> None:
    settings = provider_settings(replace(ROW, base_url="https://kn.example/v1"), {"KN_KEY": "secret"})
    assert settings == {"default_sender": "1000", "base_url": "https://kn.example/v1", "api_key": "secret"}


def test_sender_lines_typed_in_persian_digits_reach_the_provider_in_ascii() -> None:
    """X-05: an admin on a Persian keyboard types the sender line as ۳۰۰۰۱۲۳."""
    row = replace(ROW, settings_json='{"default_sender": "\u200f۳۰۰۰١٢٣"}')
    assert provider_settings(row, {"KN_KEY": "secret"})["default_sender"] == "3000123"
    assert ProviderAccount(row, None).default_sender == "3000123"
    number = number_row({SmsNumber.ID: "n1", SmsNumber.NUMBER: "۱۰۰۰۹۹", SmsNumber.CANSEND: True})
    assert number.number == "100099"


def test_the_sms_blueprints_register_these_functions_and_routes() -> None:
    app = func.FunctionApp()
    for blueprint in (sms_push.bp, sms_webhooks.bp, sms_timers.bp):
        app.register_functions(blueprint)
    found = {}
    for function in app.get_functions():
        trigger = next(b for b in function.get_bindings() if b.type.endswith("Trigger"))
        found[function.get_function_name()] = (trigger.type, getattr(trigger, "route", None))
    assert found == {
        "sms_push_queue": ("serviceBusTrigger", None),
        "sms_push_webhook": ("httpTrigger", "sms/push"),
        "sms_delivery_report": ("httpTrigger", "sms/dlr/{account_key}"),
        "sms_sweep": ("timerTrigger", None),
        "sms_poll_status": ("timerTrigger", None),
        "sms_read_credit": ("timerTrigger", None),
    }
