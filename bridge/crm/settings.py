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
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from bridge.crm.settings_cache import load_rows, save_rows
from bridge.outbox.store import Outbox, OutboxItem, log_if_not_stored
from connectors.dataverse import RecordId, odata
from dataverse_schema.model import OPTION_VALUE_BASE
from dataverse_schema.names import Extension, PhoneLine, TelephonySystem
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
_CONTEXT = re.compile(r"[A-Za-z0-9_\-]{1,80}")

SYSTEMS, LINES, EXTENSIONS = TelephonySystem.SET, PhoneLine.SET, Extension.SET
SYSTEM_COLUMNS = (
    TelephonySystem.TELEPHONYSYSTEMID, TelephonySystem.NAME, TelephonySystem.SYSTEMKEY,
    TelephonySystem.COUNTRYCODE, TelephonySystem.CITYCODE, TelephonySystem.LINERELEASEPREFIX,
    TelephonySystem.MINIMUMDIGITS, TelephonySystem.HIDDENEXTENSIONS, TelephonySystem.AUTOREGISTERLINES,
    TelephonySystem.AUTOREGISTEREXTENSIONS, TelephonySystem.CALLVISIBILITY, TelephonySystem.IVRVARIABLE,
    TelephonySystem.RECORDINGSOURCE, TelephonySystem.RECORDINGHOST, TelephonySystem.RECORDINGPORT,
    TelephonySystem.RECORDINGPATH, TelephonySystem.ATTACHRECORDINGS, TelephonySystem.NOTIFYMISSEDCALLS,
    TelephonySystem.NOTIFYWAITINGCALLS, TelephonySystem.LANGUAGE, TelephonySystem.ORIGINATECONTEXT,
    TelephonySystem.UNKNOWNCALLEREVENTS,
)
LINE_COLUMNS = (PhoneLine.PHONELINEID, PhoneLine.SYSTEMKEY, PhoneLine.LINEID, PhoneLine.NUMBER, PhoneLine.ISDEFAULT,
                PhoneLine.DIALPREFIX)
EXTENSION_COLUMNS = (Extension.EXTENSIONID, Extension.SYSTEMKEY, Extension.NUMBER, Extension.SYSTEMUSERID_VALUE,
                     Extension.CHANNEL, Extension.CANORIGINATE)


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
    """Settings on the system row that the shared settings contract does not carry (CALL-03, CALL-05, CALL-43)."""

    notify_missed_calls: bool = True
    notify_waiting_calls: bool = False
    language: str = "en"
    unknown_caller_events: bool = True


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
    key = _text(system, TelephonySystem.SYSTEMKEY)
    if not key:
        raise SettingsProblem("a telephony system row has no system key")
    where = f"telephony system {key!r}"
    plan = _plan(system, where)
    problems: list[str] = []
    parsed_lines = _rows(lines, _line, f"{where}: line", problems)
    parsed_extensions = _rows(extensions, _extension, f"{where}: extension", problems)
    settings = TelephonySystemSettings(
        key=key, name=_text(system, TelephonySystem.NAME), record_id=_text(system, TelephonySystem.TELEPHONYSYSTEMID) or None,
        plan=plan, hidden_extensions=frozenset(_split_list(_text(system, TelephonySystem.HIDDENEXTENSIONS))),
        auto_register_lines=_flag(system, TelephonySystem.AUTOREGISTERLINES, True),
        auto_register_extensions=_flag(system, TelephonySystem.AUTOREGISTEREXTENSIONS, True),
        visibility=_option(system, TelephonySystem.CALLVISIBILITY, CallVisibility, CallVisibility.EVERYONE, where),
        ivr_variable=_text(system, TelephonySystem.IVRVARIABLE),
        originate_context=_context(system, where, problems),
        recording=_recording(system, where),
        extensions={e.number: e for e in parsed_extensions},
        lines={line.line_id: line for line in parsed_lines},
    )
    language = _text(system, TelephonySystem.LANGUAGE).lower() or "en"
    options = SystemOptions(_flag(system, TelephonySystem.NOTIFYMISSEDCALLS, True),
                            _flag(system, TelephonySystem.NOTIFYWAITINGCALLS, False),
                            "fa" if language.startswith("fa") else "en",
                            _flag(system, TelephonySystem.UNKNOWNCALLEREVENTS, True))
    return ParsedSystem(settings, options, tuple(problems))


def _plan(row: Mapping[str, Any], where: str) -> NumberPlan:
    country = _text(row, TelephonySystem.COUNTRYCODE).lstrip("+")
    if not country.isdigit():
        raise SettingsProblem(f"{where}: country code {country or '(empty)'!r} is not a number, e.g. 98")
    minimum = row.get(TelephonySystem.MINIMUMDIGITS)
    try:
        return NumberPlan(country_code=int(country), city_code=_text(row, TelephonySystem.CITYCODE),
                          line_release_prefix=_text(row, TelephonySystem.LINERELEASEPREFIX),
                          min_digits=5 if minimum is None else int(minimum))
    except (TypeError, ValueError) as exc:
        raise SettingsProblem(f"{where}: {exc}") from None


