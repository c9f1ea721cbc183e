"""Telephony settings read from the CRM: systems, lines and extensions (CALL-12, -13, -23, -24, -27, -34, -35).

Admins edit the telephony-system, line and extension rows in Dynamics; the
bridge reads them for its configured system keys with one paged query per
table (never a query per call), parses them with :func:`parse_settings` and
keeps the result until the next :meth:`CrmSettings.refresh`. A system row that
does not parse (a country code that is no country, a city code with letters)
keeps the last good settings and is reported; a bad line or extension row is
skipped and reported, the rest still apply.

The bridge's own state goes back onto the system row (link status, detail,
last seen) through the outbox, so reporting never waits on Dataverse.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bridge.outbox.store import Outbox, OutboxItem, log_if_not_stored
from connectors.dataverse import RecordId, odata
from dataverse_schema.model import OPTION_VALUE_BASE
from domain.calls.system_settings import (
    CallVisibility,
    ExtensionSettings,
    LineSettings,
    RecordingSettings,
    RecordingSource,
    TelephonySystemSettings,
)
from domain.numbers import NumberPlan

log = logging.getLogger(__name__)

SYSTEMS, LINES, EXTENSIONS = "comms_telephonysystems", "comms_phonelines", "comms_extensions"
SYSTEM_COLUMNS = (
    "comms_telephonysystemid", "comms_name", "comms_systemkey", "comms_countrycode", "comms_citycode",
    "comms_linereleaseprefix", "comms_minimumdigits", "comms_hiddenextensions", "comms_autoregisterlines",
    "comms_autoregisterextensions", "comms_callvisibility", "comms_ivrvariable", "comms_recordingsource",
    "comms_recordinghost", "comms_recordingport", "comms_recordingpath", "comms_attachrecordings",
    "comms_notifymissedcalls", "comms_notifywaitingcalls", "comms_language",
)
LINE_COLUMNS = ("comms_phonelineid", "comms_systemkey", "comms_lineid", "comms_number", "comms_isdefault",
                "comms_dialprefix")
EXTENSION_COLUMNS = ("comms_extensionid", "comms_systemkey", "comms_number", "_comms_systemuserid_value",
                     "comms_channel", "comms_canoriginate")


class SettingsProblem(ValueError):
    """A CRM row the bridge could not use, in words an admin can act on."""


class LinkStatus(enum.Enum):
    """The bridge's report on its link to a PBX; values follow the CRM choice order."""

    UNKNOWN = 0
    CONNECTED = 1
    DISCONNECTED = 2
    LOGIN_FAILED = 3
    ERROR = 4


@dataclass(frozen=True)
class SystemOptions:
    """Settings on the system row that the shared settings contract does not carry (CALL-03, CALL-05)."""

    notify_missed_calls: bool = True
    notify_waiting_calls: bool = False
    language: str = "en"


@dataclass(frozen=True)
class ParsedSystem:
    """One system's settings and options, and the row-level problems met on the way."""

    settings: TelephonySystemSettings
    options: SystemOptions
    problems: tuple[str, ...] = ()


@dataclass
class RefreshReport:
    """What a refresh read: systems parsed, systems kept from before, problems, requests spent."""

    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    requests: int = 0


class QueryClient(Protocol):
    """What the settings reader needs of :class:`connectors.dataverse.DataverseClient`."""

    def query(self, entity_set: str, *, select: Sequence[str] | None = None,
              filter: str | None = None) -> Iterable[dict[str, Any]]: ...


# -- parsing (pure) ---------------------------------------------------------------------------


