"""The one settings model every host builds its services from (``COMMS_*`` app settings / environment).

:class:`AppSettings` reads the environment once, at start-up, and refuses to
build from bad settings: :class:`SettingsError` lists every problem at once,
each naming its variable (``COMMS_SMS_TIMEZONE is not a known time zone``) and
never echoing a value. The Dataverse connection is
:class:`connectors.dataverse.DataverseSettings`, built from the same
environment by its own ``from_env``; its problems join the list.

``AppSettings()`` reads ``os.environ``; ``AppSettings.from_env(mapping)``
reads a mapping instead (tests, the demo). Values are stripped; an empty
variable counts as unset, so its default applies. The table of variables, defaults and
meanings is in docs/functions.md; the host-only binding names (queues,
schedules) are listed so one model documents every setting, though only the
Functions host reads them, through ``%COMMS_...%`` expressions.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cached_property
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from connectors.dataverse import DataverseSettings
from connectors.dataverse.settings import SettingsError as DataverseSettingsError
from connectors.settings import Secret
from domain.numbers import NumberPlan
from domain.zones import is_zone
from services.sms.webhook_deadline import WEBHOOK_DEADLINE_S

PREFIX = "COMMS_"
_DATAVERSE = "dataverse"
_ENVIRON: ContextVar[Mapping[str, str] | None] = ContextVar("commsuite_settings_environ", default=None)


class SettingsSource(Protocol):
    """Where settings named at run time are read, e.g. the app setting a provider row names for its key."""

    def get(self, name: str, default: None = None, /) -> str | None: ...


class SettingsError(ValueError):
    """The app settings are incomplete or wrong; ``problems`` lists each one, naming its variable."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("app settings: " + "; ".join(problems))


class _DataverseProblems:
    """What ``DataverseSettings.from_env`` refused, carried to the field validator so it joins the other errors."""

    def __init__(self, problems: list[str]):
        self.problems = problems


def _dataverse_from(environ: Mapping[str, str]) -> DataverseSettings | _DataverseProblems:
    try:
        return DataverseSettings.from_env(environ)
    except DataverseSettingsError as exc:
        return _DataverseProblems(exc.problems)


class _EnvironSource(PydanticBaseSettingsSource):
    """Reads ``COMMS_<FIELD>`` for each field, and the ``dataverse`` field with the connector's own reader,
    from the mapping :meth:`AppSettings.from_env` was given, else from ``os.environ``."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        given = _ENVIRON.get()
        environ = os.environ if given is None else given
        values: dict[str, Any] = {_DATAVERSE: _dataverse_from(environ)}
        for name in self.settings_cls.model_fields:
            raw = environ.get(variable(name), "").strip()
            if name != _DATAVERSE and raw:
                values[name] = raw
        return values


class AppSettings(BaseSettings):
    """Every ``COMMS_*`` setting of the SMS and fax services and the Functions app, validated together."""

    model_config = SettingsConfigDict(
        env_prefix=PREFIX,
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        hide_input_in_errors=True,
        arbitrary_types_allowed=True,
    )

    dataverse: DataverseSettings
    sms_country_code: int = Field(default=98, ge=1, le=999)
    sms_timezone: str = "Asia/Tehran"
    sms_missed_after_s: int = Field(default=120, ge=0)
    sms_claim_lease_s: int = Field(default=300, ge=0)
    sms_webhook_key: Secret | None = None
    sms_balance_column: str = Field(default="comms_balance", pattern=r"^([a-z_][a-z0-9_]{0,99})?$")
    sms_bulk_rate: float | None = Field(default=None, gt=0)
    #: The most a provider webhook's Dataverse work may take before it is answered (held text or 503), seconds.
    sms_webhook_deadline_s: float = Field(default=WEBHOOK_DEADLINE_S, ge=0.5, le=30)
    servicebus: Secret | None = None
    sms_inbound_hold_queue: str | None = None
    #: At most this often a worker asks Dataverse for the changes to the matched numbers (as the bridge's
    #: ``[matching] refresh_s``).
    matching_refresh_s: float = Field(default=60.0, ge=5, le=86400)
    #: The fax server pushed faxes go through (services/fax/hosted.py): its CRM key, kind and connector settings.
    fax_server_key: str | None = Field(default=None, pattern=r"^\S{1,100}$")
    fax_server_kind: str | None = None
    fax_server: Secret | None = None
    # Read only by the Functions host, in binding expressions (%COMMS_SMS_QUEUE% ...):
    sms_queue: str | None = None
    fax_queue: str | None = None
    sms_bulk_queue: str | None = None
    sms_bulk_schedule: str | None = None
    sms_inbound_poll_schedule: str | None = None

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(_problems(exc)) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str], /, **values: Any) -> AppSettings:
        """Settings from ``environ`` alone (not ``os.environ``); :class:`SettingsError` lists every problem.

        ``values`` (field names) win over ``environ``: a host with its own file (the bridge's ``[sms]``
        table) passes what it read there and an empty ``environ``, so no stray ``COMMS_*`` variable applies.
        """
        token = _ENVIRON.set(environ)
        try:
            return cls(**values)
        finally:
            _ENVIRON.reset(token)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, _EnvironSource(settings_cls)

    @field_validator(_DATAVERSE, mode="before")
    @classmethod
    def _dataverse_problems(cls, value: object) -> object:
        if isinstance(value, _DataverseProblems):
            raise ValueError("\n".join(value.problems))
        return value

    @field_validator("sms_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_zone(value):
            raise ValueError("is not a known time zone (an IANA name such as Asia/Tehran)")
        return value

    @cached_property
    def tz(self) -> ZoneInfo:
        """The zone dates and times in texts are shown in, and the sending window is local to."""
        return ZoneInfo(self.sms_timezone)

    @cached_property
    def number_plan(self) -> NumberPlan:
        """The numbering plan every SMS service normalises numbers with (no area code: texts go to mobiles)."""
        return NumberPlan(country_code=self.sms_country_code, city_code="")


def variable(field_name: str) -> str:
    """The environment variable of a field: ``sms_timezone`` → ``COMMS_SMS_TIMEZONE``."""
    return PREFIX + field_name.upper()


def _problems(exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors():
        field_name = str(error["loc"][0]) if error.get("loc") else ""
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        if field_name == _DATAVERSE:
            problems.extend(message.split("\n"))
        elif message[:1].islower():
            problems.append(f"{variable(field_name)} {message}")
        else:
            problems.append(f"{variable(field_name)}: {message}")
    return problems
