"""``[fax]`` of ``bridge.toml``: the fax servers this bridge serves (FAX-02, -16, -20).

Each ``[fax.servers.<key>]`` names the server's key (as on its CRM row), its
``kind`` (a key of ``connectors.fax.SERVERS``), the Dataverse ``environment``
its faxes live in, the poll intervals, and the connector's own settings
(``host``, ``port``, ``user``, ``password`` / ``_env`` / ``_file``, ...).
``[fax]`` itself may set ``push_key`` (``_env`` / ``_file``): the key a Dataverse
webhook step sends to the daemon's ``/fax/push`` on ``listen`` (default
``127.0.0.1:9111``; ``bridge/fax/push.py``); without it faxes are found by polling only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bridge.config.refs import describe_validation, take_secret, type_name
from connectors.fax.hylafax import HylaFaxSettings
from connectors.fax.myfax import MyFaxSettings
from connectors.fax.windows import WindowsFaxSettings
from connectors.settings import Secret

_SECRETS = ("password", "admin_password", "access_token")
DEFAULT_FAX_LISTEN = "127.0.0.1:9111"
_PUSH_KEYS = ("push_key", "push_key_env", "push_key_file")
#: Each kind's connector settings model (its class and the settings it is built from).
SETTINGS: dict[str, type[BaseModel]] = {
    "hylafax": HylaFaxSettings,
    "myfax": MyFaxSettings,
    "windows": WindowsFaxSettings,
}


class FaxPolling(BaseModel):
    """How often a fax server's worker looks: pending faxes, open jobs' status, the receive queue."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    send_interval_s: float = Field(default=15.0, ge=1, le=3600)
    status_interval_s: float = Field(default=60.0, ge=5, le=3600)
    receive_interval_s: float = Field(default=60.0, ge=5, le=3600)
    receive: bool = True


@dataclass(frozen=True)
class FaxServerConfig:
    """One ``[fax.servers.<key>]``: the connector's validated settings object and the worker's timings."""

    key: str
    kind: str
    environment: str
    settings: Any
    polling: FaxPolling


@dataclass(frozen=True)
class FaxSection:
    servers: Mapping[str, FaxServerConfig]
    listen: str = DEFAULT_FAX_LISTEN  # checked with bridge.config.model.parse_listen
    push_key: Secret | None = None


def fax_section(
    raw: object, environments: set[str], environ: Mapping[str, str], problems: list[str]
) -> FaxSection | None:
    """``[fax]``: None when absent; problems named by their key path, all at once."""
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("servers", {}), dict):
        problems.append(f"fax: expected a table with [fax.servers.<key>] tables, got {type_name(raw)}")
        return None
    unknown = sorted(set(raw) - {"servers", "listen", *_PUSH_KEYS})
    if unknown:
        problems.append(f"fax: unknown key(s) {', '.join(unknown)}; allowed: servers, listen, {', '.join(_PUSH_KEYS)}")
        return None
    push = {key: raw[key] for key in _PUSH_KEYS if key in raw}
    take_secret(push, "push_key", "fax", environ, problems)
    listen = _listen(raw.get("listen", DEFAULT_FAX_LISTEN), problems)
    servers = {}
    for key, table in raw.get("servers", {}).items():
        server = _server(str(key), table, environments, environ, problems)
        if server is not None:
            servers[server.key] = server
    if not servers and not problems:
        problems.append("fax: no [fax.servers.<key>] table; remove [fax] to turn faxing off")
    push_key = push.get("push_key")
    return FaxSection(servers, listen or DEFAULT_FAX_LISTEN, push_key if isinstance(push_key, Secret) else None)


def _listen(raw: object, problems: list[str]) -> str | None:
    from bridge.config.model import parse_listen  # model imports this module

    try:
        parse_listen(raw if isinstance(raw, str) else "")
    except ValueError as exc:
        problems.append(f"fax.listen: {exc}")
        return None
    return str(raw)


def _server(
    key: str, raw: object, environments: set[str], environ: Mapping[str, str], problems: list[str]
) -> FaxServerConfig | None:
    where = f"fax.servers.{key}"
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table, got {type_name(raw)}")
        return None
    table = dict(raw)
    kind, environment = table.pop("kind", None), table.pop("environment", None)
    if kind not in SETTINGS:
        problems.append(f"{where}.kind: required; one of {', '.join(sorted(SETTINGS))}")
        return None
    if environment not in environments:
        problems.append(f"{where}.environment: required; the name of an [environments.<name>] table")
        return None
    polling_fields = {name: table.pop(name) for name in list(table) if name in FaxPolling.model_fields}
    for name in _SECRETS:
        take_secret(table, name, where, environ, problems)
    try:
        polling = FaxPolling.model_validate(polling_fields)
        settings = SETTINGS[kind].model_validate(table)
    except ValidationError as exc:
        problems.extend(
            describe_validation(exc, where, allowed=[*FaxPolling.model_fields, *SETTINGS[kind].model_fields])
        )
        return None
    return FaxServerConfig(key, kind, environment, settings, polling)
