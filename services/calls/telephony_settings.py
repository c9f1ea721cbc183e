"""Telephony settings read from the CRM: systems, lines and extensions (CALL-12, -13, -23, -24, -27, -34, -35).

Admins edit the telephony-system, line and extension rows in Dynamics. A host
reads them for its system keys with :func:`read_rows` (one paged query per
table, never a query per call) and parses each system with :func:`parse_settings`
into the domain's :class:`~domain.calls.system_settings.TelephonySystemSettings`
and this module's :class:`SystemOptions`. A system row that does not parse (a
country code that is no country, a city code with letters) raises
:class:`SettingsProblem`; a bad line or extension row is skipped and reported,
the rest still apply. Keeping the last good settings, refreshing them and
reporting the link back are the bridge's (:mod:`bridge.crm.settings`).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.dataverse import odata
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
from domain.digits import digit_setting
from domain.numbers import NumberPlan
from services.calls.responsible_access import parse_columns

_CONTEXT = re.compile(r"[A-Za-z0-9_\-]{1,80}")

SYSTEMS, LINES, EXTENSIONS = TelephonySystem.SET, PhoneLine.SET, Extension.SET
SYSTEM_COLUMNS = (
    TelephonySystem.TELEPHONYSYSTEMID,
    TelephonySystem.NAME,
    TelephonySystem.SYSTEMKEY,
    TelephonySystem.COUNTRYCODE,
    TelephonySystem.CITYCODE,
    TelephonySystem.LINERELEASEPREFIX,
    TelephonySystem.MINIMUMDIGITS,
    TelephonySystem.HIDDENEXTENSIONS,
    TelephonySystem.AUTOREGISTERLINES,
    TelephonySystem.AUTOREGISTEREXTENSIONS,
    TelephonySystem.CALLVISIBILITY,
    TelephonySystem.IVRVARIABLE,
    TelephonySystem.RECORDINGSOURCE,
    TelephonySystem.RECORDINGHOST,
    TelephonySystem.RECORDINGPORT,
    TelephonySystem.RECORDINGPATH,
    TelephonySystem.ATTACHRECORDINGS,
    TelephonySystem.NOTIFYMISSEDCALLS,
    TelephonySystem.NOTIFYWAITINGCALLS,
    TelephonySystem.LANGUAGE,
    TelephonySystem.ORIGINATECONTEXT,
    TelephonySystem.UNKNOWNCALLEREVENTS,
    TelephonySystem.RESPONSIBLECOLUMNS,
)
LINE_COLUMNS = (
    PhoneLine.PHONELINEID,
    PhoneLine.SYSTEMKEY,
    PhoneLine.LINEID,
    PhoneLine.NUMBER,
    PhoneLine.ISDEFAULT,
    PhoneLine.DIALPREFIX,
)
EXTENSION_COLUMNS = (
    Extension.EXTENSIONID,
    Extension.SYSTEMKEY,
    Extension.NUMBER,
    Extension.SYSTEMUSERID_VALUE,
    Extension.CHANNEL,
    Extension.CANORIGINATE,
    Extension.NAME,
)


class SettingsProblem(ValueError):
    """A CRM row that cannot be used, in words an admin can act on."""


@dataclass(frozen=True)
class SystemOptions:
    """Settings on the system row that the shared settings contract does not carry (CALL-03, -05, -41, -43)."""

    notify_missed_calls: bool = True
    notify_waiting_calls: bool = False
    unknown_caller_events: bool = True
    #: CALL-41: per matched table, the lookup columns naming the users the call is shared with.
    responsible_columns: tuple[tuple[str, tuple[str, ...]], ...] = ()


@dataclass(frozen=True)
class ParsedSystem:
    """One system's settings and options, and the row-level problems met on the way."""

    settings: TelephonySystemSettings
    options: SystemOptions
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class SettingsRows:
    """The rows of one read, as Dataverse returned them (the bridge also keeps them in its cache)."""

    systems: list[dict[str, Any]]
    lines: list[dict[str, Any]]
    extensions: list[dict[str, Any]]


