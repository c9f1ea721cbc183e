"""A serial SMDR printer or caller-ID box on a pseudo-terminal: the reader opens :attr:`PtyPrinter.path`."""

from __future__ import annotations

import contextlib
import os
import tty


class PtyPrinter:
    """Writes to the master side of a new pty; :meth:`close` makes the port vanish (reads then fail)."""

    def __init__(self) -> None:
        self._master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.path = os.ttyname(self._slave)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._master, view) :]

    def print_lines(self, lines: list[str], *, eol: bytes = b"\r\n") -> None:
        self.write(b"".join(line.encode("utf-8") + eol for line in lines))

    def close(self) -> None:
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)

    def __enter__(self) -> PtyPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
