"""AMI server emulator: Asterisk 1.8 / 11 and 13+ dialects over real TCP (see :mod:`emulator.ami.server`)."""

from emulator.ami.server import AmiServer

__all__ = ["AmiServer"]
