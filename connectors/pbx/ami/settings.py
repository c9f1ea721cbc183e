"""Settings of one Asterisk AMI connection (CALL-21, CALL-27).

One telephony-system record gives one ``AmiSettings``; one ``AmiSettings``
gives exactly one AMI session, because two sessions to the same PBX would
double every event and so every activity (asterisk/documentation: the AMI event filtering of manager.conf).
"""

from __future__ import annotations

import enum
import zoneinfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connectors.settings import Secret
from domain.zones import is_zone


class Dialect(enum.Enum):
    """Which AMI event vocabulary the PBX speaks.

    LEGACY: Asterisk 1.8 / 11 (Dial SubEvent, Bridge / Link, Join / Leave, no Linkedid).
    MODERN: Asterisk 12 / 13 and newer (DialBegin / DialEnd, BridgeEnter, Linkedid).
    AUTO: decided from the banner (AMI 2.x and later means MODERN).
    """

    AUTO = "auto"
    LEGACY = "legacy"
    MODERN = "modern"


class Technology(enum.Enum):
    PJSIP = "PJSIP"
    SIP = "SIP"


class ChannelRules(BaseModel):
    """How to tell trunk channels from extension channels, and where DIDs and IVR data live.

    A channel is a trunk when its name (without the ``-0000002a`` suffix)
    matches one of ``trunk_channels`` (fnmatch patterns such as
    ``"PJSIP/provider*"``), or when its first context is one of
    ``inbound_contexts``. Otherwise it is an extension when its device name
    matches ``extension_pattern``. The rules apply to Local channels too (a
    pattern matches ``Local/<exten>@<context>``); a Local channel they do not
    name is dialplan plumbing, neither trunk nor extension. ``did_variables`` name the channel variables (VarSet) that
    carry
    the DID (CALL-12); ``ivr_variables`` name the VarSet variables and
    UserEvent headers whose values become ``CallEvent.ivr_data`` (CALL-22).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    trunk_channels: tuple[str, ...] = ("DAHDI/*", "IAX2/*")
    inbound_contexts: tuple[str, ...] = ("from-trunk", "from-pstn", "from-did-direct", "ext-did", "from-external")
    extension_pattern: str = r"^\d{2,6}$"
    did_variables: tuple[str, ...] = ("FROM_DID", "__FROM_DID", "DID")
    ivr_variables: tuple[str, ...] = ()


class AmiSettings(BaseModel):
    """Connection, timers and dialect for one PBX. Times are in seconds.

    ``ping_interval_s`` is the idle time between keep-alive pings;
    ``ping_timeout_s`` is how long one Ping may wait for its reply; two missed
    replies in a row close the link. Reconnects back off exponentially with
    full jitter from ``backoff_min_s`` to ``backoff_max_s``; the backoff resets
    once a link has stayed up for ``stable_after_s``.

    CDR catch-up (CALL-14): ``cdr_csv`` is the path of Asterisk's
    ``Master.csv`` (``cdr_csv``), on this machine or, with ``cdr_csv_sftp``, on
    the PBX over the SFTP login of the system's ``recordings`` table; at each
    login the calls that ran while the bridge was down are read from it.
    ``cdr_timezone`` is the PBX's time zone (an IANA name such as
    ``"Asia/Tehran"``, ``"UTC"`` with ``usegmtime``) for the CDR times, which
    carry none; unset, the CSV is read in this machine's zone and a ``Cdr``
    event's times are counted back from the event's own time.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: str = Field(min_length=1)
    host: str = Field(min_length=1)
    port: int = Field(default=5038, ge=1, le=65535)
    username: str = Field(min_length=1)
    secret: Secret
    dialect: Dialect = Dialect.AUTO
    technology: Technology = Technology.PJSIP
    context: str = "from-internal"
    connect_timeout_s: float = Field(default=10.0, gt=0)
    action_timeout_s: float = Field(default=10.0, gt=0)
    ping_interval_s: float = Field(default=20.0, gt=0)
    ping_timeout_s: float = Field(default=5.0, gt=0)
    backoff_min_s: float = Field(default=1.0, gt=0)
    backoff_max_s: float = Field(default=60.0, gt=0)
    stable_after_s: float = Field(default=120.0, ge=0)
    channels: ChannelRules = ChannelRules()
    cdr_csv: str | None = Field(default=None, min_length=1)
    cdr_csv_sftp: bool = False
    cdr_timezone: str | None = None

    @model_validator(mode="after")
    def _check_backoff(self) -> AmiSettings:
        if self.backoff_max_s < self.backoff_min_s:
            raise ValueError("backoff_max_s must not be below backoff_min_s")
        if self.cdr_csv_sftp and not self.cdr_csv:
            raise ValueError("cdr_csv_sftp needs cdr_csv, the path of Master.csv on the PBX")
        if self.cdr_timezone is not None and not is_zone(self.cdr_timezone):
            raise ValueError(f"cdr_timezone {self.cdr_timezone[:64]!r} is no IANA time zone name")
        return self

    @property
    def cdr_zone(self) -> zoneinfo.ZoneInfo | None:
        """The PBX's zone for CDR times, when configured."""
        return zoneinfo.ZoneInfo(self.cdr_timezone) if self.cdr_timezone else None
