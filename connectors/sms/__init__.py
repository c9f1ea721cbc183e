"""SMS provider connectors and their registry, keyed by provider kind (SMS-13, -18).

A new provider of a known kind is configuration only: a provider record in the
CRM names its ``kind`` and carries that kind's settings, and
:func:`build_provider` turns the pair into a connector. A new kind is one
module in this package plus one line below, in alphabetical order.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.sms.asanak import AsanakProvider
from connectors.sms.base import ProviderSettings, SmsProvider
from connectors.sms.configurable import ConfigurableProvider
from connectors.sms.ghasedak import GhasedakProvider
from connectors.sms.kavenegar import KavenegarProvider
from connectors.sms.kavenegar_soap import KavenegarSoapProvider
from connectors.sms.magfa import MagfaProvider
from connectors.sms.melipayamak import MelipayamakProvider
from connectors.sms.melipayamak_soap import MelipayamakSoapProvider
from connectors.sms.parsgreen import ParsgreenProvider
from connectors.sms.rahyab import RahyabProvider
from connectors.sms.smsir import SmsIrProvider
from connectors.sms.twilio import TwilioProvider

PROVIDERS: dict[str, type[SmsProvider]] = {
    "asanak": AsanakProvider,
    "configurable": ConfigurableProvider,
    "ghasedak": GhasedakProvider,
    "kavenegar": KavenegarProvider,
    "kavenegar_soap": KavenegarSoapProvider,
    "magfa": MagfaProvider,
    "melipayamak": MelipayamakProvider,
    "melipayamak_soap": MelipayamakSoapProvider,
    "parsgreen": ParsgreenProvider,
    "rahyab": RahyabProvider,
    "smsir": SmsIrProvider,
    "twilio": TwilioProvider,
}


def build_provider(
    kind: str, settings: Mapping[str, Any] | ProviderSettings, *, session: requests.Session
) -> SmsProvider:
    """Build the connector for ``kind`` from its settings (validated here; bad settings raise ``ValueError``).

    Raises ``KeyError`` for an unknown kind. Build once per process and reuse:
    SOAP connectors parse their WSDL when built.
    """
    provider_class = PROVIDERS[kind]
    model = provider_class.settings_model
    validated = settings if isinstance(settings, model) else model.model_validate(dict(settings))
    return provider_class(validated, session=session)  # type: ignore[call-arg]


__all__ = ["PROVIDERS", "ProviderSettings", "SmsProvider", "build_provider"]
