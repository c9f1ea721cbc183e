"""Byte transports that feed the line protocols: serial ports (SMDR, caller-ID boxes) (CALL-21).

:mod:`.serial_link` opens a port with pyserial, hands every chunk it reads to
a sink with its receive time, and reopens the port with capped, jittered
backoff when it vanishes. :mod:`.backoff` holds that backoff. The KX-NS TCP
console lives with its protocol in :mod:`connectors.pbx.smdr.tcp`.
"""

from connectors.pbx.transport.backoff import Backoff
from connectors.pbx.transport.serial_link import FlowControl, Parity, SerialLink, SerialSettings

__all__ = ["Backoff", "FlowControl", "Parity", "SerialLink", "SerialSettings"]
