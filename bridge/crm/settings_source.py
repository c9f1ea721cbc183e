"""Where the bridge gets each telephony system's settings (CALL-27): the CRM, or the local file's fallback.

:class:`SettingsSource` is what the workers and listeners read; the CRM-backed
implementation reads the telephony-system, line and extension rows and
refreshes them periodically. :class:`StaticSettings` is the on-prem fallback
built from ``bridge.toml`` (numbering plan and hidden extensions only), used
when no CRM source is configured and, by the CRM source, until its first read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from bridge.config.model import SystemConfig
from domain.calls.system_settings import TelephonySystemSettings
from services.calls.telephony_settings import SystemOptions


@runtime_checkable
class SettingsSource(Protocol):
    """Each telephony system's settings as the workers and the call listeners read them."""

    def settings_for(self, system_key: str) -> TelephonySystemSettings | None:
        """The current settings of ``system_key``, ``None`` when unknown (never blocks; see :meth:`refresh`)."""
        ...

    def options_for(self, system_key: str) -> SystemOptions:
        """The system row's options the settings contract does not carry (notices, language)."""
        ...

    async def refresh(self) -> object:
        """Re-read the settings; raise on failure (the bridge logs it and keeps the previous ones). A source
        of several parts may instead return a list of the errors of the parts it could not read."""
        ...


class StaticSettings:
    """Settings from the local file alone: key, name, numbering plan and hidden extensions per system."""

    def __init__(self, systems: Iterable[SystemConfig]):
        self._settings = {
            system.key: TelephonySystemSettings(
                key=system.key,
                name=system.name or system.key,
                plan=system.plan,
                hidden_extensions=system.hidden_extensions,
            )
            for system in systems
        }

    def settings_for(self, system_key: str) -> TelephonySystemSettings:
        found = self._settings.get(system_key)
        return found if found is not None else TelephonySystemSettings(key=system_key, name=system_key)

    def options_for(self, system_key: str) -> SystemOptions:
        """The file has no options: the defaults."""
        return SystemOptions()

    async def refresh(self) -> None:
        """Nothing to re-read: the file is read once at start."""