def parse_settings(system: Mapping[str, Any], lines: Iterable[Mapping[str, Any]],
                   extensions: Iterable[Mapping[str, Any]]) -> ParsedSystem:
    """One system row with its line and extension rows → :class:`ParsedSystem`.

    Raises :class:`SettingsProblem` when the system row itself is unusable; bad
    line / extension rows are skipped and listed in ``problems``.
    """
    key = _text(system, "comms_systemkey")
    if not key:
        raise SettingsProblem("a telephony system row has no system key")
    where = f"telephony system {key!r}"
    plan = _plan(system, where)
    problems: list[str] = []
    parsed_lines = _rows(lines, _line, f"{where}: line", problems)
    parsed_extensions = _rows(extensions, _extension, f"{where}: extension", problems)
    settings = TelephonySystemSettings(
        key=key, name=_text(system, "comms_name"), record_id=_text(system, "comms_telephonysystemid") or None,
        plan=plan, hidden_extensions=frozenset(_split_list(_text(system, "comms_hiddenextensions"))),
        auto_register_lines=_flag(system, "comms_autoregisterlines", True),
        auto_register_extensions=_flag(system, "comms_autoregisterextensions", True),
        visibility=_option(system, "comms_callvisibility", CallVisibility, CallVisibility.EVERYONE, where),
        ivr_variable=_text(system, "comms_ivrvariable"),
        recording=_recording(system, where),
        extensions={e.number: e for e in parsed_extensions},
        lines={line.line_id: line for line in parsed_lines},
    )
    language = _text(system, "comms_language").lower() or "en"
    options = SystemOptions(_flag(system, "comms_notifymissedcalls", True),
                            _flag(system, "comms_notifywaitingcalls", False),
                            "fa" if language.startswith("fa") else "en")
    return ParsedSystem(settings, options, tuple(problems))


def _plan(row: Mapping[str, Any], where: str) -> NumberPlan:
    country = _text(row, "comms_countrycode").lstrip("+")
    if not country.isdigit():
        raise SettingsProblem(f"{where}: country code {country or '(empty)'!r} is not a number, e.g. 98")
    minimum = row.get("comms_minimumdigits")
    try:
        return NumberPlan(country_code=int(country), city_code=_text(row, "comms_citycode"),
                          line_release_prefix=_text(row, "comms_linereleaseprefix"),
                          min_digits=5 if minimum is None else int(minimum))
    except (TypeError, ValueError) as exc:
        raise SettingsProblem(f"{where}: {exc}") from None


def _recording(row: Mapping[str, Any], where: str) -> RecordingSettings:
    port = row.get("comms_recordingport")
    return RecordingSettings(
        source=_option(row, "comms_recordingsource", RecordingSource, RecordingSource.NONE, where),
        host=_text(row, "comms_recordinghost"), port=int(port) if isinstance(port, int) and port > 0 else 22,
        path=_text(row, "comms_recordingpath"), attach=_flag(row, "comms_attachrecordings", True))


def _line(row: Mapping[str, Any], where: str) -> LineSettings:
    line_id = _text(row, "comms_lineid")
    if not line_id:
        raise SettingsProblem(f"{where} {_text(row, 'comms_phonelineid') or '?'} has no PBX line id")
    return LineSettings(line_id, record_id=_text(row, "comms_phonelineid") or None,
                        number=_text(row, "comms_number"), is_default=_flag(row, "comms_isdefault", False),
                        dial_prefix=_text(row, "comms_dialprefix"))


def _extension(row: Mapping[str, Any], where: str) -> ExtensionSettings:
    number = _text(row, "comms_number")
    if not number or not number.replace("*", "").replace("#", "").isdigit():
        raise SettingsProblem(f"{where} {number or _text(row, 'comms_extensionid') or '?'!r} is not an extension "
                              "number (digits only)")
    return ExtensionSettings(number, record_id=_text(row, "comms_extensionid") or None,
                             user_id=_text(row, "_comms_systemuserid_value").lower() or None,
                             channel=_text(row, "comms_channel"),
                             can_originate=_flag(row, "comms_canoriginate", True))


def _rows(rows: Iterable[Mapping[str, Any]], parse: Callable[[Mapping[str, Any], str], Any], where: str,
          problems: list[str]) -> list[Any]:
    parsed: dict[str, Any] = {}
    for row in rows:
        try:
            value = parse(row, where)
        except SettingsProblem as exc:
            problems.append(str(exc))
            continue
        name = getattr(value, "number", None) or getattr(value, "line_id", "")
        if name in parsed:
            problems.append(f"{where} {name!r} appears twice; the first row is used")
            continue
        parsed[name] = value
    return list(parsed.values())


def _option(row: Mapping[str, Any], column: str, kind: type[enum.Enum], default: Any, where: str) -> Any:
    value = row.get(column)
    if value is None:
        return default
    try:
        return kind(int(value) - OPTION_VALUE_BASE)
    except (TypeError, ValueError):
        raise SettingsProblem(f"{where}: {column} has the unknown choice {value!r}") from None


