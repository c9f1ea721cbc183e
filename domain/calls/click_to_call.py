"""Click-to-call and supervisor listen / whisper, decided without I/O (CALL-16, -17, -23, -24, -29, -31).

A user asks (from a record's form) to call one of the record's numbers. Before
anything rings, :func:`plan_click_to_call` checks the request against the
telephony system's settings and answers either with a :class:`Refusal` whose
reason is written on the request in plain words, or with a :class:`DialPlan`:
the extension to ring first, its device channel, the digits the PBX must
dial (the line's route prefix, then the line-release prefix, then the number
in the form the PBX dials it), the caller ID to show and the channel
variables. :func:`plan_spy` applies the same extension rules to a supervisor
who wants to listen to or whisper into a colleague's call.

:func:`outcome_update` maps what the PBX said about an Originate to the
request's status choice and error text.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dataverse_schema.telephony import CLICK_TO_CALL_STATUS
from domain.calls.device_channel import is_device_channel
from domain.calls.party_names import party_name
from domain.calls.system_settings import ExtensionSettings, LineSettings, TelephonySystemSettings
from domain.digits import digit_setting
from domain.numbers import NumberKind, dial_string, digits_only, normalise

DEFAULT_CONTEXT = "from-internal"
DEFAULT_TECHNOLOGY = "PJSIP"
_DIGITS = re.compile(r"^[0-9*#]*$")
_CALLER_ID_NAME = re.compile(r"[\"<>\r\n]")


class ClickToCallStatus(enum.IntEnum):
    """The request's status choice (``CLICK_TO_CALL_STATUS``), by option value."""

    PENDING = CLICK_TO_CALL_STATUS.value_of("Pending")
    RINGING_EXTENSION = CLICK_TO_CALL_STATUS.value_of("Ringing extension")
    DIALLING = CLICK_TO_CALL_STATUS.value_of("Dialling")
    CONNECTED = CLICK_TO_CALL_STATUS.value_of("Connected")
    FAILED = CLICK_TO_CALL_STATUS.value_of("Failed")
    CANCELLED = CLICK_TO_CALL_STATUS.value_of("Cancelled")


class RefusalCode(enum.Enum):
    NO_EXTENSION = "no-extension"
    UNKNOWN_EXTENSION = "unknown-extension"
    NOT_YOUR_EXTENSION = "not-your-extension"
    MAY_NOT_ORIGINATE = "may-not-originate"
    BAD_DEVICE = "bad-device"
    INVALID_NUMBER = "invalid-number"
    TOO_SHORT = "too-short"
    UNKNOWN_LINE = "unknown-line"
    BAD_PREFIX = "bad-prefix"
    NOT_SUPERVISOR = "not-supervisor"
    BAD_TARGET = "bad-target"


@dataclass(frozen=True)
class Refusal:
    """Why a request is not carried out; ``reason`` is written on the request as is."""

    code: RefusalCode
    reason: str


@dataclass(frozen=True)
class ClickToCallRequest:
    """One request as the CRM holds it.

    ``number`` is the number as chosen on the record (any script or format);
    ``line`` and ``extension`` are optional and may name the CRM row (its id)
    or the PBX's own id (line id, extension number).
    """

    request_id: str
    user_id: str
    number: str
    line: str | None = None
    extension: str | None = None


def _frozen(values: Mapping[str, str] | None = None) -> Mapping[str, str]:
    return MappingProxyType(dict(values or {}))


@dataclass(frozen=True)
class DialPlan:
    """What to ask the PBX for: ring ``channel`` (extension ``extension``), then dial ``dial_string``.

    ``e164`` is the number called, normalised; ``line`` the line used (``None``
    when the system has no default); ``caller_id`` is ``"extension name" <line number>``
    (``<number>`` alone when the extension has no name; never the number dialled).
    """

    extension: str
    channel: str
    e164: str
    dial_string: str
    caller_id: str
    line: LineSettings | None = None
    context: str = DEFAULT_CONTEXT
    variables: Mapping[str, str] = field(default_factory=_frozen)

    @property
    def technology(self) -> str:
        """The channel driver part of ``channel`` (``PJSIP`` of ``PJSIP/201``)."""
        return self.channel.partition("/")[0]

    @property
    def device(self) -> str:
        """The part of ``channel`` after the driver (``201`` of ``PJSIP/201``)."""
        return self.channel.partition("/")[2]


@dataclass(frozen=True)
class SpyPlan:
    """Ring the supervisor's ``channel`` (extension ``extension``), then listen to ``target_channel``."""

    extension: str
    channel: str
    target_channel: str
    whisper: bool


