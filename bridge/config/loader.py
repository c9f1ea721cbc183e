"""Reads the bridge's local file (``bridge.toml``) into a :class:`~bridge.config.model.BridgeConfig`: only what
must stay on-prem (CALL-14, CALL-26, CALL-27).

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
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bridge.config.fax import fax_section
from bridge.config.kinds import build_kind
from bridge.config.model import (
    DEFAULT_BATCH_SIZE,
    BridgeConfig,
    BridgeSection,
    ConfigError,
    EnvironmentConfig,
    SystemConfig,
)
from bridge.config.notices import notices_section
from bridge.config.parts import (
    MatchingSection,
    click_to_call_section,
    console_section,
    matching_section,
    recordings_section,
    updates_section,
)
from bridge.config.refs import describe_validation, take_secret, type_name
from bridge.config.sms import sms_section
from bridge.outbox.drainer import MAX_BATCH_SIZE
from connectors.dataverse import DataverseSettings
from connectors.settings import Secret
from domain.calls.unclassified import UnclassifiedPolicy
from domain.digits import digit_setting
from domain.numbers import NumberPlan

MAX_CONFIG_BYTES = 1024 * 1024
_DATAVERSE_SECRETS = ("client_secret", "client_cert_passphrase", "static_token", "password")
_FILE_KEY_OF = {
    "COMMS_DATAVERSE_URL": "url",
    "COMMS_TENANT_ID": "tenant_id",
    "COMMS_CLIENT_ID": "client_id",
    "COMMS_CLIENT_SECRET": "client_secret_env / client_secret_file",
    "COMMS_CLIENT_CERT_PATH": "client_cert_path",
    "COMMS_DATAVERSE_STATIC_TOKEN": "static_token_env",
    "COMMS_DATAVERSE_AUTH": "auth",
    "COMMS_DATAVERSE_USERNAME": "username",
    "COMMS_DATAVERSE_PASSWORD": "password_env / password_file",
    "COMMS_ADFS_TOKEN_URL": "adfs_token_url",
    "COMMS_ADFS_RESOURCE": "adfs_resource",
}
_COMMS_VARIABLE = re.compile("|".join(sorted(_FILE_KEY_OF, key=len, reverse=True)))
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


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
    unclassified: UnclassifiedPolicy = UnclassifiedPolicy.SKIP
    early_write: bool = False
    plan: _PlanTable = _PlanTable()
    ami: dict[str, Any] = {}
    serial: dict[str, Any] | None = None
    smdr: dict[str, Any] = {}
    callerid: dict[str, Any] = {}
    recordings: dict[str, Any] | None = None


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
        problems.append(
            f"{', '.join(unknown)}: unknown top-level key; allowed: [bridge], [environments.<name>], "
            "[systems.<key>], [console], [click_to_call], [matching], [fax], [sms], [notices]"
        )
    bridge = _bridge_section(document.get("bridge", {}), problems)
    environments = _environments(document.get("environments", {}), environ, problems)
    systems = _systems(document.get("systems", {}), environ, problems)
    declared = set(document["environments"]) if isinstance(document.get("environments"), dict) else set()
    parts = _parts(document, bridge, declared, environ, problems)
    parts["sms"] = sms_section(
        document.get("sms"), {n: e.dataverse for n, e in environments.items()}, environ, problems
    )
    if not document.get("systems") and document.get("sms") is None and document.get("fax") is None:
        problems.append(
            "systems: no telephony system is configured and no [sms] or [fax] part; add "
            "[systems.<key>] tables (a PBX), an [sms] table (SMS without Azure), a [fax] table, or several"
        )
    for system in systems.values():
        for env in system.environments:
            if env not in declared:
                problems.append(f"systems.{system.key}.environments: no [environments.{env}] table is defined")
    if problems or bridge is None:
        raise ConfigError(name, problems)
    journal = {"raw_journal": bridge.raw_journal_path, "raw_journal_days": bridge.raw_journal_days}
    systems = {key: dataclasses.replace(system, **journal) for key, system in systems.items()}
    return BridgeConfig(name, bridge, environments, systems, **parts)


_PARTS = ("console", "click_to_call", "matching", "fax", "sms", "notices", "updates")


def _parts(
    document: Mapping[str, Any],
    bridge: BridgeSection | None,
    environments: set[str],
    environ: Mapping[str, str],
    problems: list[str],
) -> dict[str, Any]:
    listen = bridge.console_address if bridge is not None else None
    return {
        "console": console_section(document.get("console"), listen and (listen.host, listen.port), environ, problems),
        "click_to_call": click_to_call_section(document.get("click_to_call"), environments, environ, problems),
        "matching": matching_section(document.get("matching"), problems) or MatchingSection(),
        "fax": fax_section(document.get("fax"), environments, environ, problems),
        "notices": notices_section(document.get("notices"), problems),
        "updates": updates_section(document.get("updates"), problems),
    }


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
            allowed = [
                *DataverseSettings.model_fields,
                "batch_size",
                *(f"{name}_{way}" for name in _DATAVERSE_SECRETS for way in ("env", "file")),
            ]
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
    found = {}
    for key, value in tables.items():
        where = f"systems.{key}"
        table = _table(value, where, problems)
        if table is None:
            continue
        if not _KEY.match(key):
            problems.append(
                f"{where}: a system key is letters, digits, '.', '_' or '-' (at most 100), "
                "as on its telephony-system record"
            )
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
    return SystemConfig(
        key=key,
        kind=table.kind,
        environments=table.environments,
        name=table.name or key,
        plan=plan,
        hidden_extensions=frozenset(map(digit_setting, table.hidden_extensions)),
        unclassified=table.unclassified,
        early_write=table.early_write,
        **options,
    )


def _plan(table: _SystemTable, where: str, problems: list[str]) -> NumberPlan | None:
    try:
        return NumberPlan(**table.plan.model_dump())
    except ValueError as exc:
        problems.append(f"{where}.plan: {exc}")
        return None