def _text(row: Mapping[str, Any], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _flag(row: Mapping[str, Any], column: str, default: bool) -> bool:
    value = row.get(column)
    return value if isinstance(value, bool) else default


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").replace("\n", ",").split(",") if part.strip()]


# -- reading and reporting --------------------------------------------------------------------


class CrmSettings:
    """The telephony settings of ``system_keys`` in one Dataverse ``environment``.

    ``refresh`` reads all three tables (one paged query each); ``settings_for``
    answers from memory. ``outbox`` carries link-status reports back.
    """

    def __init__(self, client: QueryClient, environment: str, system_keys: Iterable[str], *,
                 outbox: Outbox | None = None) -> None:
        self.client = client
        self.environment = environment
        self.system_keys = tuple(dict.fromkeys(system_keys))
        if not self.system_keys:
            raise ValueError("CrmSettings needs at least one system key")
        self.outbox = outbox
        self._lock = threading.Lock()
        self._systems: dict[str, ParsedSystem] = {}
        self.last_report = RefreshReport()

    def settings_for(self, system_key: str) -> TelephonySystemSettings | None:
        """The last good settings of ``system_key``; ``None`` before its row was read."""
        found = self._systems.get(system_key)
        return found.settings if found else None

    def options_for(self, system_key: str) -> SystemOptions:
        found = self._systems.get(system_key)
        return found.options if found else SystemOptions()

    async def refresh(self) -> RefreshReport:
        """Re-read the settings in a worker thread (the client is synchronous)."""
        return await asyncio.to_thread(self.refresh_now)

    def refresh_now(self) -> RefreshReport:
        """Read and parse; connector errors propagate and leave the last good settings in place."""
        keys_filter = odata.in_("comms_systemkey", self.system_keys)
        systems = list(self.client.query(SYSTEMS, select=SYSTEM_COLUMNS, filter=keys_filter))
        lines = list(self.client.query(LINES, select=LINE_COLUMNS, filter=keys_filter))
        extensions = list(self.client.query(EXTENSIONS, select=EXTENSION_COLUMNS, filter=keys_filter))
        report = RefreshReport(requests=3)
        by_key = {_text(row, "comms_systemkey"): row for row in systems}
        with self._lock:
            for key in self.system_keys:
                self._refresh_one(key, by_key.get(key), lines, extensions, report)
        for problem in report.problems:
            log.warning("telephony settings problem: %s", problem, extra={"environment": self.environment})
        self.last_report = report
        return report

    def _refresh_one(self, key: str, row: Mapping[str, Any] | None, lines: list[dict[str, Any]],
                     extensions: list[dict[str, Any]], report: RefreshReport) -> None:
        if row is None:
            report.missing.append(key)
            report.problems.append(f"no telephony system row with key {key!r} in {self.environment}")
            return
        try:
            parsed = parse_settings(row, [r for r in lines if _text(r, "comms_systemkey") == key],
                                    [r for r in extensions if _text(r, "comms_systemkey") == key])
        except SettingsProblem as exc:
            report.kept.append(key)
            report.problems.append(f"{exc}; the last good settings stay in use")
            return
        self._systems[key] = parsed
        report.updated.append(key)
        report.problems += parsed.problems

    def report_link(self, system_key: str, status: LinkStatus, detail: str, now: datetime) -> bool:
        """Queue the link status onto the system row: status, detail, last seen. Only a row already
        read is written (by its id), so a report never creates a half-empty system; ``False`` then."""
        if self.outbox is None:
            raise RuntimeError("this CrmSettings was built without an outbox")
        settings = self.settings_for(system_key)
        if settings is None or not settings.record_id:
            log.info("link status of %s not reported: its CRM row has not been read yet", system_key,
                     extra={"environment": self.environment})
            return False
        body = {"comms_linkstatus": OPTION_VALUE_BASE + status.value, "comms_linkdetail": detail[:500],
                "comms_lastseenon": now}
        written = self.outbox.submit(OutboxItem(self.environment, SYSTEMS, RecordId(settings.record_id), body))
        written.add_done_callback(functools.partial(log_if_not_stored, "a link status", self.environment))
        return True
