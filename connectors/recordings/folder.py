"""Recordings read from a folder the bridge host can see: recorder boxes, shared or mounted folders (CALL-28).

Stand-alone call recorders (and a PBX whose monitor folder is exported over
SMB or NFS) write their files into a folder; the bridge host mounts it and
reads from there. ``root`` is the mount point: folders and files are resolved
with symbolic links followed and refused unless they stay below it, so neither
a hostile file name nor a link planted in the share can make the bridge read
anything else.

A share that has gone away (unmounted, server down) shows up as an I/O error
and is reported as :class:`~connectors.errors.UnavailableError`; a day folder
that does not exist yet as :class:`~connectors.recordings.base.FolderMissingError`.

A file name that is not UTF-8 comes from the operating system with each odd byte as a lone surrogate
(``surrogateescape``), and the same text opens the same bytes; see :mod:`connectors.recordings.raw_names`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from connectors.errors import ConnectorError, RejectedError, UnavailableError
from connectors.recordings.base import (
    FileMissingError,
    FolderMissingError,
    RecordingFile,
    UnsafePathError,
)
from connectors.recordings.listing import CappedSink, read_all, recording_files, refuse_oversize
from connectors.recordings.raw_names import OddNames, shown

_CHUNK = 256 * 1024


class FolderRecordingStore:
    """A :class:`~connectors.recordings.base.RecordingStore` over a local or mounted folder. Thread-safe."""

    def __init__(self, root: str | Path, *, system: str) -> None:
        if not system:
            raise ValueError("a recording store needs the system it belongs to")
        self.system = system
        self._root = Path(root).resolve()
        self.root = self._root.as_posix()
        self._odd = OddNames(system)

    def __repr__(self) -> str:
        return f"FolderRecordingStore({self.root!r})"

    def check(self) -> str:
        with self._translating("check", self.root):
            entries = sum(1 for _ in os.scandir(self._root))
        return f"folder {self.root} readable ({entries} entries)"

    def list_folder(self, folder: str) -> list[RecordingFile]:
        where = self._inside(folder)
        with self._translating("list", folder), os.scandir(where) as entries:
            listed = [(e.name, e.is_file(follow_symlinks=False), e.stat(follow_symlinks=False)) for e in entries]
        return recording_files(
            where.as_posix(),
            ((name, plain, lambda st=st: st.st_size) for name, plain, st in listed),
            posixpath.join,
            self._odd,
        )

    def read_bytes(self, path: str, *, limit_bytes: int) -> bytes:
        return read_all(self.copy_to, path, limit_bytes)

    def copy_to(self, path: str, sink: BinaryIO, *, limit_bytes: int) -> int:
        where = self._inside(path)
        capped = CappedSink(sink, system=self.system, path=path, limit_bytes=limit_bytes)
        with self._translating("read", path), open(where, "rb") as source:
            refuse_oversize(self.system, path, os.fstat(source.fileno()).st_size, limit_bytes)
            while chunk := source.read(_CHUNK):
                capped.write(chunk)
        return capped.written

    def close(self) -> None:
        """Nothing is held open between calls."""

    # -- helpers -------------------------------------------------------------------------

    def _inside(self, path: str) -> Path:
        """``path`` resolved (links followed); :class:`UnsafePathError` unless it is below the root."""
        if not isinstance(path, str) or "\x00" in path:
            raise UnsafePathError(f"{path!r} is not a path", code="unsafe_path", system=self.system)
        try:
            resolved = Path(path.replace("\\", "/")).resolve()
        except (RuntimeError, OSError):  # a symbolic link loop (RuntimeError up to Python 3.12, OSError after)
            raise UnsafePathError(
                f"{path!r} goes through a link loop", code="unsafe_path", system=self.system
            ) from None
        if resolved != self._root and self._root not in resolved.parents:
            raise UnsafePathError(
                f"{path!r} is outside the recordings folder {self.root!r}", code="unsafe_path", system=self.system
            )
        return resolved

    @contextlib.contextmanager
    def _translating(self, operation: str, path: str) -> Iterator[None]:
        where = {"system": self.system, "operation": operation}
        path = shown(path)  # messages reach logs and Dataverse; a name that is not UTF-8 is shown with U+FFFD
        try:
            yield
        except ConnectorError:
            raise
        except FileNotFoundError as exc:
            kind = FileMissingError if operation == "read" else FolderMissingError
            raise kind(f"{path} does not exist", code="missing", **where) from exc
        except PermissionError as exc:
            raise RejectedError(f"the bridge may not read {path}", code="permission_denied", **where) from exc
        except NotADirectoryError as exc:
            raise FolderMissingError(f"{path} is not a folder", code="missing", **where) from exc
        except OSError as exc:
            reason = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
            raise UnavailableError(f"the recordings folder cannot be read: {path} ({reason})", **where) from exc
