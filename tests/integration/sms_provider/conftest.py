"""A fresh fake Kavenegar per test and the real REST and SOAP adapters pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from connectors.settings import Secret
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from connectors.sms.kavenegar_soap import KavenegarSoapProvider, KavenegarSoapSettings
from emulator.sms_provider import FakeSmsProviderServer

LINE = "3000202030"


@pytest.fixture
def server() -> Iterator[FakeSmsProviderServer]:
    with FakeSmsProviderServer(api_key="test-key", latency_s=0.0, timeout_hold_s=2.0) as fake:
        yield fake


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        yield http


@pytest.fixture
def kavenegar(server, session) -> KavenegarProvider:
    settings = KavenegarSettings(
        base_url=server.base_url,
        api_key=Secret("test-key"),
        default_sender="10004346",
        inbound_lines=(LINE,),
        read_timeout_s=0.5,
    )
    return KavenegarProvider(settings, session=session)


@pytest.fixture
def kavenegar_soap(server, session) -> KavenegarSoapProvider:
    settings = KavenegarSoapSettings(
        base_url=server.soap_url,
        api_key=Secret("test-key"),
        default_sender="10004346",
        inbound_lines=(LINE,),
        read_timeout_s=0.5,
    )
    return KavenegarSoapProvider(settings, session=session)