def plan_click_to_call(
    request: ClickToCallRequest,
    system: TelephonySystemSettings,
    *,
    technology: str = DEFAULT_TECHNOLOGY,
    context: str = DEFAULT_CONTEXT,
) -> DialPlan | Refusal:
    """Check ``request`` against ``system`` and plan the Originate (CALL-16, -17, -23, -24, -29).

    ``technology`` (``PJSIP`` or ``SIP``) builds the device of an extension
    whose row names none. Never raises on bad input: every problem is a
    :class:`Refusal` with a reason the user can act on.
    """
    extension = _own_extension(request.user_id, request.extension, system)
    if isinstance(extension, Refusal):
        return extension
    channel = _channel_of(extension, technology)
    if isinstance(channel, Refusal):
        return channel
    line = _line_of(request.line, system)
    if isinstance(line, Refusal):
        return line
    number = normalise(request.number, system.plan)
    if number is None:
        return Refusal(RefusalCode.INVALID_NUMBER, f"{_shown(request.number)} is not a phone number")
    if number.kind is NumberKind.INTERNAL:
        return Refusal(
            RefusalCode.TOO_SHORT,
            f"{_shown(request.number)} is too short for an outside number (at least {system.plan.min_digits} digits)",
        )
    dialled = (line.dial_prefix if line else "") + dial_string(number.e164, system.plan)
    variables = {"COMMS_NUMBER": number.e164, **({"COMMS_LINE": line.line_id} if line else {})}
    return DialPlan(
        extension=extension.number,
        channel=channel,
        e164=number.e164,
        dial_string=dialled,
        caller_id=_caller_id(line, extension),
        line=line,
        context=context,
        variables=_frozen(variables),
    )


def plan_spy(
    supervisor_user_id: str,
    target: str,
    system: TelephonySystemSettings,
    *,
    may_supervise: bool,
    whisper: bool = False,
    technology: str = DEFAULT_TECHNOLOGY,
) -> SpyPlan | Refusal:
    """Plan a supervisor's listen or whisper on the call of ``target`` (CALL-31).

    ``target`` is an extension number of ``system`` or a live channel name
    (``PJSIP/101-0000002a``). ``may_supervise`` is the caller's answer to "is
    this user a supervisor" (a CRM role); the supervisor's own extension must
    pass the click-to-call rules, because their phone is rung first.
    """
    if not may_supervise:
        return Refusal(RefusalCode.NOT_SUPERVISOR, "only supervisors may listen to or whisper into calls")
    extension = _own_extension(supervisor_user_id, None, system)
    if isinstance(extension, Refusal):
        return extension
    channel = _channel_of(extension, technology)
    if isinstance(channel, Refusal):
        return channel
    target_channel = _target_channel(target, system, technology)
    if target_channel is None:
        return Refusal(
            RefusalCode.BAD_TARGET,
            f"{_shown(target)} is neither an extension of {_system_name(system)} nor a live channel",
        )
    if target_channel.partition("-")[0] == channel:
        return Refusal(RefusalCode.BAD_TARGET, "a supervisor cannot listen to their own extension")
    return SpyPlan(extension.number, channel, target_channel, whisper)


def _own_extension(user_id: str, wanted: str | None, system: TelephonySystemSettings) -> ExtensionSettings | Refusal:
    """The extension to ring: the one asked for (it must be the user's), else the user's first that may originate."""
    if wanted:
        found = system.extensions.get(digit_setting(wanted)) or next(
            (ext for ext in system.extensions.values() if ext.record_id == wanted), None
        )
        if found is None:
            return Refusal(
                RefusalCode.UNKNOWN_EXTENSION, f"extension {_shown(wanted)} is not on {_system_name(system)}"
            )
        if found.user_id != user_id:
            return Refusal(RefusalCode.NOT_YOUR_EXTENSION, f"extension {found.number} is not assigned to you")
        return found if found.can_originate else _may_not(found)
    own = [ext for ext in system.extensions.values() if ext.user_id == user_id]
    if not own:
        return Refusal(
            RefusalCode.NO_EXTENSION,
            f"you have no extension on {_system_name(system)}; ask an administrator to assign one to you",
        )
    return next((ext for ext in own if ext.can_originate), None) or _may_not(own[0])


def _may_not(extension: ExtensionSettings) -> Refusal:
    return Refusal(RefusalCode.MAY_NOT_ORIGINATE, f"extension {extension.number} may not click-to-call")


