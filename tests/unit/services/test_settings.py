"""The one settings model: defaults, every bad variable named, all problems at once, secrets never echoed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectors.settings import Secret
from services.settings import AppSettings, SettingsError, variable

DATAVERSE = {"COMMS_DATAVERSE_URL": "https://contoso.crm4.dynamics.com", "COMMS_DATAVERSE_STATIC_TOKEN": "t"}


def test_defaults_live_in_the_model() -> None:
    settings = AppSettings.from_env(DATAVERSE)
    assert (
        settings.sms_country_code,
        settings.sms_timezone,
        settings.sms_missed_after_s,
        settings.sms_claim_lease_s,
        settings.sms_balance_column,
    ) == (98, "Asia/Tehran", 120, 300, "comms_balance")
    assert settings.sms_webhook_key is None and settings.servicebus is None and settings.sms_bulk_rate is None
    assert settings.dataverse.url == DATAVERSE["COMMS_DATAVERSE_URL"]
    assert settings.number_plan.country_code == 98 and str(settings.tz) == "Asia/Tehran"


@pytest.mark.parametrize(
    "variable, value, words",
    [
        ("COMMS_SMS_TIMEZONE", "Mars/Olympus", "COMMS_SMS_TIMEZONE is not a known time zone"),
        ("COMMS_SMS_COUNTRY_CODE", "ninety-eight", "COMMS_SMS_COUNTRY_CODE"),
        ("COMMS_SMS_COUNTRY_CODE", "0", "COMMS_SMS_COUNTRY_CODE"),
        ("COMMS_SMS_MISSED_AFTER_S", "-5", "COMMS_SMS_MISSED_AFTER_S"),
        ("COMMS_SMS_CLAIM_LEASE_S", "soon", "COMMS_SMS_CLAIM_LEASE_S"),
        ("COMMS_SMS_BULK_RATE", "0", "COMMS_SMS_BULK_RATE"),
        ("COMMS_SMS_BALANCE_COLUMN", "Balance; DROP", "COMMS_SMS_BALANCE_COLUMN"),
        ("COMMS_DATAVERSE_URL", "ftp://contoso", "COMMS_DATAVERSE_URL"),
    ],
)
def test_each_bad_variable_is_named(variable: str, value: str, words: str) -> None:
    with pytest.raises(SettingsError) as caught:
        AppSettings.from_env({**DATAVERSE, variable: value})
    assert len(caught.value.problems) == 1 and caught.value.problems[0].startswith(words)


def test_every_problem_is_reported_at_once_and_no_secret_is_echoed() -> None:
    environ = {
        "COMMS_CLIENT_SECRET": "CANARY-client",
        "COMMS_SMS_WEBHOOK_KEY": "CANARY-hook",
        "COMMS_SERVICEBUS": "Endpoint=sb://x/;SharedAccessKey=CANARY-bus",
        "COMMS_SMS_TIMEZONE": "CANARY-zone",
        "COMMS_SMS_COUNTRY_CODE": "x",
    }
    with pytest.raises(SettingsError) as caught:
        AppSettings.from_env(environ)
    text = str(caught.value)
    assert [p.split()[0].rstrip(":") for p in caught.value.problems] == [
        "COMMS_DATAVERSE_URL",
        "COMMS_SMS_COUNTRY_CODE",
        "COMMS_SMS_TIMEZONE",
    ]
    assert "CANARY" not in text and "CANARY" not in repr(caught.value)


def test_secrets_are_typed_and_masked() -> None:
    settings = AppSettings.from_env(
        {
            **DATAVERSE,
            "COMMS_SMS_WEBHOOK_KEY": "CANARY-hook",
            "COMMS_SERVICEBUS": "Endpoint=sb://x/;SharedAccessKey=CANARY",
        }
    )
    assert settings.sms_webhook_key == Secret("CANARY-hook") and isinstance(settings.servicebus, Secret)
    assert "CANARY" not in repr(settings)


def test_the_process_environment_is_read_by_the_plain_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**DATAVERSE, "COMMS_SMS_TIMEZONE": "Europe/London", "COMMS_SMS_BULK_RATE": ""}.items():
        monkeypatch.setenv(name, value)
    settings = AppSettings()
    assert settings.sms_timezone == "Europe/London" and settings.sms_bulk_rate is None  # empty means unset
    monkeypatch.setenv("COMMS_SMS_TIMEZONE", "Nowhere/Else")
    with pytest.raises(SettingsError, match="COMMS_SMS_TIMEZONE is not a known time zone"):
        AppSettings()


def test_a_mapping_does_not_pick_up_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMS_SMS_COUNTRY_CODE", "44")
    assert AppSettings.from_env(DATAVERSE).sms_country_code == 98


def test_the_docs_and_the_local_settings_example_list_every_setting() -> None:
    root = Path(__file__).resolve().parents[3]
    docs = (root / "docs" / "functions.md").read_text(encoding="utf-8")
    example = json.loads((root / "local.settings.example.json").read_text(encoding="utf-8"))["Values"]
    names = {variable(name) for name in AppSettings.model_fields if name != "dataverse"}
    names |= {
        "COMMS_DATAVERSE_URL",
        "COMMS_TENANT_ID",
        "COMMS_CLIENT_ID",
        "COMMS_CLIENT_SECRET",
        "COMMS_DATAVERSE_STATIC_TOKEN",
        "COMMS_DATAVERSE_TIMEOUT_S",
        "COMMS_DATAVERSE_MAX_ATTEMPTS",
    }
    assert sorted(n for n in names if f"`{n}`" not in docs) == []
    assert sorted(names - set(example)) == []


@pytest.mark.parametrize("name", ["Asia", "x" * 300])
def test_a_zone_folder_or_an_overlong_zone_is_a_named_problem_not_a_crash(name: str) -> None:
    from services.settings import AppSettings

    with pytest.raises(ValueError, match="COMMS_SMS_TIMEZONE is not a known time zone"):
        AppSettings.from_env({**DATAVERSE, "COMMS_SMS_TIMEZONE": name})