def _context(row: Mapping[str, Any], where: str, problems: list[str]) -> str:
    context = _text(row, TelephonySystem.ORIGINATECONTEXT)
    if context and not _CONTEXT.fullmatch(context):
        problems.append(f"{where}: originate context {context!r} is not a dialplan context (letters, digits, "
                        "_ and -, at most 80); the bridge's own setting is used")
        return ""
    return context


def _recording(row: Mapping[str, Any], where: str) -> RecordingSettings:
    port = row.get(TelephonySystem.RECORDINGPORT)
    return RecordingSettings(
        source=_option(row, TelephonySystem.RECORDINGSOURCE, RecordingSource, RecordingSource.NONE, where),
        host=_text(row, TelephonySystem.RECORDINGHOST), port=int(port) if isinstance(port, int) and port > 0 else 22,
        path=_text(row, TelephonySystem.RECORDINGPATH), attach=_flag(row, TelephonySystem.ATTACHRECORDINGS, True))


def _line(row: Mapping[str, Any], where: str) -> LineSettings:
    line_id = _text(row, PhoneLine.LINEID)
    if not line_id:
        raise SettingsProblem(f"{where} {_text(row, PhoneLine.PHONELINEID) or '?'} has no PBX line id")
    return LineSettings(line_id, record_id=_text(row, PhoneLine.PHONELINEID) or None,
                        number=_text(row, PhoneLine.NUMBER), is_default=_flag(row, PhoneLine.ISDEFAULT, False),
                        dial_prefix=_text(row, PhoneLine.DIALPREFIX))


def _extension(row: Mapping[str, Any], where: str) -> ExtensionSettings:
    number = _text(row, Extension.NUMBER)
    if not number or not number.replace("*", "").replace("#", "").isdigit():
        raise SettingsProblem(f"{where} {number or _text(row, Extension.EXTENSIONID) or '?'!r} is not an extension "
                              "number (digits only)")
    return ExtensionSettings(number, record_id=_text(row, Extension.EXTENSIONID) or None,
                             user_id=_text(row, Extension.SYSTEMUSERID_VALUE).lower() or None,
                             channel=_text(row, Extension.CHANNEL),
                             can_originate=_flag(row, Extension.CANORIGINATE, True))


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
    answers from memory. ``outbox`` carries link-status reports back. With
    ``cache``, every successful read is kept in that file and the settings
    start from it (:mod:`bridge.crm.settings_cache`).
    """

    def __init__(self, client: QueryClient, environment: str, system_keys: Iterable[str], *,
                 outbox: Outbox | None = None, cache: Path | None = None) -> None:
        self.client = client
        self.environment = environment
        self.system_keys = tuple(dict.fromkeys(system_keys))
        if not self.system_keys:
            raise ValueError("CrmSettings needs at least one system key")
        self.outbox = outbox
        self._lock = threading.Lock()
        self._systems: dict[str, ParsedSystem] = {}
        self.last_report = RefreshReport()
        self._cache = cache
        kept = load_rows(cache, environment) if cache is not None else None
        if kept is not None:
            self._apply(kept.systems, kept.lines, kept.extensions)
            log.info("telephony settings of %s start from the copy read at %s", environment, kept.read_at,
                     extra={"environment": environment})

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
        keys_filter = odata.in_(TelephonySystem.SYSTEMKEY, self.system_keys)
        systems = list(self.client.query(SYSTEMS, select=SYSTEM_COLUMNS, filter=keys_filter))
        lines = list(self.client.query(LINES, select=LINE_COLUMNS, filter=keys_filter))
        extensions = list(self.client.query(EXTENSIONS, select=EXTENSION_COLUMNS, filter=keys_filter))
        report = self._apply(systems, lines, extensions)
        if self._cache is not None:
            save_rows(self._cache, self.environment, systems, lines, extensions)
        return report

    def _apply(self, systems: list[dict[str, Any]], lines: list[dict[str, Any]],
               extensions: list[dict[str, Any]]) -> RefreshReport:
        """Parse the rows read (or kept) into the settings of every system key."""
        report = RefreshReport(requests=3)
        by_key = {_text(row, TelephonySystem.SYSTEMKEY): row for row in systems}
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
            parsed = parse_settings(row, [r for r in lines if _text(r, PhoneLine.SYSTEMKEY) == key],
                                    [r for r in extensions if _text(r, Extension.SYSTEMKEY) == key])
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
        body = {TelephonySystem.LINKSTATUS: OPTION_VALUE_BASE + status.value,
                TelephonySystem.LINKDETAIL: detail[:500],
                TelephonySystem.LASTSEENON: now}
        written = self.outbox.submit(OutboxItem(self.environment, SYSTEMS, RecordId(settings.record_id), body))
        written.add_done_callback(functools.partial(log_if_not_stored, "a link status", self.environment))
        return True
