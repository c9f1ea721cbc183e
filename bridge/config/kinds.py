"""Per-kind checks of a ``[systems.<key>]`` table: which keys each device kind needs, built into its settings.

``ami`` needs ``host``, ``username`` and a password and takes AMI options in
``[systems.<key>.ami]``; ``smdr-tcp`` needs ``host`` (user ``SMDR`` and the
factory password unless given); ``smdr-serial`` and ``callerid-serial`` need a
``[systems.<key>.serial]`` table and take no network keys. Each problem is
appended with its key path; nothing is echoed.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from bridge.config.refs import describe_validation
from connectors.pbx.ami.settings import AmiSettings
from connectors.pbx.callerid.messages import PARSERS
from connectors.pbx.smdr.profile import Calendar, DateOrder, SmdrProfile
from connectors.pbx.smdr.tcp import SmdrTcpSettings
from connectors.pbx.transport.serial_link import SerialSettings
from domain.zones import UnknownZone, zone

if TYPE_CHECKING:
    from bridge.config.loader import _SystemTable

PROFILE_KEYS = ("model", "date_order", "calendar", "timezone", "encoding")
_NETWORK_KEYS = ("host", "port", "username", "password")


def build_kind(key: str, table: _SystemTable, where: str, problems: list[str]) -> dict[str, Any] | None:
    """The kind-specific fields of :class:`~bridge.config.model.SystemConfig`, or ``None`` after adding problems."""
    before = len(problems)
    builder = {"ami": _ami, "smdr-tcp": _smdr_tcp, "smdr-serial": _smdr_serial, "callerid-serial": _callerid_serial}[
        table.kind
    ]
    options = builder(key, table, where, problems)
    return options if len(problems) == before else None


def _ami(key: str, table: _SystemTable, where: str, problems: list[str]) -> dict[str, Any]:
    _refuse(table, where, problems, "serial", "smdr", "callerid")
    before = len(problems)
    for name, what in (
        ("host", "the PBX's address"),
        ("username", "the AMI user in manager.conf"),
        ("password", "password_env or password_file, the AMI user's secret"),
    ):
        if getattr(table, name) is None:
            problems.append(f"{where}.{name}: required for kind 'ami' ({what})")
    if len(problems) > before:
        return {}
    fields = {
        "system": key,
        "host": table.host,
        "port": table.port or 5038,
        "username": table.username,
        "secret": table.password,
        **table.ami,
    }
    settings = _validate(
        AmiSettings,
        fields,
        where,
        problems,
        rename={"secret": "password", **{k: f"ami.{k}" for k in table.ami}},
        allowed=[f for f in AmiSettings.model_fields if f not in ("system", "host", "port", "username", "secret")],
    )
    return {"ami": settings}


def _smdr_tcp(key: str, table: _SystemTable, where: str, problems: list[str]) -> dict[str, Any]:
    _refuse(table, where, problems, "serial", "ami", "callerid")
    if table.host is None:
        problems.append(f"{where}.host: required for kind 'smdr-tcp' (the KX-NS / NSX address)")
        return {}
    profile, encoding = _profile(table.smdr, f"{where}.smdr", problems)
    link_options = {k: v for k, v in table.smdr.items() if k not in PROFILE_KEYS}
    fields: dict[str, Any] = {"host": table.host, "port": table.port or 2300, **link_options}
    if table.username is not None:
        fields["user"] = table.username
    if table.password is not None:
        fields["password"] = table.password
    settings = _validate(
        SmdrTcpSettings,
        fields,
        where,
        problems,
        rename={"user": "username", **{k: f"smdr.{k}" for k in link_options}},
        allowed=[
            *PROFILE_KEYS,
            "connect_timeout_s",
            "login_timeout_s",
            "idle_timeout_s",
            "backoff_min_s",
            "backoff_max_s",
            "stable_after_s",
        ],
    )
    return {"smdr_tcp": settings, "smdr_profile": profile, "encoding": encoding}


def _smdr_serial(key: str, table: _SystemTable, where: str, problems: list[str]) -> dict[str, Any]:
    _refuse(table, where, problems, "ami", "callerid", *_NETWORK_KEYS)
    serial = _serial(table, where, problems)
    extra = sorted(set(table.smdr) - set(PROFILE_KEYS))
    if extra:
        problems.append(f"{where}.smdr: unknown key {', '.join(extra)} (allowed here: {', '.join(PROFILE_KEYS)})")
    profile, encoding = _profile(table.smdr, f"{where}.smdr", problems)
    return {"serial": serial, "smdr_profile": profile, "encoding": encoding}


def _callerid_serial(key: str, table: _SystemTable, where: str, problems: list[str]) -> dict[str, Any]:
    _refuse(table, where, problems, "ami", "smdr", *_NETWORK_KEYS)
    if table.serial is None:
        problems.append(f"[{where}.serial]: required for kind 'callerid-serial' (at least port = \"/dev/ttyUSB0\")")
        return {}
    try:
        from connectors.pbx.callerid.connector import CallerIdSettings
    except ImportError as exc:
        problems.append(
            f"{where}.kind: 'callerid-serial' needs connectors.pbx.callerid.connector, which cannot "
            f"be imported ({exc}); reinstall CommSuite"
        )
        return {}
    if "device" not in table.callerid:
        problems.append(f"{where}.callerid.device: required; one of {', '.join(sorted(PARSERS))}")
        return {}
    settings = _validate(
        CallerIdSettings,
        {"serial": table.serial, **table.callerid},
        where,
        problems,
        rename={k: f"callerid.{k}" for k in table.callerid},
        allowed=[f for f in CallerIdSettings.model_fields if f != "serial"],
    )
    return {"callerid": settings, "encoding": settings.encoding if settings else "ascii"}


def _refuse(table: _SystemTable, where: str, problems: list[str], *names: str) -> None:
    for name in names:
        if getattr(table, name) not in (None, {}):
            shown = f"[{where}.{name}]" if name in ("ami", "smdr", "serial", "callerid") else f"{where}.{name}"
            problems.append(f"{shown}: not used by kind '{table.kind}'; remove it")


def _serial(table: _SystemTable, where: str, problems: list[str]) -> SerialSettings | None:
    if table.serial is None:
        problems.append(f"[{where}.serial]: required for kind '{table.kind}' (at least port = \"/dev/ttyUSB0\")")
        return None
    return _validate(
        SerialSettings, table.serial, f"{where}.serial", problems, allowed=list(SerialSettings.model_fields)
    )


def _profile(table: Mapping[str, Any], where: str, problems: list[str]) -> tuple[SmdrProfile | None, str]:
    encoding = _encoding(table.get("encoding", "utf-8"), f"{where}.encoding", problems)
    zone_name = table.get("timezone", "UTC")
    try:
        timezone = zone(zone_name) if isinstance(zone_name, str) else None
    except UnknownZone:
        timezone = None
    if timezone is None:
        problems.append(f"{where}.timezone: unknown time zone; use an IANA name such as Asia/Tehran")
        return None, encoding
    try:
        profile = SmdrProfile(
            model=str(table.get("model", "KX-TDA")),
            date_order=DateOrder(table.get("date_order", "mdy")),
            calendar=Calendar(table.get("calendar", "gregorian")),
            timezone=timezone,
        )
    except ValueError as exc:
        problems.append(f"{where}: {exc} (date_order is mdy, dmy or ymd; calendar is gregorian or jalali)")
        return None, encoding
    return profile, encoding


def _encoding(name: object, where: str, problems: list[str]) -> str:
    try:
        return codecs.lookup(name).name if isinstance(name, str) else _unknown_encoding()
    except (LookupError, ValueError):  # ValueError: codecs.lookup of a name holding a NUL
        problems.append(f"{where}: unknown text encoding; use utf-8, cp1256, ascii, ...")
        return "utf-8"


def _unknown_encoding() -> str:
    raise LookupError


def _validate(
    model: type[BaseModel],
    fields: Mapping[str, Any],
    where: str,
    problems: list[str],
    *,
    rename: Mapping[str, str] | None = None,
    allowed: list[str] | None = None,
) -> Any:
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        problems.extend(describe_validation(exc, where, rename=rename, allowed=allowed or ()))
        return None
