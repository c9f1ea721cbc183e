"""What every recording store does alike (CALL-28, -37, -38): which listed entries are candidates, and reading
a file into a sink without passing the size limit.

A folder, an SFTP server and an FTP server list and read differently, but they pick candidates and count
bytes the same way; each store keeps only how it talks to its server.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from typing import BinaryIO

from connectors.recordings.base import FileTooLargeError, RecordingFile
from connectors.recordings.naming import is_safe_name
from connectors.recordings.raw_names import OddNames, is_escaped, shown


def recording_files(
    folder: str,
    entries: Iterable[tuple[str, bool, Callable[[], int]]],
    join: Callable[[str, str], str],
    odd: OddNames,
) -> list[RecordingFile]:
    """The candidates among ``folder``'s ``(name, is plain file, size)`` entries: plain files with a safe name.

    Sub-folders, links and names that are not plain file names never are; ``size`` is asked only of those kept.
    A candidate whose name is not UTF-8 is kept (matched like any other) and warned about once, through ``odd``.
    """
    files = [
        RecordingFile(name, folder, join(folder, name), size())
        for name, plain, size in entries
        if plain and is_safe_name(name)
    ]
    odd.note(folder, [file.name for file in files if is_escaped(file.name)])
    return files


def refuse_oversize(system: str, path: str, size: int, limit_bytes: int) -> None:
    """:class:`FileTooLargeError` when ``size`` is over ``limit_bytes``."""
    if size > limit_bytes:
        raise FileTooLargeError(
            f"{shown(path)} is {size} bytes, over the {limit_bytes}-byte limit",
            size_bytes=size,
            system=system,
            operation="read",
        )


class CappedSink:
    """Writes chunks to ``sink`` and counts them, refusing the chunk that would pass ``limit_bytes``."""

    def __init__(self, sink: BinaryIO, *, system: str, path: str, limit_bytes: int) -> None:
        self._sink, self._system, self._path, self._limit = sink, system, path, limit_bytes
        self.written = 0

    def write(self, chunk: bytes) -> None:
        self.written += len(chunk)
        refuse_oversize(self._system, self._path, self.written, self._limit)
        self._sink.write(chunk)


def read_all(copy_to: Callable[..., int], path: str, limit_bytes: int) -> bytes:
    """A store's ``read_bytes`` from its ``copy_to``."""
    sink = io.BytesIO()
    copy_to(path, sink, limit_bytes=limit_bytes)
    return sink.getvalue()
