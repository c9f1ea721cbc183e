"""What the bridge runs with, as read from ``bridge.toml`` by :mod:`bridge.config.loader` (CALL-14, CALL-26, CALL-27).

:class:`BridgeConfig` holds the ``[bridge]`` section, the Dataverse environments
(:class:`EnvironmentConfig`), the telephony systems (:class:`SystemConfig`) and
the optional parts. Every repr is safe to log: secrets print as ``'***'``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bridge.click_to_call.intake import ClickToCallSettings
from bridge.config.fax import FaxSection
from bridge.config.notices import NoticesSection
from bridge.config.parts import FolderRecordings, MatchingSection
from bridge.console.settings import ConsoleSettings
from bridge.recordings.policy import RecordingPolicy
from bridge.runtime.updates import UpdateSettings
from connectors.dataverse import DataverseSettings
from connectors.pbx.ami.settings import AmiSettings
from connectors.pbx.smdr.profile import SmdrProfile
from connectors.pbx.smdr.tcp import SmdrTcpSettings
from connectors.pbx.transport.serial_link import SerialSettings
from connectors.recordings.ftp import FtpSettings
from connectors.recordings.sftp import SftpSettings
from domain.calls.unclassified import UnclassifiedPolicy
from domain.numbers import NumberPlan

if TYPE_CHECKING:
    from bridge.config.sms import SmsPart

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
    "bridge.plugins.fax:from_bridge",
    "bridge.plugins.sms:from_bridge",
    "bridge.plugins.updates:from_bridge",
)
#: Listener factories that no longer exist, and what replaced them (named in the error a stale file gets).
RENAMED_LISTENERS: dict[str, tuple[str, ...]] = {
    "bridge.plugins.notices:from_bridge": (
        "bridge.plugins.notifications:from_bridge",
        "bridge.plugins.autoregister:from_bridge",
    ),
}
#: The settings source used when ``[bridge] settings_source`` is not given: the CRM, with the file as fallback.
DEFAULT_SETTINGS_SOURCE = "bridge.plugins.crm_settings:from_bridge"
#: Raw SMDR / caller-ID frames are kept this many days by default (``[bridge] raw_journal_days``).
DEFAULT_RAW_JOURNAL_DAYS = 30
#: Upserts per ``$batch`` a drainer sends by default (``[environments.<name>] batch_size``).
DEFAULT_BATCH_SIZE = 100
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
        renamed = [
            f"{spec} was split into {' and '.join(RENAMED_LISTENERS[spec])}; list those instead"
            for spec in value
            if spec in RENAMED_LISTENERS
        ]
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
    recordings: SftpSettings | FtpSettings | FolderRecordings | None = None
    recording_policy: RecordingPolicy = field(default_factory=RecordingPolicy)
    raw_journal: Path | None = None
    raw_journal_days: float = DEFAULT_RAW_JOURNAL_DAYS
    #: Calls the channel rules could not classify: kept out (SKIP) or written marked (MARK); issue 11.
    unclassified: UnclassifiedPolicy = UnclassifiedPolicy.SKIP
    #: Write a new call at once (pop-ups / the auto-opened form need the record); else at its end (issue 11 §4).
    early_write: bool = False


@dataclass(frozen=True)
class BridgeConfig:
    path: str
    bridge: BridgeSection
    environments: Mapping[str, EnvironmentConfig]
    systems: Mapping[str, SystemConfig]
    console: ConsoleSettings | None = None
    click_to_call: tuple[ClickToCallSettings, ...] = ()
    matching: MatchingSection = field(default_factory=MatchingSection)
    fax: FaxSection | None = None
    sms: SmsPart | None = None
    notices: NoticesSection = field(default_factory=NoticesSection)
    updates: UpdateSettings | None = None  # CALL-44: the release feed
