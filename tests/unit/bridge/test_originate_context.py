"""The Originate context per telephony system (CALL-40): CRM row, then the bridge's file, then from-internal."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from bridge.click_to_call.dial import dialling_defaults
from bridge.plugins.console import BridgeCommands
from connectors.pbx.ami import AmiSettings
from connectors.pbx.base import OriginateResult
from dataverse_schema.names import TelephonySystem
from domain.calls.system_settings import TelephonySystemSettings
from domain.numbers import NumberPlan
from services.calls.telephony_settings import parse_settings


def system_row(**changes: Any) -> dict[str, Any]:
    row = {TelephonySystem.SYSTEMKEY: "hq", TelephonySystem.COUNTRYCODE: "98", TelephonySystem.CITYCODE: "21"}
    row.update(changes)
    return row


def test_the_crm_row_names_the_context() -> None:
    parsed = parse_settings(system_row(**{TelephonySystem.ORIGINATECONTEXT: " sales-out "}), [], [])
    assert parsed.settings.originate_context == "sales-out" and parsed.problems == ()
    assert parse_settings(system_row(), [], []).settings.originate_context == ""


@pytest.mark.parametrize("bad", ["from internal", "ctx,Exten: 999", "x" * 81, "داخلی"])
def test_a_context_that_could_inject_is_reported_and_ignored(bad: str) -> None:
    parsed = parse_settings(system_row(**{TelephonySystem.ORIGINATECONTEXT: bad}), [], [])
    assert parsed.settings.originate_context == ""
    assert any("is not a dialplan context" in problem for problem in parsed.problems)


def test_the_crm_wins_over_the_file_which_wins_over_the_default() -> None:
    ami = SimpleNamespace(settings=AmiSettings(system="hq", host="pbx", username="crm", secret="s", context="file-ctx"))
    crm = TelephonySystemSettings(key="hq", originate_context="crm-ctx")
    assert dialling_defaults(ami, crm) == ("PJSIP", "crm-ctx")
    assert dialling_defaults(ami, TelephonySystemSettings(key="hq")) == ("PJSIP", "file-ctx")
    assert dialling_defaults(None, TelephonySystemSettings(key="hq")) == ("PJSIP", "from-internal")
    assert dialling_defaults(None) == ("PJSIP", "from-internal")


class RecordingConnector:
    """Takes a context, like the AMI connector."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def originate(
        self,
        extension: str,
        number: str,
        *,
        context: str | None = None,
        caller_id=None,
        variables=None,
        timeout_s: float = 30.0,
        action_id: str,
    ) -> OriginateResult:
        self.calls.append({"extension": extension, "number": number, "context": context})
        return OriginateResult(action_id=action_id)


class NoContextConnector(RecordingConnector):
    """Like a report-only link: no context parameter at all."""

    async def originate(
        self, extension: str, number: str, *, caller_id=None, variables=None, timeout_s: float = 30.0, action_id: str
    ) -> OriginateResult:
        self.calls.append({"extension": extension, "number": number})
        return OriginateResult(action_id=action_id)


def _bridge(system: TelephonySystemSettings, connector: Any) -> Any:
    settings = SimpleNamespace(settings_for=lambda key: system if key == system.key else None)
    return SimpleNamespace(settings=settings, fallback_settings=settings, connector=lambda key: connector)


@pytest.mark.parametrize("context, expected", [("sales-out", "sales-out"), ("", None)])
def test_the_consoles_dialer_originates_in_the_systems_context(context: str, expected: str | None) -> None:
    system = TelephonySystemSettings(
        key="hq", plan=NumberPlan(country_code=98, city_code="21"), originate_context=context
    )
    connector = RecordingConnector()
    asyncio.run(BridgeCommands(_bridge(system, connector)).dial("hq", "101", "0912 123 4567"))
    assert connector.calls == [{"extension": "101", "number": "09121234567", "context": expected}]


def test_a_connector_without_contexts_is_not_given_one() -> None:
    system = TelephonySystemSettings(key="hq", plan=NumberPlan(country_code=98), originate_context="sales-out")
    connector = NoContextConnector()
    asyncio.run(BridgeCommands(_bridge(system, connector)).dial("hq", "101", "09121234567"))
    assert connector.calls == [{"extension": "101", "number": "09121234567"}]
