"""Channel roles, hang-up causes and device states for the AMI translators (CALL-12, CALL-08, CALL-30).

Pure helpers: they read names and codes from AMI events and return domain values.
"""

from __future__ import annotations

import enum
import fnmatch
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import ExtensionState, HangupCause

_SUFFIX = re.compile(r"-[0-9a-fA-F]{6,}(?:;\d)?$")


class Role(enum.Enum):
    TRUNK = "trunk"
    EXTENSION = "extension"
    OTHER = "other"  # Local channels, parked calls, anything we cannot name


@dataclass(frozen=True)
class ChannelName:
    """``PJSIP/101-0000001a`` split into technology ``PJSIP`` and device ``101``."""

    technology: str
    device: str

    @classmethod
    def parse(cls, channel: str) -> ChannelName:
        base = _SUFFIX.sub("", channel.split("<", 1)[0].strip())
        technology, _, resource = base.partition("/")
        return cls(technology, resource.split("@", 1)[0])

    @property
    def base(self) -> str:
        return f"{self.technology}/{self.device}"


class ChannelClassifier:
    """Decides whether a channel is a trunk, an extension or neither, from :class:`ChannelRules`."""

    def __init__(self, rules: ChannelRules):
        self._rules = rules
        self._extension = re.compile(rules.extension_pattern)

    def role(self, channel: str, context: str = "") -> Role:
        name = ChannelName.parse(channel)
        if name.technology.lower() == "local" or not name.device:
            return Role.OTHER
        if any(fnmatch.fnmatchcase(name.base, pattern) for pattern in self._rules.trunk_channels):
            return Role.TRUNK
        if context and context in self._rules.inbound_contexts:
            return Role.TRUNK
        if self._extension.match(name.device):
            return Role.EXTENSION
        return Role.TRUNK

    def extension_of(self, channel: str) -> str | None:
        """The extension a device channel belongs to (``SIP/777`` → ``777``), if it names one."""
        name = ChannelName.parse(channel)
        return name.device if self._extension.match(name.device or "") else None

    def is_did_variable(self, name: str) -> bool:
        return name.lstrip("_") in {v.lstrip("_") for v in self._rules.did_variables}

    def ivr_key(self, name: str) -> str | None:
        bare = name.lstrip("_")
        return bare if bare in {v.lstrip("_") for v in self._rules.ivr_variables} else None


#: Q.850 cause codes seen in AMI ``Hangup`` events, for calls that were never answered.
_UNANSWERED_CAUSES = {
    0: HangupCause.NO_ANSWER,  # unknown: the caller usually gave up
    16: HangupCause.NO_ANSWER,  # normal clearing before answer: the caller hung up while ringing
    17: HangupCause.BUSY,
    18: HangupCause.NO_ANSWER,
    19: HangupCause.NO_ANSWER,
    21: HangupCause.REJECTED,
    31: HangupCause.NO_ANSWER,
    127: HangupCause.NO_ANSWER,
}
_DIAL_STATUS = {
    "BUSY": HangupCause.BUSY,
    "NOANSWER": HangupCause.NO_ANSWER,
    "CANCEL": HangupCause.NO_ANSWER,
    "CHANUNAVAIL": HangupCause.FAILED,
    "CONGESTION": HangupCause.FAILED,
}


def hangup_cause(*, answered: bool, dial_status: str, q850: int | None) -> HangupCause:
    """The call's outcome: answered calls end NORMAL; otherwise DialStatus, then the Q.850 code."""
    if answered:
        return HangupCause.NORMAL
    if dial_status.upper() in _DIAL_STATUS:
        return _DIAL_STATUS[dial_status.upper()]
    if q850 is None:
        return HangupCause.NO_ANSWER
    return _UNANSWERED_CAUSES.get(q850, HangupCause.FAILED)


def parse_cause(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() else None


#: ExtensionStatus ``Status`` codes (reference/telephony.md 2.5).
_EXTENSION_STATUS = {
    -2: ExtensionState.UNAVAILABLE,
    -1: ExtensionState.UNAVAILABLE,
    0: ExtensionState.IDLE,
    1: ExtensionState.TALKING,
    2: ExtensionState.TALKING,
    4: ExtensionState.UNAVAILABLE,
    8: ExtensionState.RINGING,
    9: ExtensionState.TALKING,
    16: ExtensionState.ON_HOLD,
    17: ExtensionState.ON_HOLD,
}
#: DeviceStateChange ``State`` names (Asterisk 12+).
_DEVICE_STATE = {
    "NOT_INUSE": ExtensionState.IDLE,
    "INUSE": ExtensionState.TALKING,
    "BUSY": ExtensionState.TALKING,
    "RINGING": ExtensionState.RINGING,
    "RINGINUSE": ExtensionState.TALKING,
    "ONHOLD": ExtensionState.ON_HOLD,
    "UNAVAILABLE": ExtensionState.UNAVAILABLE,
    "INVALID": ExtensionState.UNAVAILABLE,
}


def extension_state(status: str) -> ExtensionState | None:
    """Map an ExtensionStatus code; ``None`` for codes the PBX may add later."""
    try:
        return _EXTENSION_STATUS.get(int(status.strip()))
    except ValueError:
        return None


def device_state(state: str) -> ExtensionState | None:
    return _DEVICE_STATE.get(state.strip().upper())


def event_time(timestamp: str, received_at: datetime) -> datetime:
    """The event's own ``Timestamp`` header (``timestampevents=yes``) or the time we read it."""
    try:
        return datetime.fromtimestamp(float(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        return received_at
