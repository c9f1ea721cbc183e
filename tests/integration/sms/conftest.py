"""An emulator per test, the SMS services built by the factory on it, and provider HTTP mocked with ``responses``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, StaticToken, bind
from emulator.server import EmulatorServer, FaultPlan
from services.factory import SmsServices, build_sms
from services.settings import AppSettings
from services.sms.rows import SmsStatus

FIXTURES = Path(__file__).parents[2] / "fixtures" / "sms"
KAVENEGAR_KEY = "CANARY-7f3a"
KAVENEGAR = f"https://api.kavenegar.com/v1/{KAVENEGAR_KEY}"
TWILIO_SID = "AC" + "a" * 32
TWILIO = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}"
EDGE_TOKEN = "CANARY-edge-5c1d"
ENVIRON = {"KN_KEY": KAVENEGAR_KEY, "TW_TOKEN": "twilio-token", "COMMS_SMS_WEBHOOK_KEY": "hook-key"}


class Clock:
    """Time that stands still until the test moves it forward (starting at the moment the test began)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0) as server:
        yield server


@pytest.fixture
def client(emulator: EmulatorServer) -> DataverseClient:
    return DataverseClient(
        base_url=emulator.origin, session=requests.Session(), token_provider=StaticToken("t"), retry=None
    )


@pytest.fixture
def wire(emulator: EmulatorServer) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_passthru(emulator.origin)
        yield mock


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(emulator: EmulatorServer) -> AppSettings:
    return AppSettings.from_env(
        {
            "COMMS_DATAVERSE_URL": emulator.origin,
            "COMMS_DATAVERSE_STATIC_TOKEN": "t",
            "COMMS_SMS_WEBHOOK_KEY": ENVIRON["COMMS_SMS_WEBHOOK_KEY"],
        }
    )


@pytest.fixture
def runtime(settings: AppSettings, client: DataverseClient, clock: Clock) -> SmsServices:
    """The SMS services as the factory builds them; retries are not spread (no jitter), so waits are exact."""
    return build_sms(settings, client, session=requests.Session(), clock=clock, secrets=ENVIRON, jitter=lambda: 0.0)


@pytest.fixture
def panel_runtime(settings: AppSettings, client: DataverseClient, clock: Clock) -> SmsServices:
    """The SMS services with the IPPanel Edge token (``EDGE_TOKEN``) a configurable account's row names."""
    secrets = {**ENVIRON, "EDGE_TOKEN": EDGE_TOKEN}
    return build_sms(settings, client, session=requests.Session(), clock=clock, secrets=secrets, jitter=lambda: 0.0)


def fixture(kind: str, name: str) -> Any:
    return json.loads((FIXTURES / kind / name).read_text(encoding="utf-8"))


def kavenegar_reply(entries: Any) -> dict[str, Any]:
    """Kavenegar's envelope (https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.{json|xml}) around ``entries``."""
    return {"return": {"status": 200, "message": "تایید شد"}, "entries": entries}


def add_provider(
    client: DataverseClient,
    key: str = "kn-main",
    kind: str = "kavenegar",
    *,
    default: bool = True,
    reference: str = "KN_KEY",
    settings: dict[str, Any] | None = None,
    **columns: Any,
) -> str:
    body = {
        "comms_name": key,
        "comms_accountkey": key,
        "comms_providerkind": kind,
        "comms_isdefault": default,
        "comms_credentialreference": reference,
        "comms_maxattempts": 3,
        "comms_retryintervalseconds": 60,
        "comms_settings": json.dumps(settings or {"default_sender": "10004346"}),
        **columns,
    }
    return client.create("comms_smsproviders", body)


def add_contact(client: DataverseClient, mobile: str = "09121234567", first: str = "Ali", **columns: Any) -> str:
    return client.create("contacts", {"firstname": first, "lastname": "Rezaei", "mobilephone": mobile, **columns})


def add_sms(
    client: DataverseClient,
    contact_id: str | None,
    text: str = "سلام {firstname}",
    *,
    phone: str = "",
    status: SmsStatus = SmsStatus.PENDING,
    **columns: Any,
) -> str:
    body: dict[str, Any] = {
        "subject": "test",
        "comms_message": text,
        "comms_phonenumber": phone,
        "comms_smsstatus": status.value_code,
        **columns,
    }
    if contact_id:
        body["comms_sms_activity_parties"] = [
            {**bind("partyid_contact", "contacts", contact_id), "participationtypemask": 2}
        ]
    return client.create("comms_smses", body)


def sms(client: DataverseClient, sms_id: str) -> dict[str, Any]:
    return client.retrieve("comms_smses", sms_id)


def attempts(client: DataverseClient, sms_id: str) -> list[dict[str, Any]]:
    import uuid

    from connectors.dataverse import odata

    return list(
        client.query(
            "comms_smsprocesses",
            filter=odata.eq("_comms_smsid_value", uuid.UUID(sms_id)),
            orderby=["comms_attempt asc"],
        )
    )
