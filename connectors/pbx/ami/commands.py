"""Build AMI command actions and read their replies (CALL-06 answer, CALL-29 click-to-call, CALL-31 spy, settings).

Pure: fields in, fields out. Originates are always ``Async: true`` so the PBX
answers at once, and carry our id both as ActionID and as a channel variable
(``COMMS_REQUEST_ID``) so a reconciler can find the call in the CDR later.
Answering by click tells the ringing SIP phone to go off-hook with a NOTIFY
carrying ``Event: talk``: ``PJSIPNotify`` (``Endpoint:``) for chan_pjsip,
``SIPnotify`` (``Channel:``) for chan_sip; see docs/asterisk.md section 8.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from connectors.errors import BadReplyError, RejectedError
from connectors.pbx.ami.message import AmiMessage
from connectors.pbx.base import CommandOutput, OriginateResult
from domain.calls.device_channel import MAX_DEVICE_LENGTH, is_device_channel

REQUEST_VARIABLE = "COMMS_REQUEST_ID"
_EXTENSION = re.compile(r"^[0-9A-Za-z_]{1,32}$")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_CHANNEL = re.compile(r"^[A-Za-z0-9]+/[A-Za-z0-9_.@;\-]+$")
_CONTEXT = re.compile(r"^[A-Za-z0-9_\-]{1,80}$")
#: OriginateResponse ``Reason`` codes (Asterisk control frames) in words for the CRM record.
ORIGINATE_REASONS = {
    "0": "the extension could not be reached",
    "1": "the extension hung up",
    "3": "nobody answered the extension",
    "5": "the extension is busy",
    "8": "the PBX reported congestion",
}
#: The SIP endpoint or peer name a NOTIFY goes to: no ``/``, ``@`` or ``;``, so it names one device.
_SIP_ENDPOINT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+\-]{0,63}")
#: Channel drivers whose phones can be told to pick up, and the AMI action that tells them.
ANSWER_ACTIONS = {"PJSIP": "PJSIPNotify", "SIP": "SIPnotify"}
TALK_EVENT = "Event=talk"


def originate_fields(
    *,
    technology: str,
    extension: str,
    number: str,
    context: str,
    caller_id: str | None,
    variables: Mapping[str, str] | None,
    timeout_s: float,
    action_id: str,
    channel: str | None = None,
) -> dict:
    """Fields of the click-to-call Originate: ring ``technology/extension`` (or ``channel``, the full
    device the extension's CRM row names), then dial ``number``. ``RejectedError`` for any value that
    is not what it should be, before anything is sent."""
    _check(_EXTENSION, extension, "extension")
    _check(_NUMBER, number, "number")
    _check(_CONTEXT, context, "context")
    device = device_channel(channel if channel is not None else f"{technology}/{extension}")
    pairs = {REQUEST_VARIABLE: action_id, **(variables or {})}
    for name in pairs:
        _check(_VARIABLE, name, "variable name")
    fields: dict[str, str | list[str]] = {
        "Action": "Originate",
        "Channel": device,
        "Context": context,
        "Exten": number,
        "Priority": "1",
        "Timeout": str(int(timeout_s * 1000)),
        "Async": "true",
        "Variable": [f"{name}={value}" for name, value in pairs.items()],
    }
    if caller_id:
        fields["CallerID"] = caller_id
    return fields


def device_channel(channel: str) -> str:
    """``channel`` if it is a device such as ``PJSIP/201`` or ``Local/201@from-internal``; else ``RejectedError``."""
    if not isinstance(channel, str) or not is_device_channel(channel):
        shown = str(channel)
        raise _invalid("channel", shown if len(shown) <= MAX_DEVICE_LENGTH else shown[:MAX_DEVICE_LENGTH] + "…")
    return channel


def spy_fields(
    *, technology: str, supervisor_extension: str, target_channel: str, whisper: bool, action_id: str
) -> dict:
    """Fields of a ChanSpy Originate: the supervisor's phone rings, then listens or whispers.

    A device name such as ``PJSIP/101`` gets a trailing ``-`` so ChanSpy's prefix
    match cannot pick ``PJSIP/1010`` (https://pastebin.com/YKbwipgi).
    """
    _check(_EXTENSION, supervisor_extension, "supervisor extension")
    _check(_CHANNEL, target_channel, "target channel")
    target = target_channel if re.search(r"-[0-9a-fA-F]+(;\d)?$", target_channel) else f"{target_channel}-"
    mode = "w" if whisper else ""
    return {
        "Action": "Originate",
        "Channel": f"{technology}/{supervisor_extension}",
        "Application": "ChanSpy",
        "Data": f"{target},qEb{mode}",
        "CallerID": f'"{"Whisper" if whisper else "Listen"}" <{supervisor_extension}>',
        "Async": "true",
        "Variable": [f"{REQUEST_VARIABLE}={action_id}"],
    }


def answer_fields(*, device: str, action_id: str) -> dict:
    """Fields of the NOTIFY that makes the SIP phone ringing as ``device`` pick up (CALL-06).

    ``PJSIP/201`` becomes ``Action: PJSIPNotify`` with ``Endpoint: 201``; ``SIP/201`` becomes
    ``Action: SIPnotify`` with ``Channel: SIP/201``; both carry ``Variable: Event=talk``.
    ``RejectedError`` before anything is sent for a malformed device (code ``invalid-input``) or a
    driver whose phones cannot be answered remotely: IAX2, DAHDI, Local, trunks (code ``unsupported``).
    """
    device = device_channel(device)
    driver, _, endpoint = device.partition("/")
    action = next((name for tech, name in ANSWER_ACTIONS.items() if tech.lower() == driver.lower()), None)
    if action is None:
        reason = (
            f"{driver} phones cannot be answered from the CRM; only SIP phones (PJSIP or chan_sip) "
            "can be told to pick up"
        )
        raise RejectedError(
            f"cannot answer {device}", code="unsupported", reason=reason, operation="answer", key=action_id
        )
    _check(_SIP_ENDPOINT, endpoint, "SIP endpoint")
    if action == "PJSIPNotify":
        return {"Action": action, "Endpoint": endpoint, "Variable": TALK_EVENT}
    return {"Action": action, "Channel": f"SIP/{endpoint}", "Variable": TALK_EVENT}


def answer_outcome(reply: AmiMessage | Sequence[AmiMessage], *, action_id: str, system: str) -> None:
    """Read the reply to an answer NOTIFY: ``Response: Success`` or ``RejectedError`` in plain words."""
    replies = [reply] if isinstance(reply, AmiMessage) else list(reply)
    if not replies:
        raise BadReplyError("empty NOTIFY reply", system=system, operation="answer", key=action_id)
    first = replies[0]
    if first.name.lower() == "success":
        return
    message = first.get("Message") or first.name
    raise RejectedError(
        f"PBX refused to answer: {message}",
        code=message,
        reason=_plain_answer(message),
        system=system,
        operation="answer",
        key=action_id,
    )


def _plain_answer(message: str) -> str:
    lowered = message.lower()
    if "permission denied" in lowered:
        return "the AMI user lacks the rights for this (see docs/asterisk.md: write = system)"
    if lowered.startswith("invalid/unknown command"):
        return (
            "this Asterisk cannot send that NOTIFY (res_pjsip_notify or chan_sip is not loaded); "
            "check the channel technology on the telephony-system record"
        )
    if lowered.startswith("unable to retrieve endpoint") or lowered.startswith("could not create address"):
        return "the PBX does not know this phone, or it is not registered right now"
    return message


def originate_outcome(reply: AmiMessage | Sequence[AmiMessage], *, action_id: str, system: str) -> OriginateResult:
    """Read the Originate reply: the ``Response`` and, for async originates, ``OriginateResponse``."""
    replies = [reply] if isinstance(reply, AmiMessage) else list(reply)
    if not replies:
        raise BadReplyError("empty Originate reply", system=system, operation="originate", key=action_id)
    first = replies[0]
    if first.name.lower() != "success":
        message = first.get("Message") or first.name
        raise RejectedError(
            f"PBX refused the call: {message}",
            code=message,
            reason=_plain(message),
            system=system,
            operation="originate",
            key=action_id,
        )
    final = next((m for m in replies if m.name.lower() == "originateresponse"), None)
    if final is None:
        return OriginateResult(action_id)
    if final.get("Response").lower() != "success":
        code = final.get("Reason")
        reason = ORIGINATE_REASONS.get(code, f"the call failed (reason {code or 'unknown'})")
        raise RejectedError(
            f"originate failed: {reason}", code=code, reason=reason, system=system, operation="originate", key=action_id
        )
    return OriginateResult(action_id, channel=final.get("Channel"), uniqueid=final.get("Uniqueid"))


def command_output(reply: AmiMessage, *, command: str, system: str) -> CommandOutput:
    """Output of ``Action: Command`` in either format: ``Output:`` lines (13+) or a Follows body (1.8 / 11)."""
    status = reply.name.lower()
    if status == "follows":
        return CommandOutput(command, reply.body)
    if status == "success":
        return CommandOutput(command, tuple(reply.get_all("Output")))
    message = reply.get("Message") or reply.name
    raise RejectedError(
        f"command refused: {message}", code=message, reason=_plain(message), system=system, operation="command"
    )


def _plain(message: str) -> str:
    if "permission denied" in message.lower():
        return "the AMI user lacks the rights for this (see docs/asterisk.md: write = originate, command)"
    return message


def _check(pattern: re.Pattern[str], value: str, what: str) -> None:
    # fullmatch: a pattern's "$" would also accept a value ending in a newline
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _invalid(what, value)


def _invalid(what: str, value: object) -> RejectedError:
    return RejectedError(
        f"invalid {what}", code="invalid-input", reason=f"invalid {what}: {value!r}", operation="validate"
    )
