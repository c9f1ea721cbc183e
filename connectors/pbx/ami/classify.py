"""Channel roles, hang-up causes, device states and dialled numbers for the AMI translators (CALL-12, CALL-08, CALL-30).

Pure helpers: they read names and codes from AMI events and return domain values.
"""

from __future__ import annotations

import enum
import fnmatch
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from connectors.pbx.ami.settings import ChannelRules
from domain.calls.events import ExtensionState, HangupCause

log = logging.getLogger(__name__)
_DIALLED = re.compile(r"^\+?[0-9*#]+$")

#: The unique suffix each channel driver appends to a channel's name (Asterisk's
#: ``ast_channel_alloc`` calls: chan_iax2 ``IAX2/<peer>-<call number>``, chan_dahdi
#: ``DAHDI/<channel>-<sequence>``, core_local ``Local/<exten>@<context>-<8 hex>;<1|2>``,
#: chan_motif ``Motif/<jid>-<hex>``; SIP, PJSIP, SCCP and the rest ``<device>-<8 hex>``).
_SUFFIXES = {
    "iax2": re.compile(r"-\d+$"),
    "dahdi": re.compile(r"-\d+$"),
    "zap": re.compile(r"-\d+$"),
    "local": re.compile(r"-[0-9a-fA-F]+[;,][12]$"),
    "motif": re.compile(r"-[0-9a-fA-F]+$"),
}
_HEX_SUFFIX = re.compile(r"-[0-9a-fA-F]{6,}(?:;\d)?$")
#: Technologies whose resource is not ``device[@host]``: a Motif resource is a Jabber id.
_WHOLE_RESOURCE = frozenset({"motif"})


class Role(enum.Enum):
    TRUNK = "trunk"
    EXTENSION = "extension"
    OTHER = "other"  # Local channels the rules do not name, parked calls, anything we cannot name


@dataclass(frozen=True)
class ChannelName:
    """A channel name split per technology: ``IAX2/101-11090`` → ``IAX2``, ``101``.

    ``context`` is set for Local channels only (``Local/101@from-queue-0000001f;1``
    → device ``101``, context ``from-queue``). A device name without a suffix
    (``SIP/777`` in a DeviceStateChange) parses the same way.
    """

    technology: str
    device: str
    context: str = ""

    @classmethod
    def parse(cls, channel: str) -> ChannelName:
        name = channel.split("<", 1)[0].strip()
        technology, _, resource = name.partition("/")
        tech = technology.lower()
        resource = _SUFFIXES.get(tech, _HEX_SUFFIX).sub("", resource)
        if tech in _WHOLE_RESOURCE:
            return cls(technology, resource)
        device, _, at = resource.partition("@")
        return cls(technology, device, at.split("/", 1)[0] if tech == "local" else "")

    @property
    def is_local(self) -> bool:
        return self.technology.lower() == "local"

    @property
    def base(self) -> str:
        """What ``trunk_channels`` patterns match: ``PJSIP/101``, ``Local/0912…@from-internal``."""
        where = f"@{self.context}" if self.context else ""
        return f"{self.technology}/{self.device}{where}"


class ChannelClassifier:
    """Decides whether a channel is a trunk, an extension or neither, from :class:`ChannelRules`.

    The rules apply to every technology, Local channels included: a Local
    channel matching ``trunk_channels``, or whose context (the event's or its
    own ``@context``) is in ``inbound_contexts``, is a trunk; any other Local
    channel is dialplan plumbing (:attr:`Role.OTHER`), never an extension.
    """

    def __init__(self, rules: ChannelRules):
        self._rules = rules
        self._extension = re.compile(rules.extension_pattern)

    def role(self, channel: str, context: str = "") -> Role:
        name = ChannelName.parse(channel)
        if not name.device or name.technology.lower() == "parked":
            return Role.OTHER  # Asterisk 1.8 / 11's Parked/<channel>, which the parked caller is masqueraded into
        if any(fnmatch.fnmatchcase(name.base, pattern) for pattern in self._rules.trunk_channels):
            return Role.TRUNK
        if {context, name.context} & set(self._rules.inbound_contexts) - {""}:
            return Role.TRUNK
        if name.is_local:
            return Role.OTHER
        if self._extension.match(name.device):
            return Role.EXTENSION
        return Role.TRUNK

    def extension_of(self, channel: str) -> str | None:
        """The extension a device channel belongs to (``SIP/777`` → ``777``), if it names one."""
        name = ChannelName.parse(channel)
        return name.device if self._extension.match(name.device or "") else None

    def is_extension_number(self, number: str) -> bool:
        """Whether a caller number is one an extension could have (``extension_pattern``)."""
        return bool(self._extension.match(number))

    def is_inbound_context(self, context: str) -> bool:
        """Whether trunks' calls enter the dialplan in ``context`` (``inbound_contexts``)."""
        return bool(context) and context in self._rules.inbound_contexts

    def is_did_variable(self, name: str) -> bool:
        return name.lstrip("_") in {v.lstrip("_") for v in self._rules.did_variables}

    def ivr_key(self, name: str) -> str | None:
        bare = name.lstrip("_")
        return bare if bare in {v.lstrip("_") for v in self._rules.ivr_variables} else None


@dataclass(frozen=True)
class UnclassifiedAdvice:
    """For a call the rules could not classify: the channel pattern it stands for and what to set."""

    pattern: str
    message: str


def unclassified_advice(channel: str, context: str) -> UnclassifiedAdvice:
    """Pure: the pattern of ``channel`` and the setting that would classify calls like it."""
    name = ChannelName.parse(channel)
    pattern = f"{name.technology}/*@{name.context}" if name.is_local else f"{name.technology}/{name.device}"
    contexts = " or ".join(repr(c) for c in dict.fromkeys(c for c in (context, name.context) if c)) or "none"
    message = (
        f"call on channel {channel!r} (context {context or 'none'!r}) could not be classified as inbound "
        f"or outbound; if such calls come from or go to the outside, add {pattern + '*'!r} to "
        f"trunk_channels, or the context {contexts} to inbound_contexts"
    )
    return UnclassifiedAdvice(pattern, message)


class UnclassifiedCalls:
    """Counts calls the rules could not classify and logs one WARNING per channel pattern.

    ``count`` is the total so far (a metric for the bridge); ``patterns`` the patterns warned about.
    """

    def __init__(self, system: str):
        self.system = system
        self.count = 0
        self.patterns: set[str] = set()

    def note(self, channel: str, context: str) -> UnclassifiedAdvice:
        advice = unclassified_advice(channel, context)
        self.count += 1
        if advice.pattern not in self.patterns:
            self.patterns.add(advice.pattern)
            log.warning("Unclassified %s", advice.message, extra={"system": self.system, "operation": "classify"})
        return advice


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


def known_value(value: str | None) -> str | None:
    """A caller-ID number or name as Asterisk gives it, or ``None`` where it says it knows none
    (empty, ``<unknown>``, ``unknown``, or ``anonymous`` for a withheld caller)."""
    if value is None or value.strip().lower() in ("", "<unknown>", "unknown", "anonymous"):
        return None
    return value


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
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 4 else None


#: ExtensionStatus ``Status`` codes (https://pastebin.com/2zt0RGw6).
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


def dialled_number(dial_string: str) -> str:
    """The number inside a Dial string: ``trunk/sip:0912…@host``, ``0912…@trunk``, ``provider/0912…``."""
    last = dial_string.rsplit("/", 1)[-1]
    last = last.split(":", 1)[-1] if last.lower().startswith(("sip:", "tel:")) else last
    number = last.split("@", 1)[0]
    return number if _DIALLED.match(number) else ""
