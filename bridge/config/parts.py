"""The optional parts of ``bridge.toml``: console, recordings, click-to-call and number matching.

CALL-02, CALL-03, CALL-16, CALL-28, CALL-29. Each table is validated like the
rest of the file (every problem at once, with its key path; secrets as
``<name>_env`` / ``<name>_file`` references, never echoed) and turned into the
settings object its part already defines:

* ``[console]`` → :class:`bridge.console.settings.ConsoleSettings` (host and port from
  ``[bridge] console_listen`` unless given here; ``[[console.users]]`` with
  ``token_env`` / ``token_file``);
* ``[systems.<key>.recordings]`` → :class:`connectors.recordings.sftp.SftpSettings`
  (``kind = "sftp"``), :class:`connectors.recordings.ftp.FtpSettings` (``kind = "ftp"``)
  or :class:`FolderRecordings` (``kind = "folder"``), plus the
  fetch timings as a :class:`bridge.recordings.policy.RecordingPolicy` (defaults for those not given);
* ``[click_to_call]`` → one :class:`bridge.click_to_call.intake.ClickToCallSettings` per environment
  served;
* ``[matching]`` → :class:`MatchingSection`, the tables and phone columns the
  number index holds (default: :data:`services.matching.tables.DEFAULT_TABLES`, every
  phone column of contact, account, lead and systemuser, as the SMS services match).

A part whose table is absent is off (recordings, console, click-to-call); the
number index is on unless ``[matching] enabled = false``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bridge.click_to_call.intake import ClickToCallSettings
from bridge.config.refs import describe_validation, take_secret, type_name
from bridge.console.settings import ConsoleSettings
from bridge.recordings.policy import RecordingPolicy
from bridge.runtime.updates import UpdateSettings
from connectors.recordings.ftp import FtpSettings
from connectors.recordings.recorder_names import DEFAULT_PATTERN, RecorderNaming, recorder_lines
from connectors.recordings.sftp import SftpSettings
from services.matching.tables import DEFAULT_TABLES, OWNER_COLUMN, MatchedTable, matched_table

_SFTP_SECRETS = ("password", "private_key", "passphrase")
_POLICY = RecordingPolicy()
#: Dataverse's largest attachment (128 MB, when an admin raises the 5 MB default).
MAX_ATTACH_LIMIT_BYTES = 128 * 1024 * 1024


@dataclass(frozen=True)
class FolderRecordings:
    """Recordings read from a folder the bridge host sees (a mount or a local spool)."""

    root: Path


class _RecordingTimings(BaseModel):
    """The fetch timings of ``[systems.<key>.recordings]``: seconds, bytes and a count; strict numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    first_delay_s: float = Field(default=_POLICY.first_delay_s, ge=0, le=3600)
    retry_base_s: float = Field(default=_POLICY.retry_base_s, gt=0, le=3600)
    retry_max_s: float = Field(default=_POLICY.retry_max_s, gt=0, le=3600)
    give_up_after_s: float = Field(default=_POLICY.give_up_after_s, gt=0, le=7 * 86400)
    stable_wait_s: float = Field(default=_POLICY.stable_wait_s, ge=0, le=600)
    attach_limit_bytes: int = Field(default=_POLICY.attach_limit_bytes, ge=1, le=MAX_ATTACH_LIMIT_BYTES)
    match_window_s: float = Field(default=_POLICY.match_window_s, gt=0, le=86400)
    max_parallel: int = Field(default=_POLICY.max_parallel, ge=1, le=32)

    @model_validator(mode="after")
    def _backoff_grows(self) -> _RecordingTimings:
        if self.retry_max_s < self.retry_base_s:
            raise ValueError(
                f"retry_max_s ({self.retry_max_s:g}) must be at least retry_base_s "
                f"({self.retry_base_s:g}): the wait between looks doubles up to retry_max_s"
            )
        return self


