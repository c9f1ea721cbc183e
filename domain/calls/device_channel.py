"""A device to ring, as an extension's CRM row or a click-to-call target names it (CALL-29, CALL-40).

``PJSIP/201``, ``SIP/trunk/201``, ``Local/201@from-internal`` (optionally ``/n``):
a driver, then a resource of a sane character set. No spaces, commas,
ampersands, semicolons or control characters, so a device can neither inject
an AMI header nor fork a ``Dial`` nor start a dialplan comment. The planner
refuses a bad device before anything rings; the AMI connector checks again
before it sends an ``Originate``. Pure: no I/O.
"""

from __future__ import annotations

import re

#: The longest device accepted (Asterisk's channel names are far shorter in practice).
MAX_DEVICE_LENGTH = 96
_DEVICE = re.compile(r"[A-Za-z][A-Za-z0-9]{0,15}/[A-Za-z0-9][A-Za-z0-9_.@+\-]*(/[A-Za-z0-9_.@+\-]+)*")


def is_device_channel(text: str) -> bool:
    """Whether ``text`` is, whole, a device channel of the accepted shape and length."""
    return len(text) <= MAX_DEVICE_LENGTH and _DEVICE.fullmatch(text) is not None


__all__ = ["MAX_DEVICE_LENGTH", "is_device_channel"]
