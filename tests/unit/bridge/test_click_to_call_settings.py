"""Click-to-call intake settings and the Service Bus receiver's construction: secrets stay secret."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pydantic import ValidationError

from bridge.click_to_call.intake import ClickToCallSettings
from bridge.click_to_call.queue import ServiceBusReceiver

CANARY = "CANARY-7f3a"
CONNECTION = f"Endpoint=sb://commsuite-test.invalid/;SharedAccessKeyName=listen;SharedAccessKey={CANARY}"


def test_settings_hide_the_connection_string_and_refuse_unknown_keys(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    settings = ClickToCallSettings(environment="prod", service_bus={"connection_string": CONNECTION})
    assert CANARY not in repr(settings) and settings.service_bus.queue == "comms-clicktocall"

    async def build_and_close() -> None:
        receiver = ServiceBusReceiver(settings.service_bus)
        await receiver.close()

    asyncio.run(build_and_close())
    assert CANARY not in caplog.text
    with pytest.raises(ValidationError):
        ClickToCallSettings(environment="prod", poll_seconds=5)
    with pytest.raises(ValidationError):
        ClickToCallSettings(environment="prod", poll_interval_s=0)
