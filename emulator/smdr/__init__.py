"""A Panasonic SMDR replayer: the KX-NS500 TCP console with its login, and a serial printer on a pseudo-terminal."""

from emulator.smdr.pty import PtyPrinter
from emulator.smdr.server import HEADER, SmdrServer

__all__ = ["HEADER", "PtyPrinter", "SmdrServer"]