class QueryClient(Protocol):
    """What the settings reader needs of :class:`connectors.dataverse.DataverseClient`."""

    def query(
        self, entity_set: str, *, select: Sequence[str] | None = None, filter: str | None = None
    ) -> Iterable[dict[str, Any]]: ...


# -- reading ---------------------------------------------------------------------------------


def read_rows(client: QueryClient, system_keys: Sequence[str]) -> SettingsRows:
    """The system, line and extension rows of ``system_keys``: one paged query per table.

    Connector errors propagate (the caller keeps what it had).
    """
    keys_filter = odata.in_(TelephonySystem.SYSTEMKEY, system_keys)
    systems = list(client.query(SYSTEMS, select=SYSTEM_COLUMNS, filter=keys_filter))
    lines = list(client.query(LINES, select=LINE_COLUMNS, filter=keys_filter))
    extensions = list(client.query(EXTENSIONS, select=EXTENSION_COLUMNS, filter=keys_filter))
    return SettingsRows(systems, lines, extensions)


def system_key_of(row: Mapping[str, Any]) -> str:
    """The system key of a telephony-system row ("" when it has none)."""
    return _text(row, TelephonySystem.SYSTEMKEY)


# -- parsing (pure) ---------------------------------------------------------------------------


def parse_system(
    system: Mapping[str, Any], lines: Iterable[Mapping[str, Any]], extensions: Iterable[Mapping[str, Any]]
) -> ParsedSystem:
    """:func:`parse_settings` of one system row with those of ``lines`` and ``extensions`` that are its own."""
    key = system_key_of(system)
    return parse_settings(
        system,
        [r for r in lines if _text(r, PhoneLine.SYSTEMKEY) == key],
        [r for r in extensions if _text(r, Extension.SYSTEMKEY) == key],
    )


def parse_settings(
    system: Mapping[str, Any], lines: Iterable[Mapping[str, Any]], extensions: Iterable[Mapping[str, Any]]
) -> ParsedSystem:
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
    language = "fa" if _text(system, TelephonySystem.LANGUAGE).lower().startswith("fa") else "en"
    settings = TelephonySystemSettings(
        key=key,
        name=_text(system, TelephonySystem.NAME),
        record_id=_text(system, TelephonySystem.TELEPHONYSYSTEMID) or None,
        plan=plan,
        hidden_extensions=frozenset(map(digit_setting, _split_list(_text(system, TelephonySystem.HIDDENEXTENSIONS)))),
        auto_register_lines=_flag(system, TelephonySystem.AUTOREGISTERLINES, True),
        auto_register_extensions=_flag(system, TelephonySystem.AUTOREGISTEREXTENSIONS, True),
        visibility=_option(system, TelephonySystem.CALLVISIBILITY, CallVisibility, CallVisibility.EVERYONE, where),
        ivr_variable=_text(system, TelephonySystem.IVRVARIABLE),
        originate_context=_context(system, where, problems),
        language=language,
        recording=_recording(system, where),
        extensions={e.number: e for e in parsed_extensions},
        lines={line.line_id: line for line in parsed_lines},
    )
    options = SystemOptions(
        _flag(system, TelephonySystem.NOTIFYMISSEDCALLS, True),
        _flag(system, TelephonySystem.NOTIFYWAITINGCALLS, False),
        _flag(system, TelephonySystem.UNKNOWNCALLEREVENTS, True),
        _responsible(system, where, problems),
    )
    return ParsedSystem(settings, options, tuple(problems))


def _plan(row: Mapping[str, Any], where: str) -> NumberPlan:
    country = _digits(row, TelephonySystem.COUNTRYCODE).lstrip("+")
    if not (country.isascii() and country.isdigit()):
        raise SettingsProblem(f"{where}: country code {country or '(empty)'!r} is not a number, e.g. 98")
    minimum = row.get(TelephonySystem.MINIMUMDIGITS)
    try:
        return NumberPlan(
            country_code=int(country),
            city_code=_digits(row, TelephonySystem.CITYCODE),
            line_release_prefix=_digits(row, TelephonySystem.LINERELEASEPREFIX),
            min_digits=5 if minimum is None else int(minimum),
        )
    except (TypeError, ValueError, OverflowError) as exc:  # OverflowError: int() of an infinite JSON number
        raise SettingsProblem(f"{where}: {exc}") from None


