"""The bridge's local file (``bridge.toml``): only what must stay on-prem (CALL-14, CALL-26, CALL-27).

Per telephony system: its key (the key of its telephony-system record in the
CRM), its kind (``ami``, ``smdr-serial``, ``smdr-tcp``, ``callerid-serial``),
the device's address / port / serial settings and credentials, and the
Dataverse environments it writes to. Per environment: its URL and
credentials. Everything an admin changes day to day (numbering, extensions,
users, lines) lives in the CRM; the ``plan`` here is only the fallback used
until the CRM's settings are read. See ``deploy/bridge.example.toml``.

:func:`load_config` reports every problem at once, each as
``<file>: <key path>: <what is wrong>``, and never echoes a secret.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bridge.click_to_call.intake import ClickToCallSettings
from bridge.config.kinds import build_kind
from bridge.config.parts import (
    FolderRecordings,
    MatchingSection,
    click_to_call_section,
    console_section,
    matching_section,
    recordings_section,
)
from bridge.config.refs import describe_validation, take_secret, type_name
from bridge.console.settings import ConsoleSettings
from bridge.outbox.drainer import MAX_BATCH_SIZE
from bridge.recordings.fetcher import RecordingPolicy
from connectors.dataverse import DataverseSettings
from connectors.pbx.ami.settings import AmiSettings
from connectors.pbx.smdr.profile import SmdrProfile
from connectors.pbx.smdr.tcp import SmdrTcpSettings
from connectors.pbx.transport.serial_link import SerialSettings
from connectors.recordings.sftp import SftpSettings
from connectors.settings import Secret
from domain.numbers import NumberPlan

MAX_CONFIG_BYTES = 1024 * 1024
KINDS = ("ami", "smdr-serial", "smdr-tcp", "callerid-serial")
#: Listener factories loaded when ``[bridge] listeners`` is not given: every part of the bridge. A part
#: whose table is absent from the file stays off (each says so at INFO).
DEFAULT_LISTENERS: tuple[str, ...] = (
    "bridge.plugins.numbers:from_bridge",
    "bridge.plugins.call_logging:from_bridge",
    "bridge.plugins.notifications:from_bridge",
    "bridge.plugins.autoregister:from_bridge",
    "bridge.plugins.recordings:from_bridge",
    "bridge.plugins.console:from_bridge",
    "bridge.plugins.click_to_call:from_bridge",
)
#: Listener factories that no longer exist, and what replaced them (named in the error a stale file gets).
RENAMED_LISTENERS: dict[str, tuple[str, ...]] = {
    "bridge.plugins.notices:from_bridge": ("bridge.plugins.notifications:from_bridge",
                                           "bridge.plugins.autoregister:from_bridge"),
}
#: The settings source used when ``[bridge] settings_source`` is not given: the CRM, with the file as fallback.
DEFAULT_SETTINGS_SOURCE = "bridge.plugins.crm_settings:from_bridge"
#: Raw SMDR / caller-ID frames are kept this many days by default (``[bridge] raw_journal_days``).
DEFAULT_RAW_JOURNAL_DAYS = 30
#: Upserts per ``$batch`` a drainer sends by default (``[environments.<name>] batch_size``).
DEFAULT_BATCH_SIZE = 100
_DATAVERSE_SECRETS = ("client_secret", "client_cert_passphrase", "static_token")
_FILE_KEY_OF = {"COMMS_DATAVERSE_URL": "url", "COMMS_TENANT_ID": "tenant_id", "COMMS_CLIENT_ID": "client_id",
                "COMMS_CLIENT_SECRET": "client_secret_env / client_secret_file",
                "COMMS_CLIENT_CERT_PATH": "client_cert_path", "COMMS_DATAVERSE_STATIC_TOKEN": "static_token_env"}
_COMMS_VARIABLE = re.compile("|".join(sorted(_FILE_KEY_OF, key=len, reverse=True)))
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_FACTORY = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


class ConfigError(ValueError):
    """``bridge.toml`` cannot be used; ``problems`` lists every reason, each naming its key path."""

    def __init__(self, path: str, problems: list[str]):
        self.path = path
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{path}: {count}:\n" + "\n".join(f"  - {path}: {p}" for p in problems))


@dataclass(frozen=True)
class ListenAddress:
    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_listen(text: str) -> ListenAddress:
    """``"127.0.0.1:9108"`` or ``"[::1]:9108"`` → a :class:`ListenAddress`; ``ValueError`` otherwise."""
    match = re.fullmatch(r"\[([0-9A-Fa-f:.]+)\]:(\d{1,5})|([A-Za-z0-9.-]+):(\d{1,5})", text.strip())
    if not match:
        raise ValueError(f"expected host:port such as 127.0.0.1:9108, got {text!r}")
    host = match.group(1) or match.group(3)
    port = int(match.group(2) or match.group(4))
    if port > 65535:
        raise ValueError(f"port {port} is outside 0-65535 (0 picks any free port)")
    return ListenAddress(host, port)


class BridgeSection(BaseModel):
    """``[bridge]``: the process itself. Times in seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outbox: Path = Path("/var/lib/commsuite/outbox.db")
    health_listen: str = "127.0.0.1:9108"
    console_listen: str = "127.0.0.1:9109"
    settings_refresh_s: float = Field(default=300.0, ge=1, le=86400)
    sweep_interval_s: float = Field(default=30.0, gt=0, le=3600)
    shutdown_timeout_s: float = Field(default=20.0, gt=0, le=600)
    listeners: tuple[str, ...] = DEFAULT_LISTENERS
    settings_source: str = DEFAULT_SETTINGS_SOURCE
    raw_journal: Path | None = None
    raw_journal_days: float = Field(default=DEFAULT_RAW_JOURNAL_DAYS, gt=0, le=3650)

    @field_validator("health_listen", "console_listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        parse_listen(value)
        return value

    @field_validator("listeners")
    @classmethod
    def _factories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [spec for spec in value if not _FACTORY.match(spec)]
        if bad:
            raise ValueError(f"each listener is 'package.module:factory'; not understood: {', '.join(bad)}")
        renamed = [f"{spec} was split into {' and '.join(RENAMED_LISTENERS[spec])}; list those instead"
                   for spec in value if spec in RENAMED_LISTENERS]
        if renamed:
            raise ValueError("; ".join(renamed))
        return value

    @field_validator("settings_source")
    @classmethod
    def _source(cls, value: str) -> str:
        if value and not _FACTORY.match(value):
            raise ValueError("settings_source is 'package.module:factory'")
        return value

    @property
    def raw_journal_path(self) -> Path:
        """Where raw frames are journalled: ``raw_journal``, else ``raw-frames.db`` beside the outbox."""
        return self.raw_journal or Path(self.outbox).with_name("raw-frames.db")

    @property
    def health_address(self) -> ListenAddress:
        return parse_listen(self.health_listen)

    @property
    def console_address(self) -> ListenAddress:
        return parse_listen(self.console_listen)


@dataclass(frozen=True)
class EnvironmentConfig:
    """``[environments.<name>]``: how to reach one Dataverse environment, and the drainer's batch size.

    The table's keys are those of :class:`~connectors.dataverse.DataverseSettings` (secrets as
    ``<name>_env`` / ``<name>_file``) plus ``batch_size``.
    """

    dataverse: DataverseSettings
    batch_size: int = DEFAULT_BATCH_SIZE


class _PlanTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    country_code: int = 98
    city_code: str = "21"
    line_release_prefix: str = ""
    min_digits: int = 5


class _SystemTable(BaseModel):
    """The keys every ``[systems.<key>]`` table may have; kind-specific tables are checked afterwards."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    kind: Literal["ami", "smdr-serial", "smdr-tcp", "callerid-serial"]
    name: str = ""
    environments: tuple[str, ...] = Field(min_length=1)
    host: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    username: str | None = Field(default=None, min_length=1)
    password: Secret | None = None
    hidden_extensions: tuple[str, ...] = ()
    plan: _PlanTable = _PlanTable()
    ami: dict[str, Any] = {}
    serial: dict[str, Any] | None = None
    smdr: dict[str, Any] = {}
    callerid: dict[str, Any] = {}
    recordings: dict[str, Any] | None = None


@dataclass(frozen=True)
class SystemConfig:
    """One telephony system as the bridge runs it; its repr is safe to log (secrets print as ``'***'``)."""

    key: str
    kind: str
    environments: tuple[str, ...]
    name: str = ""
    plan: NumberPlan = field(default_factory=NumberPlan)
    hidden_extensions: frozenset[str] = frozenset()
    ami: AmiSettings | None = None
    serial: SerialSettings | None = None
    smdr_tcp: SmdrTcpSettings | None = None
    smdr_profile: SmdrProfile | None = None
    encoding: str = "utf-8"
    callerid: Any = None  # connectors.pbx.callerid.connector.CallerIdSettings, imported only when used
    recordings: SftpSettings | FolderRecordings | None = None
    recording_policy: RecordingPolicy = field(default_factory=RecordingPolicy)
    raw_journal: Path | None = None
    raw_journal_days: float = DEFAULT_RAW_JOURNAL_DAYS


@dataclass(frozen=True)
class BridgeConfig:
    path: str
    bridge: BridgeSection
    environments: Mapping[str, EnvironmentConfig]
    systems: Mapping[str, SystemConfig]
    console: ConsoleSettings | None = None
    click_to_call: tuple[ClickToCallSettings, ...] = ()
    matching: MatchingSection = field(default_factory=MatchingSection)


def load_config(path: str | Path, environ: Mapping[str, str]) -> BridgeConfig:
    """Read and validate ``path``; ``environ`` resolves ``*_env`` references. Raises :class:`ConfigError`."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(name, [f"cannot read the file ({exc.strerror or exc})"]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(name, [f"the file is larger than {MAX_CONFIG_BYTES // 1024} KiB; is it the right file?"])
    return parse_config(data, name, environ)


def parse_config(data: bytes, name: str, environ: Mapping[str, str]) -> BridgeConfig:
    """Validate the bytes of a ``bridge.toml`` (``name`` is used in messages)."""
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(name, ["the file is not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(name, [f"not valid TOML: {exc}"]) from None
    except RecursionError:  # tomllib recurses once per nesting level of arrays and inline tables
        raise ConfigError(name, ["arrays or inline tables are nested too deeply"]) from None
    problems: list[str] = []
    unknown = sorted(set(document) - {"bridge", "environments", "systems", *_PARTS})
    if unknown:
        problems.append(f"{', '.join(unknown)}: unknown top-level key; allowed: [bridge], [environments.<name>], "
                        "[systems.<key>], [console], [click_to_call], [matching]")
    bridge = _bridge_section(document.get("bridge", {}), problems)
    environments = _environments(document.get("environments", {}), environ, problems)
    systems = _systems(document.get("systems", {}), environ, problems)
    declared = set(document["environments"]) if isinstance(document.get("environments"), dict) else set()
    parts = _parts(document, bridge, declared, environ, problems)
    for system in systems.values():
        for env in system.environments:
            if env not in declared:
                problems.append(f"systems.{system.key}.environments: no [environments.{env}] table is defined")
    if problems or bridge is None:
        raise ConfigError(name, problems)
    journal = {"raw_journal": bridge.raw_journal_path, "raw_journal_days": bridge.raw_journal_days}
    systems = {key: dataclasses.replace(system, **journal) for key, system in systems.items()}
    return BridgeConfig(name, bridge, environments, systems, **parts)


_PARTS = ("console", "click_to_call", "matching")


def _parts(document: Mapping[str, Any], bridge: BridgeSection | None, environments: set[str],
           environ: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    listen = bridge.console_address if bridge is not None else None
    return {"console": console_section(document.get("console"), listen and (listen.host, listen.port),
                                       environ, problems),
            "click_to_call": click_to_call_section(document.get("click_to_call"), environments, environ, problems),
            "matching": matching_section(document.get("matching"), problems) or MatchingSection()}


def _table(value: object, where: str, problems: list[str]) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    problems.append(f"{where}: expected a table, got {type_name(value)}")
    return None


def _bridge_section(raw: object, problems: list[str]) -> BridgeSection | None:
    table = _table(raw, "bridge", problems)
    if table is None:
        return None
    try:
        return BridgeSection.model_validate(table)
    except ValidationError as exc:
        problems.extend(describe_validation(exc, "bridge", allowed=tuple(BridgeSection.model_fields)))
        return None


def _environments(raw: object, environ: Mapping[str, str], problems: list[str]) -> dict[str, EnvironmentConfig]:
    tables = _table(raw, "environments", problems) or {}
    found = {}
    for env_name, value in tables.items():
        where = f"environments.{env_name}"
        table = _table(value, where, problems)
        if table is None:
            continue
        if not _KEY.match(env_name):
            problems.append(f"{where}: a name is letters, digits, '.', '_' or '-' (at most 100)")
        table = dict(table)
        batch_size = _batch_size(table.pop("batch_size", DEFAULT_BATCH_SIZE), where, problems)
        for secret in _DATAVERSE_SECRETS:
            take_secret(table, secret, where, environ, problems)
        try:
            settings = DataverseSettings.model_validate(table)
        except ValidationError as exc:
            allowed = [*DataverseSettings.model_fields, "batch_size",
                       *(f"{name}_{way}" for name in _DATAVERSE_SECRETS for way in ("env", "file"))]
            problems.extend(_in_file_words(line) for line in describe_validation(exc, where, allowed=allowed))
            continue
        if batch_size is not None:
            found[env_name] = EnvironmentConfig(settings, batch_size)
    return found


def _batch_size(value: object, where: str, problems: list[str]) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_BATCH_SIZE:
        return value
    problems.append(f"{where}.batch_size: a whole number from 1 to {MAX_BATCH_SIZE} (upserts per $batch)")
    return None


def _in_file_words(line: str) -> str:
    """:class:`DataverseSettings` names its settings by their ``COMMS_*`` variables; the file has keys."""
    return _COMMS_VARIABLE.sub(lambda match: _FILE_KEY_OF[match.group(0)], line)


def _systems(raw: object, environ: Mapping[str, str], problems: list[str]) -> dict[str, SystemConfig]:
    tables = _table(raw, "systems", problems) or {}
    if not tables:
        problems.append("systems: no telephony system is configured; add a [systems.<key>] table")
    found = {}
    for key, value in tables.items():
        where = f"systems.{key}"
        table = _table(value, where, problems)
        if table is None:
            continue
        if not _KEY.match(key):
            problems.append(f"{where}: a system key is letters, digits, '.', '_' or '-' (at most 100), "
                            "as on its telephony-system record")
            continue
        table = dict(table)
        take_secret(table, "password", where, environ, problems)
        recordings, recording_policy = recordings_section(key, table.pop("recordings", None), environ, problems)
        try:
            common = _SystemTable.model_validate(table)
        except ValidationError as exc:
            allowed = [*_SystemTable.model_fields, "password_env", "password_file"]
            problems.extend(describe_validation(exc, where, allowed=allowed))
            continue
        built = _build_system(key, common, where, problems)
        if built is not None:
            found[key] = dataclasses.replace(built, recordings=recordings, recording_policy=recording_policy)
    return found


def _build_system(key: str, table: _SystemTable, where: str, problems: list[str]) -> SystemConfig | None:
    before = len(problems)
    plan = _plan(table, where, problems)
    options = build_kind(key, table, where, problems)
    if len(problems) > before or plan is None or options is None:
        return None
    return SystemConfig(key=key, kind=table.kind, environments=table.environments, name=table.name or key,
                        plan=plan, hidden_extensions=frozenset(table.hidden_extensions), **options)


def _plan(table: _SystemTable, where: str, problems: list[str]) -> NumberPlan | None:
    try:
        return NumberPlan(**table.plan.model_dump())
    except ValueError as exc:
        problems.append(f"{where}.plan: {exc}")
        return None


__all__ = ["KINDS", "BridgeConfig", "BridgeSection", "ConfigError", "EnvironmentConfig", "ListenAddress",
           "SystemConfig", "load_config", "parse_config", "parse_listen"]
