"""The one composition root: one registry, one provider session, one plan and one time zone on every path."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from domain.sms.template_parser import parse_template
from domain.sms.template_render import render
from domain.sms.templates import Calendar, RenderOptions
from services.factory import build_services
from services.settings import AppSettings

ENVIRON = {
    "COMMS_DATAVERSE_URL": "https://contoso.crm4.dynamics.com",
    "COMMS_DATAVERSE_STATIC_TOKEN": "t",
    "COMMS_SMS_COUNTRY_CODE": "44",
    "COMMS_SMS_TIMEZONE": "Asia/Tehran",
}
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def _built():
    session = requests.Session()
    services = build_services(AppSettings.from_env(ENVIRON), provider_session=session, clock=lambda: NOW)
    return services.sms, session


def test_one_registry_and_one_provider_session_serve_single_bulk_and_inbound_sends() -> None:
    sms, session = _built()
    assert sms.accounts.registry is sms.registry
    assert sms.sender._registry is sms.registry  # noqa: SLF001 - the wiring is what is under test
    assert sms.bulk._accounts is sms.accounts and sms.inbound._accounts is sms.accounts  # noqa: SLF001
    assert sms.registry._session is session  # noqa: SLF001


def test_every_path_gets_the_same_number_plan_and_time_zone() -> None:
    sms, _ = _built()
    composer = sms.sender._composer  # noqa: SLF001
    assert sms.plan.country_code == 44
    assert composer._plan is sms.plan and sms.bulk._plan is sms.plan and sms.inbound._plan is sms.plan  # noqa: SLF001
    assert sms.bulk._options.render.tz == composer._tz == sms.inbound._render.tz  # noqa: SLF001
    assert sms.bulk._options.window.tz_name == "Asia/Tehran"  # noqa: SLF001


def test_a_template_date_renders_the_same_through_a_bulk_and_a_single_send() -> None:
    """21:00 UTC on 1 May is 2 May in Tehran: before the factory, bulks wrote 2024-05-01 and single sends 2024-05-02."""
    sms, _ = _built()
    template, fields = (
        parse_template("{contact.createdon|gregorian}"),
        {"contact.createdon": datetime(2024, 5, 1, 21, 0, tzinfo=UTC)},
    )
    single = RenderOptions(calendar=Calendar.GREGORIAN, tz=sms.sender._composer._tz)  # noqa: SLF001
    bulk = RenderOptions(calendar=Calendar.GREGORIAN, tz=sms.bulk._options.render.tz)  # noqa: SLF001
    assert render(template, fields, bulk).text == render(template, fields, single).text
    assert render(template, fields, single).text != render(template, fields, RenderOptions(Calendar.GREGORIAN)).text
