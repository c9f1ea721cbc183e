"""The recording-store interface and its errors (CALL-28).

A :class:`RecordingStore` is wherever a PBX or a recorder box leaves call
recordings: an Asterisk monitor folder reached over SFTP
(:mod:`connectors.recordings.sftp`) or a folder a recorder box writes into and
the bridge host can read (:mod:`connectors.recordings.folder`). The bridge
lists candidate folders, lets the pure finder
(:mod:`connectors.recordings.naming`) pick the call's file, then reads it.

Every store refuses any path outside its ``root``, whatever a listing or a CRM
setting says, and raises only errors from :mod:`connectors.errors`:

* :class:`UnknownHostKeyError` (an :class:`~connectors.errors.AuthError`): the
  server's host key is not the one in ``known_hosts``. Never retry; an admin
  must check the fingerprint.
* :class:`~connectors.errors.AuthError`: the login was refused. Never retry.
* :class:`FolderMissingError`, :class:`FileMissingError`,
  :class:`FileTooLargeError`, :class:`UnsafePathError` and permission problems
  (:class:`~connectors.errors.RejectedError`): retrying the same request gives
  the same answer (a day folder may still appear later, which the caller knows).
* :class:`~connectors.errors.NotSentError`: the host could not be reached
  (network down, refused, DNS). Safe to retry.
* :class:`~connectors.errors.UnavailableError`: the link broke or timed out
  mid-read. Reads are idempotent, so a retry is safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO, Protocol

from connectors.errors import AuthError, RejectedError


@dataclass(frozen=True)
class RecordingFile:
    """One file seen in a store's folder: its bare ``name``, the ``folder`` it was listed in,
    its full ``path`` in the store and its size in bytes."""

    name: str
    folder: str
    path: str
    size_bytes: int


class RecordingStore(Protocol):
    """Where one telephony system's recordings are read from (CALL-28).

    Implementations are synchronous and thread-safe; the bridge calls them
    through ``asyncio.to_thread``. ``system`` names the store in errors and logs;
    ``root`` is the folder nothing may be read outside of.
    """

    system: str
    root: str

    def check(self) -> str:
        """Log in (where there is a login) and read ``root``; a one-line description of what was proven.

        Raises the store's errors (see the module docstring).
        """
        ...

    def list_folder(self, folder: str) -> list[RecordingFile]:
        """The regular files in ``folder`` (absolute, inside ``root``), in no particular order.

        Raises :class:`FolderMissingError` when the folder does not exist.
        """
        ...

    def read_bytes(self, path: str, *, limit_bytes: int) -> bytes:
        """The whole file at ``path``; :class:`FileTooLargeError` beyond ``limit_bytes``."""
        ...

    def copy_to(self, path: str, sink: BinaryIO, *, limit_bytes: int) -> int:
        """Stream the file at ``path`` into ``sink``; returns the bytes written.

        Raises :class:`FileTooLargeError` beyond ``limit_bytes`` (``sink`` may then
        hold a partial copy).
        """
        ...

    def close(self) -> None:
        """Drop any open session; the next call opens a new one."""
        ...


class UnknownHostKeyError(AuthError):
    """The server's host key is missing from, or differs from, the configured ``known_hosts``.

    Not retry-safe: the bridge stops using the store until an admin checks the
    fingerprint (it may be a new server, or someone in the middle).
    """


class FolderMissingError(RejectedError):
    """The folder does not exist (yet): a day folder appears with the day's first recording."""


class FileMissingError(RejectedError):
    """The file was listed but is gone (moved, converted to MP3, deleted)."""


class FileTooLargeError(RejectedError):
    """The file is bigger than the caller's limit (Dataverse's attachment size)."""

    def __init__(self, message: str, *, size_bytes: int | None = None, **context):
        super().__init__(message, code="too_large", **context)
        self.size_bytes = size_bytes


class UnsafePathError(RejectedError):
    """A path or file name would leave the store's root, or is not a plain file name."""