def _channel_of(extension: ExtensionSettings, technology: str) -> str | Refusal:
    channel = extension.channel.strip() or f"{technology}/{extension.number}"
    if not is_device_channel(channel):
        return Refusal(
            RefusalCode.BAD_DEVICE,
            f"the device of extension {extension.number} ({_shown(channel)}) is not a channel such as PJSIP/201",
        )
    return channel


def _line_of(wanted: str | None, system: TelephonySystemSettings) -> LineSettings | Refusal | None:
    if wanted:
        line = system.lines.get(digit_setting(wanted)) or next(
            (line for line in system.lines.values() if line.record_id == wanted), None
        )
        if line is None:
            return Refusal(RefusalCode.UNKNOWN_LINE, f"line {_shown(wanted)} is not a line of {_system_name(system)}")
    else:
        line = system.default_line()
    if line is not None and not _DIGITS.match(line.dial_prefix):
        return Refusal(
            RefusalCode.BAD_PREFIX,
            f"the route prefix of line {line.line_id} is not digits; ask an administrator to correct it",
        )
    return line


def _caller_id(line: LineSettings | None, extension: ExtensionSettings) -> str:
    """The Originate's ``CallerID``: the calling side, i.e. the extension's name and the line's number.

    Asterisk gives it to the user's phone and, as the connected line, to the trunk leg: what the
    customer is shown and what the PBX reports back as the other party of the extension's channel.
    The dialled number is never put in the name (it came back as the call's party name, and the
    customer saw their own number as the caller's name); with no usable name only the number is given.
    """
    number = digits_only(line.number).lstrip("+") if line and line.number else ""
    name = party_name(_CALLER_ID_NAME.sub("", extension.name))
    shown = f"<{number or extension.number}>"
    return f'"{name}" {shown}' if name else shown


def _target_channel(target: str, system: TelephonySystemSettings, technology: str) -> str | None:
    extension = system.extensions.get(digit_setting(target))
    if extension is not None:
        channel = _channel_of(extension, technology)
        return None if isinstance(channel, Refusal) else channel
    return target if is_device_channel(target) else None


def _system_name(system: TelephonySystemSettings) -> str:
    return system.name or system.key


def _shown(value: str) -> str:
    """A user-supplied value quoted for a message, cut short and on one line."""
    text = " ".join(str(value).split())
    return repr(text if len(text) <= 40 else text[:39] + "…")


class OriginateOutcome(enum.Enum):
    """What became of an Originate, in the bridge's terms (it maps connector errors onto these)."""

    PLACED = "placed"  # the PBX accepted and reported the first leg up
    REFUSED = "refused"  # the PBX refused, the extension was busy or nobody answered it
    NOT_SENT = "not-sent"  # the PBX link was down: nothing rang
    UNCONFIRMED = "unconfirmed"  # sent, no answer: a phone may be ringing
    NOT_PERMITTED = "not-permitted"  # the PBX login lacks the right to originate


@dataclass(frozen=True)
class RequestUpdate:
    """The request's new status and, when it failed, the plain-words error to write."""

    status: ClickToCallStatus
    error: str | None = None

    @property
    def is_final(self) -> bool:
        return self.status in (ClickToCallStatus.CONNECTED, ClickToCallStatus.FAILED, ClickToCallStatus.CANCELLED)


UNCONFIRMED_ERROR = "the PBX did not confirm; check before calling again"
_OUTCOME_ERRORS = {
    OriginateOutcome.NOT_SENT: "the PBX could not be reached, so nothing was dialled; try again shortly",
    OriginateOutcome.UNCONFIRMED: UNCONFIRMED_ERROR,
    OriginateOutcome.NOT_PERMITTED: "the bridge is not allowed to place calls on this PBX; ask an administrator",
}


def outcome_update(outcome: OriginateOutcome, reason: str | None = None) -> RequestUpdate:
    """The request's final status for ``outcome``; ``reason`` is the PBX's refusal in words (CALL-29).

    An unconfirmed Originate is final too: it is never sent again, because the
    user's phone may already be ringing.
    """
    if outcome is OriginateOutcome.PLACED:
        return RequestUpdate(ClickToCallStatus.CONNECTED)
    if outcome is OriginateOutcome.REFUSED:
        return RequestUpdate(ClickToCallStatus.FAILED, f"the PBX refused the call: {reason or 'no reason given'}")
    return RequestUpdate(ClickToCallStatus.FAILED, _OUTCOME_ERRORS[outcome])


def refusal_update(refusal: Refusal) -> RequestUpdate:
    """The request's final status when it was refused before anything rang."""
    return RequestUpdate(ClickToCallStatus.FAILED, refusal.reason)
