"""A restarted fake provider can start its message ids where a kept CRM's rows end."""

from __future__ import annotations

import pytest
import requests

from connectors.settings import Secret
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from domain.sms import OutgoingSms
from emulator.sms_provider import FakeSmsProviderServer

pytestmark = pytest.mark.integration


def test_ids_start_at_first_message_id() -> None:
    with FakeSmsProviderServer(api_key="k", first_message_id=100_000_042) as server, requests.Session() as session:
        provider = KavenegarProvider(KavenegarSettings(base_url=server.base_url, api_key=Secret("k")), session=session)
        receipt = provider.send(OutgoingSms(our_id="m-1", to="+989121234567", text="hi", sender="3000202030"))
        inbound = server.inject_inbound("09121234567", "3000202030", "لغو")
    assert (receipt.provider_id, inbound) == ("100000042", 100_000_043)


@pytest.mark.parametrize("first", [0, -5])
def test_a_first_message_id_below_one_is_refused(first: int) -> None:
    with pytest.raises(ValueError, match="first_message_id"):
        FakeSmsProviderServer(first_message_id=first)