def _context(row: Mapping[str, Any], where: str, problems: list[str]) -> str:
    context = _text(row, TelephonySystem.ORIGINATECONTEXT)
    if context and not _CONTEXT.fullmatch(context):
        problems.append(
            f"{where}: originate context {context!r} is not a dialplan context (letters, digits, "
            "_ and -, at most 80); the bridge's own setting is used"
        )
        return ""
    return context


def _responsible(row: Mapping[str, Any], where: str, problems: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    try:
        return parse_columns(_text(row, TelephonySystem.RESPONSIBLECOLUMNS))
    except ValueError as exc:
        problems.append(f"{where}: responsible-person columns: {exc}; calls are shared with nobody")
        return ()


def _recording(row: Mapping[str, Any], where: str) -> RecordingSettings:
    port = row.get(TelephonySystem.RECORDINGPORT)
    return RecordingSettings(
        source=_option(row, TelephonySystem.RECORDINGSOURCE, RecordingSource, RecordingSource.NONE, where),
        host=_text(row, TelephonySystem.RECORDINGHOST),
        port=int(port) if isinstance(port, int) and port > 0 else 22,
        path=_text(row, TelephonySystem.RECORDINGPATH),
        attach=_flag(row, TelephonySystem.ATTACHRECORDINGS, True),
    )


def _line(row: Mapping[str, Any], where: str) -> LineSettings:
    line_id = _digits(row, PhoneLine.LINEID)
    if not line_id:
        raise SettingsProblem(f"{where} {_text(row, PhoneLine.PHONELINEID) or '?'} has no PBX line id")
    return LineSettings(
        line_id,
        record_id=_text(row, PhoneLine.PHONELINEID) or None,
        number=_digits(row, PhoneLine.NUMBER),
        is_default=_flag(row, PhoneLine.ISDEFAULT, False),
        dial_prefix=_digits(row, PhoneLine.DIALPREFIX),
    )


def _extension(row: Mapping[str, Any], where: str) -> ExtensionSettings:
    number = _digits(row, Extension.NUMBER)
    if not number or not _is_dtmf(number):
        raise SettingsProblem(
            f"{where} {number or _text(row, Extension.EXTENSIONID) or '?'!r} is not an extension number (digits only)"
        )
    return ExtensionSettings(
        number,
        record_id=_text(row, Extension.EXTENSIONID) or None,
        user_id=_text(row, Extension.SYSTEMUSERID_VALUE).lower() or None,
        channel=_text(row, Extension.CHANNEL),
        can_originate=_flag(row, Extension.CANORIGINATE, True),
        name=_text(row, Extension.NAME),
    )


def _rows(
    rows: Iterable[Mapping[str, Any]], parse: Callable[[Mapping[str, Any], str], Any], where: str, problems: list[str]
) -> list[Any]:
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
    except (TypeError, ValueError, OverflowError):
        raise SettingsProblem(f"{where}: {column} has the unknown choice {value!r}") from None


def _text(row: Mapping[str, Any], column: str) -> str:
    value = row.get(column)
    return value.strip() if isinstance(value, str) else ""


def _flag(row: Mapping[str, Any], column: str, default: bool) -> bool:
    value = row.get(column)
    return value if isinstance(value, bool) else default


def _digits(row: Mapping[str, Any], column: str) -> str:
    """A digits column as an admin typed it, in any digit script, read as ASCII digits (X-05)."""
    return digit_setting(_text(row, column))


def _is_dtmf(text: str) -> bool:
    return text.isascii() and text.replace("*", "").replace("#", "").isdigit()


def _split_list(text: str) -> list[str]:
    """Items separated by commas (Latin or Persian ``،``), semicolons or new lines."""
    text = text.replace("\u060c", ",").replace(";", ",").replace("\n", ",")
    return [part.strip() for part in text.split(",") if part.strip()]