class _ClickToCallServed(BaseModel):
    """The keys of ``[click_to_call]`` that say where the intake runs; the rest are :class:`ClickToCallSettings`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    environments: tuple[str, ...] = ()


class _MatchingTableRow(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, pattern=r"^[a-z][a-z0-9_]{0,99}$")
    columns: tuple[str, ...] = ()
    entity_set: str | None = None
    primary_id: str | None = None
    name_column: str | None = None
    owner_column: str | None = None
    organisation_owned: bool = False
    track_changes: bool = True


class _MatchingTable(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    enabled: bool = True
    refresh_s: float = Field(default=60.0, ge=5, le=86400)
    tables: tuple[_MatchingTableRow, ...] = ()


@dataclass(frozen=True)
class MatchingSection:
    """``[matching]``: whether the number index runs, how often it asks for changes, and what it indexes."""

    enabled: bool = True
    refresh_s: float = 60.0
    tables: tuple[MatchedTable, ...] = DEFAULT_TABLES


def console_section(
    raw: object, console_listen: tuple[str, int] | None, environ: Mapping[str, str], problems: list[str]
) -> ConsoleSettings | None:
    """``[console]`` as :class:`ConsoleSettings`; ``None`` when absent or invalid (problems added)."""
    if raw is None:
        return None
    table = _table(raw, "console", problems)
    if table is None:
        return None
    table = dict(table)
    if console_listen is not None:
        table.setdefault("host", console_listen[0])
        table.setdefault("port", console_listen[1])
    users = table.get("users", [])
    if not isinstance(users, list):
        problems.append(f"console.users: expected an array of tables ([[console.users]]), got {type_name(users)}")
        return None
    resolved = []
    for n, user in enumerate(users):
        user_table = _table(user, f"console.users.{n}", problems)
        if user_table is not None:
            user_table = dict(user_table)
            take_secret(user_table, "token", f"console.users.{n}", environ, problems)
            resolved.append(user_table)
    table["users"] = resolved
    return _validate(
        ConsoleSettings,
        table,
        "console",
        problems,
        allowed=[*ConsoleSettings.model_fields, "users[].token_env", "users[].token_file"],
    )


def updates_section(raw: object, problems: list[str]) -> UpdateSettings | None:
    """``[updates]`` (CALL-44): the release feed and its key; ``None`` when absent or invalid (problems added)."""
    table = None if raw is None else _table(raw, "updates", problems)
    if table is None:
        return None
    return _validate(UpdateSettings, table, "updates", problems, allowed=[*UpdateSettings.model_fields])


def recordings_section(
    system_key: str,
    raw: object,
    environ: Mapping[str, str],
    problems: list[str],
) -> tuple[SftpSettings | FtpSettings | FolderRecordings | None, RecordingPolicy]:
    """``[systems.<key>.recordings]``: an SFTP or FTP server or a folder (``None`` when absent or invalid) and the
    fetch timings (the defaults when absent or invalid; problems added)."""
    where = f"systems.{system_key}.recordings"
    if raw is None:
        return None, _POLICY
    table = _table(raw, where, problems)
    if table is None:
        return None, _POLICY
    table = dict(table)
    timings = {name: table.pop(name) for name in list(table) if name in _RecordingTimings.model_fields}
    policy = _recording_policy(timings, where, problems)
    recorder = _recorder(table.pop("recorder_name_pattern", None), table.pop("recorder_lines", None), where, problems)
    if recorder is not None:
        policy = dataclasses.replace(policy, recorder=recorder)
    return _recording_store(system_key, table, where, environ, problems), policy


def _recorder(pattern: object, lines: object, where: str, problems: list[str]) -> RecorderNaming | None:
    """A per-line recorder box's naming (CALL-37): on when ``recorder_name_pattern`` is given."""
    if pattern is None and lines is None:
        return None
    if pattern is None:
        pattern = DEFAULT_PATTERN
    if not isinstance(pattern, str) or (lines is not None and not isinstance(lines, Mapping)):
        problems.append(f"{where}: recorder_name_pattern is text and recorder_lines a table of line = number")
        return None
    try:
        return RecorderNaming(pattern, recorder_lines(lines or {}))
    except ValueError as exc:
        problems.append(f"{where}: {exc}")
        return None


def _recording_policy(timings: Mapping[str, Any], where: str, problems: list[str]) -> RecordingPolicy:
    parsed = _validate(_RecordingTimings, timings, where, problems, allowed=[*_RecordingTimings.model_fields])
    return _POLICY if parsed is None else RecordingPolicy(**parsed.model_dump())


def _recording_store(
    system_key: str, table: dict[str, Any], where: str, environ: Mapping[str, str], problems: list[str]
) -> SftpSettings | FtpSettings | FolderRecordings | None:
    timings = list(_RecordingTimings.model_fields)
    kind = table.pop("kind", None)
    if kind == "folder":
        extra = sorted(set(table) - {"root"})
        if extra:
            problems.append(
                f"{where}: unknown key {', '.join(extra)} (a folder store takes root and the timings "
                f"{', '.join(timings)})"
            )
        root = table.get("root")
        if not isinstance(root, str) or not root:
            problems.append(f"{where}.root: required for kind 'folder' (the mounted folder's path)")
            return None
        return None if extra else FolderRecordings(Path(root))
    if kind == "ftp":
        take_secret(table, "password", where, environ, problems)
        allowed = [f for f in FtpSettings.model_fields if f not in ("system", "password")]
        return _validate(
            FtpSettings,
            {"system": system_key, **table},
            where,
            problems,
            allowed=[*allowed, "kind", *timings, "password_env", "password_file"],
        )
    if kind != "sftp":
        problems.append(
            f"{where}.kind: required; 'sftp' (the PBX's recordings over SSH), 'ftp' (FTP / FTPS) or 'folder'"
        )
        return None
    for secret in _SFTP_SECRETS:
        take_secret(table, secret, where, environ, problems)
    allowed = [f for f in SftpSettings.model_fields if f not in ("system", *_SFTP_SECRETS)]
    return _validate(
        SftpSettings,
        {"system": system_key, **table},
        where,
        problems,
        allowed=[
            *allowed,
            "kind",
            *timings,
            *(f"{s}_env" for s in _SFTP_SECRETS),
            *(f"{s}_file" for s in _SFTP_SECRETS),
        ],
    )


