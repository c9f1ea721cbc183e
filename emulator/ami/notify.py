"""How the emulated Asterisk answers ``PJSIPNotify`` and ``SIPnotify`` (CALL-06 answer by click).

Pure: the action's headers in, the reply and the device the NOTIFY reached out. The reply
texts are Asterisk's own: ``res_pjsip_notify.c`` (``NOTIFY sent``, ``Unable to retrieve endpoint
<name>``, the "requires either an endpoint name, a SIP URI, or a channel" refusals) and chan_sip's
``manager_sipnotify`` (``Notify Sent``, ``SIPNotify requires a channel name``, ``SIPNotify requires
variables``, ``Could not create address``). The emulated Asterisk 18 runs chan_pjsip only and the
emulated Asterisk 11 chan_sip only, as most installs of those generations do; the other action is
an unknown command. Registered endpoints and peers are numeric names of 2 to 6 digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from emulator.ami import wire

_REGISTERED = re.compile(r"\d{2,6}")
_NEEDS_ONE_TARGET = "PJSIPNotify requires either an endpoint name, a SIP URI, or a channel."


@dataclass(frozen=True)
class NotifyReply:
    """``status`` / ``message`` for the Response; ``device`` (``PJSIP/101``) reached by a ``talk`` NOTIFY."""

    status: str
    message: str
    device: str | None = None


def unknown_command(action: str) -> NotifyReply:
    return NotifyReply("Error", wire.unknown_command(action))


def pjsip_notify(action: dict[str, str], variables: list[str]) -> NotifyReply:
    """Asterisk 12+'s ``PJSIPNotify``: exactly one of Endpoint, URI or Channel."""
    targets = [action.get(name, "") for name in ("endpoint", "uri", "channel")]
    given = [target for target in targets if target]
    if len(given) > 1:
        return NotifyReply("Error", f"{_NEEDS_ONE_TARGET[:-1]}.  You must use only one of them.")
    if not given:
        return NotifyReply("Error", _NEEDS_ONE_TARGET)
    endpoint = targets[0]
    if not endpoint:
        return NotifyReply("Success", "NOTIFY sent")  # a URI or an in-dialog NOTIFY: nothing to play
    for prefix in ("sip/", "pjsip/"):  # res_pjsip_notify strips these before looking the endpoint up
        if endpoint.lower().startswith(prefix):
            endpoint = endpoint[len(prefix) :]
    if not _REGISTERED.fullmatch(endpoint):
        return NotifyReply("Error", f"Unable to retrieve endpoint {endpoint}")
    return NotifyReply("Success", "NOTIFY sent", f"PJSIP/{endpoint}" if _is_talk(variables) else None)


def sip_notify(action: dict[str, str], variables: list[str]) -> NotifyReply:
    """chan_sip's ``SIPnotify``: a peer in ``Channel`` (``SIP/101`` or ``101``) and at least one variable."""
    peer = action.get("channel", "")
    if not peer:
        return NotifyReply("Error", "SIPNotify requires a channel name")
    if peer.lower().startswith("sip/"):
        peer = peer[4:]
    if not variables:
        return NotifyReply("Error", "SIPNotify requires variables")
    if not _REGISTERED.fullmatch(peer):
        return NotifyReply("Error", "Could not create address")
    return NotifyReply("Success", "Notify Sent", f"SIP/{peer}" if _is_talk(variables) else None)


def _is_talk(variables: list[str]) -> bool:
    for variable in variables:
        name, _, value = variable.partition("=")
        if name.strip().lower() == "event" and value.strip().lower() == "talk":
            return True
    return False
