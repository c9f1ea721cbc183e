"""What the parts share per bridge: a read client, the CRM's telephony settings and the number index
for each Dataverse environment (CALL-02, CALL-26, CALL-27).

Built once per :class:`~bridge.runtime.daemon.Bridge` by :func:`crm_context` and kept
beside it, so the settings source, the call logger, the notifier, the console
and click-to-call all read the same :class:`~bridge.crm.settings.CrmSettings`
and :class:`~services.matching.sync.NumberSync` objects.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bridge.calls.logger import CrmEnvironment
from bridge.config.model import BridgeConfig
from bridge.crm.settings import CrmSettings
from bridge.crm.settings_cache import cache_path
from bridge.outbox.store import Outbox
from domain.calls.system_settings import TelephonySystemSettings
from domain.numbers import NumberPlan
from services.factory import build_environment
from services.matching.sync import NumberSync

_CONTEXTS: weakref.WeakKeyDictionary[Any, CrmContext] = weakref.WeakKeyDictionary()


class CrmContext:
    """Per environment: a read client, the settings of the systems writing to it, and its number index.

    Each environment's client and index come from :func:`services.factory.build_environment`, as the
    Functions app's do; the number index is matched with the system plan of the first system writing there.
    """

    def __init__(self, config: BridgeConfig, outbox: Outbox):
        self.config = config
        served = {
            name: [k for k, s in config.systems.items() if name in s.environments] for name in config.environments
        }
        matched = config.matching.tables if config.matching.enabled else ()
        self.services = {
            name: build_environment(
                name, env.dataverse, plan=_plan_of(config, served[name]), matched=matched if served[name] else ()
            )
            for name, env in config.environments.items()
        }
        self.clients = {name: built.dataverse for name, built in self.services.items()}
        kept_in = Path(config.bridge.outbox).parent
        self.settings = {
            name: CrmSettings(self.clients[name], name, keys, outbox=outbox, cache=cache_path(kept_in, name))
            for name, keys in served.items()
            if keys
        }
        self.numbers: dict[str, NumberSync] = {
            name: built.numbers for name, built in self.services.items() if built.numbers is not None
        }
        self.crms = {
            name: CrmEnvironment(name, self.settings.get(name), self.numbers.get(name)) for name in config.environments
        }

    @property
    def environments(self) -> Mapping[str, tuple[str, ...]]:
        """System key → the environments it writes to."""
        return {key: system.environments for key, system in self.config.systems.items()}

    def home(self, system_key: str) -> str:
        """The system's first environment: where its settings and its callers' records are read."""
        return self.config.systems[system_key].environments[0]

    def settings_in(self, environment: str, fallback: TelephonySystemSettings) -> TelephonySystemSettings:
        """``fallback.key``'s settings as ``environment``'s CRM has them (its record and user ids)."""
        return self.crms[environment].system(fallback)


def _plan_of(config: BridgeConfig, system_keys: list[str]) -> NumberPlan:
    """The plan the environment's CRM numbers are read with: that of its first system."""
    return config.systems[system_keys[0]].plan if system_keys else NumberPlan()


def crm_context(bridge: Any) -> CrmContext:
    """The bridge's shared context, built at the first call."""
    context = _CONTEXTS.get(bridge)
    if context is None:
        context = _CONTEXTS[bridge] = CrmContext(bridge.config, bridge.outbox)
    return context
