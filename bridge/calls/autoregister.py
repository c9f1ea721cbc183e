"""Auto-registration of lines and extensions seen in PBX traffic (CALL-35).

A :class:`~bridge.calls.listeners.CallListener`. When a call or a device-state event
names a line (trunk / DID) or an extension that the CRM's settings do not list,
and the telephony system allows auto-registration, it queues an upsert of a
line or extension row by its alternate key (system key + line id / number),
marked auto-registered and bound to its system. Each one is queued at most
once per process; the next settings refresh then lists it. Hidden extensions
(DISA, ring groups: CALL-27) are never registered.

Only systems whose CRM row has been read are served: the new row must point at
its system, and an admin who switched auto-registration off must be obeyed.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence

from bridge.calls.logger import CrmEnvironment
from bridge.outbox.store import Outbox, OutboxItem, log_if_not_stored
from connectors.dataverse import AlternateKey, bind
from dataverse_schema import telephony as schema
from dataverse_schema.names import Extension, PhoneLine, TelephonySystem
from domain.calls.events import CallEvent
from domain.calls.record import CallRecord, CallUpdate
from domain.calls.system_settings import TelephonySystemSettings
from domain.numbers import normalise

log = logging.getLogger(__name__)

LINES, EXTENSIONS, SYSTEMS = PhoneLine.SET, Extension.SET, TelephonySystem.SET
MAX_LINE_ID_LENGTH = 100
MAX_EXTENSION_LENGTH = 20  # the extension number column's length


class AutoRegistrar:
    """Queues line and extension rows for what the PBX reports and the CRM does not know yet."""

    def __init__(
        self, outbox: Outbox, environments: Mapping[str, Sequence[str]], crms: Mapping[str, CrmEnvironment]
    ) -> None:
        self.outbox = outbox
        self.environments = {key: tuple(envs) for key, envs in environments.items()}
        self.crms = dict(crms)
        self._queued: set[tuple[str, str, str, str]] = set()

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        record = update.record
        self._register(record.system, lines=[record.line], extensions=_extensions_of(record))

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        self._register(event.system, lines=[], extensions=[event.extension])

    def _register(self, system_key: str, *, lines: Iterable[str | None], extensions: Iterable[str | None]) -> None:
        wanted_lines = [line for line in lines if _usable(line, MAX_LINE_ID_LENGTH)]
        wanted_extensions = [ext for ext in extensions if _usable(ext, MAX_EXTENSION_LENGTH)]
        if not wanted_lines and not wanted_extensions:
            return
        for environment in self.environments.get(system_key, ()):
            crm = self.crms.get(environment)
            settings = crm.settings.settings_for(system_key) if crm and crm.settings else None
            if settings is None or not settings.record_id:
                continue
            if settings.auto_register_lines:
                for line in wanted_lines:
                    if line not in settings.lines:
                        self._queue_line(environment, settings, line)
            if settings.auto_register_extensions:
                for extension in wanted_extensions:
                    if extension not in settings.extensions and extension not in settings.hidden_extensions:
                        self._queue_extension(environment, settings, extension)

    def _queue_line(self, environment: str, settings: TelephonySystemSettings, line: str) -> None:
        if not self._first_time(environment, settings.key, "line", line):
            return
        body = {
            PhoneLine.NAME: f"Line {line}",
            PhoneLine.AUTOREGISTERED: True,
            **self._system_bind(PhoneLine.TELEPHONYSYSTEMID_NAV, settings),
        }
        number = normalise(line, settings.plan)
        if number is not None and number.is_external:
            body[PhoneLine.NUMBER] = number.e164
        key = AlternateKey(dict(zip(schema.LINE_KEY_COLUMNS, (settings.key, line), strict=True)))
        self._submit(OutboxItem(environment, LINES, key, body), "an auto-registered line")
        log.info(
            "new line %s on %s registered in %s",
            line,
            settings.key,
            environment,
            extra={"environment": environment, "system": settings.key},
        )

    def _queue_extension(self, environment: str, settings: TelephonySystemSettings, extension: str) -> None:
        if not self._first_time(environment, settings.key, "extension", extension):
            return
        body = {
            Extension.NAME: f"Extension {extension}",
            Extension.AUTOREGISTERED: True,
            **self._system_bind(Extension.TELEPHONYSYSTEMID_NAV, settings),
        }
        key = AlternateKey(dict(zip(schema.EXTENSION_KEY_COLUMNS, (settings.key, extension), strict=True)))
        self._submit(OutboxItem(environment, EXTENSIONS, key, body), "an auto-registered extension")
        log.info(
            "new extension %s on %s registered in %s",
            extension,
            settings.key,
            environment,
            extra={"environment": environment, "system": settings.key},
        )

    def _submit(self, item: OutboxItem, what: str) -> None:
        """Hand the row to the outbox's writer without waiting on the event loop for its fsync."""
        self.outbox.submit(item).add_done_callback(functools.partial(log_if_not_stored, what, item.environment))

    def _first_time(self, environment: str, system_key: str, kind: str, name: str) -> bool:
        marker = (environment, system_key, kind, name)
        if marker in self._queued:
            return False
        self._queued.add(marker)
        return True

    @staticmethod
    def _system_bind(navigation: str, settings: TelephonySystemSettings) -> dict[str, str]:
        return bind(navigation, SYSTEMS, settings.record_id or "")


def _extensions_of(record: CallRecord) -> list[str | None]:
    return [record.extension, *record.ringing_extensions, *record.transferred_to]


def _usable(name: str | None, limit: int) -> bool:
    """A name fit for a key: present, short, printable (a PBX can report odd channel names)."""
    return bool(name) and len(name) <= limit and name.isprintable() and name.strip() == name