def click_to_call_section(
    raw: object, environments: set[str], environ: Mapping[str, str], problems: list[str]
) -> tuple[ClickToCallSettings, ...]:
    """``[click_to_call]``: one :class:`ClickToCallSettings` per environment served (every declared one unless
    ``environments`` names some); empty when absent, turned off or invalid (problems added)."""
    table = _table(raw, "click_to_call", problems) if raw is not None else None
    if table is None:
        return ()
    table = dict(table)
    served_keys = {name: table.pop(name) for name in list(table) if name in _ClickToCallServed.model_fields}
    served = _validate(_ClickToCallServed, served_keys, "click_to_call", problems, allowed=[])
    if not _service_bus_secret(table, environ, problems) or served is None:
        return ()
    unknown = [env for env in served.environments if env not in environments]
    if unknown:
        problems.append(f"click_to_call.environments: no [environments.<name>] table for {', '.join(unknown)}")
        return ()
    names = served.environments or tuple(sorted(environments))
    if table.get("service_bus") is not None and len(names) != 1:
        problems.append(
            "click_to_call.service_bus: a queue belongs to one Dataverse environment; list exactly "
            "that one in click_to_call.environments"
        )
        return ()
    if "environment" in table:
        problems.append(
            "click_to_call.environment: unknown key; the environments served are listed in click_to_call.environments"
        )
        return ()
    allowed = [
        *(f for f in ClickToCallSettings.model_fields if f != "environment"),
        *_ClickToCallServed.model_fields,
        "service_bus.connection_string_env",
        "service_bus.connection_string_file",
    ]
    first = (
        _validate(ClickToCallSettings, {**table, "environment": names[0]}, "click_to_call", problems, allowed=allowed)
        if names
        else None
    )
    if first is None or not served.enabled:
        return ()
    return (first, *(first.model_copy(update={"environment": env}) for env in names[1:]))


def _service_bus_secret(table: dict[str, Any], environ: Mapping[str, str], problems: list[str]) -> bool:
    """Resolve ``[click_to_call.service_bus]``'s connection string in place; False when the table is not one."""
    bus = table.get("service_bus")
    if bus is None:
        return True
    bus_table = _table(bus, "click_to_call.service_bus", problems)
    if bus_table is None:
        return False
    bus_table = dict(bus_table)
    take_secret(bus_table, "connection_string", "click_to_call.service_bus", environ, problems)
    table["service_bus"] = bus_table
    return True


def matching_section(raw: object, problems: list[str]) -> MatchingSection | None:
    """``[matching]``: defaults when absent; a table named in ``[[matching.tables]]`` fills what it omits
    from the schema (for a table it knows: its ids, name column, owner and every phone column)."""
    if raw is None:
        return MatchingSection()
    table = _table(raw, "matching", problems)
    parsed = (
        _validate(_MatchingTable, table, "matching", problems, allowed=[*_MatchingTable.model_fields])
        if table is not None
        else None
    )
    if parsed is None:
        return None
    before = len(problems)
    tables = tuple(_matched(row, f"matching.tables.{n}", problems) for n, row in enumerate(parsed.tables))
    names = [t.name for t in tables if t is not None]
    if len(set(names)) != len(names):
        problems.append("matching.tables: each table may be listed once")
    if len(problems) > before:
        return None
    return MatchingSection(parsed.enabled, parsed.refresh_s, tuple(t for t in tables if t) or DEFAULT_TABLES)


def _matched(row: _MatchingTableRow, where: str, problems: list[str]) -> MatchedTable | None:
    schema = _schema_table(row.name)
    known = matched_table(schema) if schema is not None else None  # what the schema declares, as by default
    entity_set = row.entity_set or (known.entity_set if known else None)
    primary_id = row.primary_id or (known.primary_id if known else None)
    columns = row.columns or (known.columns if known else ())
    if not entity_set or not primary_id:
        problems.append(f"{where}: table {row.name!r} is not known; give entity_set and primary_id")
        return None
    if not columns:
        problems.append(f"{where}.columns: name the phone columns to index")
        return None
    name_column = row.name_column or (known.name_column if known else None)
    owner = None if row.organisation_owned else (row.owner_column or (known.owner_column if known else OWNER_COLUMN))
    return MatchedTable(row.name, entity_set, primary_id, columns, name_column or None, owner, row.track_changes)


def _schema_table(name: str) -> Any:
    import dataverse_schema

    try:
        return dataverse_schema.table(name)
    except (KeyError, LookupError, ValueError):
        return None


def _table(value: object, where: str, problems: list[str]) -> dict[str, Any] | None:
    if isinstance(value, dict):
        return value
    problems.append(f"{where}: expected a table, got {type_name(value)}")
    return None


def _validate(
    model: type[BaseModel], fields: Mapping[str, Any], where: str, problems: list[str], *, allowed: list[str]
) -> Any:
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        problems.extend(describe_validation(exc, where, allowed=allowed))
        return None
