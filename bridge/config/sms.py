"""``[sms]`` of ``bridge.toml``: the SMS services hosted by the daemon on sites without Azure (issue 14, §4).

The table says which ``[environments.<name>]`` the SMS services work in, where
the daemon serves the webhooks (``listen``, loopback by default, behind the
organisation's reverse proxy, whose public address is ``public_url``), the keys
callers authenticate with, and how often each timer of the Functions app runs
here. The service settings are the ``COMMS_*`` settings of the Functions app
under their short names (``timezone`` is ``COMMS_SMS_TIMEZONE``; table in
docs/bridge.md) and are validated by the same model,
:class:`services.settings.AppSettings`, so a setting means the same thing in both
hosts. ``COMMS_*`` variables of the daemon's environment are *not* read: the file
is the one place. Secrets are references (``webhook_key_env`` / ``_file``,
``push_key_env`` / ``_file``), as everywhere in the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bridge.config.model import ListenAddress, parse_listen
from bridge.config.refs import describe_validation, take_secret, type_name
from bridge.runtime.holds import DEFAULT_HOLD_LATE_AFTER_S
from connectors.dataverse import DataverseSettings
from connectors.settings import Secret
from services.settings import AppSettings, SettingsError, variable

#: Where the SMS webhooks are served by default: loopback, for a reverse proxy on the same host.
DEFAULT_SMS_LISTEN = "127.0.0.1:9110"
#: ``[sms]`` key → :class:`AppSettings` field (and so the Functions app's ``COMMS_*`` variable).
SERVICE_KEYS: dict[str, str] = {
    "country_code": "sms_country_code",
    "timezone": "sms_timezone",
    "missed_after_s": "sms_missed_after_s",
    "claim_lease_s": "sms_claim_lease_s",
    "webhook_key": "sms_webhook_key",
    "balance_column": "sms_balance_column",
    "bulk_rate": "sms_bulk_rate",
    "matching_refresh_s": "matching_refresh_s",
    "webhook_deadline_s": "sms_webhook_deadline_s",
}
#: ``missed_after_s`` when not given: a push may still come (as in Azure) only when ``push_key`` opens /sms/push.
MISSED_AFTER_WITH_PUSH_S = 120
_SECRETS = ("webhook_key", "push_key")


class SmsSchedule(BaseModel):
    """How often each timer of the Functions app runs in the daemon, in seconds; each run is aligned to the
    clock (every 60 s runs at second 0 of each minute) and shifted by its offset, as the NCRONTAB schedules are."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    sweep_interval_s: float = Field(default=60.0, ge=1, le=3600)
    status_poll_interval_s: float = Field(default=300.0, ge=10, le=86400)
    credit_interval_s: float = Field(default=3600.0, ge=60, le=86400)
    bulk_interval_s: float = Field(default=60.0, ge=1, le=3600)
    bulk_budget_s: float = Field(default=240.0, ge=1, le=3600)
    inbound_poll_interval_s: float = Field(default=60.0, ge=5, le=86400)
    route_interval_s: float = Field(default=60.0, ge=5, le=3600)


class _SmsTable(SmsSchedule):
    environment: str = Field(min_length=1)
    listen: str = DEFAULT_SMS_LISTEN
    public_url: str = ""
    hold_late_after_s: float = Field(default=DEFAULT_HOLD_LATE_AFTER_S, ge=1, le=7 * 86400)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        parse_listen(value)
        return value

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str) -> str:
        if value and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
            raise ValueError("the address the reverse proxy serves, such as https://sms.example.com (no query)")
        return value.rstrip("/")


@dataclass(frozen=True)
class SmsPart:
    """The validated ``[sms]`` table: the services' settings, where to serve, the keys, the schedule."""

    environment: str
    settings: AppSettings
    listen: ListenAddress
    public_url: str
    push_key: Secret | None
    schedule: SmsSchedule
    #: A text held (not yet stored, Dataverse down) longer than this makes ``/healthz`` say ``degraded``.
    hold_late_after_s: float = DEFAULT_HOLD_LATE_AFTER_S


def sms_section(
    raw: object, environments: Mapping[str, DataverseSettings], environ: Mapping[str, str], problems: list[str]
) -> SmsPart | None:
    """``[sms]`` as an :class:`SmsPart`; ``None`` when absent or invalid (problems added, each with its key)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"sms: expected a table, got {type_name(raw)}")
        return None
    table = dict(raw)
    before = len(problems)
    for secret in _SECRETS:
        take_secret(table, secret, "sms", environ, problems)
    service = {SERVICE_KEYS[key]: table.pop(key) for key in list(table) if key in SERVICE_KEYS}
    push_key = table.pop("push_key", None)
    try:
        parsed = _SmsTable.model_validate(table)
    except ValidationError as exc:
        allowed = [
            *_SmsTable.model_fields,
            *SERVICE_KEYS,
            "push_key",
            *(f"{s}_{w}" for s in _SECRETS for w in ("env", "file")),
        ]
        problems.extend(describe_validation(exc, "sms", allowed=allowed))
        return None
    dataverse = environments.get(parsed.environment)
    if dataverse is None:
        problems.append(
            f"sms.environment: no usable [environments.{parsed.environment}] table (missing, or see its own problems)"
        )
        return None
    service.setdefault("sms_missed_after_s", MISSED_AFTER_WITH_PUSH_S if push_key else 0)
    settings = _app_settings(dataverse, service, problems)
    if settings is None or len(problems) > before:
        return None
    schedule = SmsSchedule(**{name: getattr(parsed, name) for name in SmsSchedule.model_fields})
    listen = parse_listen(parsed.listen)
    return SmsPart(
        parsed.environment, settings, listen, parsed.public_url, push_key, schedule, parsed.hold_late_after_s
    )


def _app_settings(dataverse: DataverseSettings, values: dict[str, Any], problems: list[str]) -> AppSettings | None:
    """The one settings model over the table's values; its problem lines renamed to the file's keys."""
    try:
        return AppSettings.from_env({}, dataverse=dataverse, **values)
    except SettingsError as exc:
        names = {variable(field): f"sms.{key}" for key, field in SERVICE_KEYS.items()}
        pattern = re.compile("|".join(sorted(map(re.escape, names), key=len, reverse=True)))
        problems.extend(pattern.sub(lambda match: names[match.group(0)], line) for line in exc.problems)
        return None
