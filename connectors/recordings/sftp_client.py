"""paramiko's SFTP client, listing file names that are not UTF-8 instead of failing (CALL-28, -37).

``SFTPClient.listdir_attr`` (and ``listdir_iter``) read each READDIR name with ``Message.get_text``,
which decodes strict UTF-8: one file named in Windows-1256 or Latin-1 raises ``UnicodeDecodeError``
halfway through the reply and hides every other recording in the folder. paramiko has no option for
this, so :class:`LenientSftpClient` overrides ``listdir_attr`` with the same requests (OPENDIR, READDIR
until EOF, CLOSE) and reads each name's bytes with ``Message.get_string``, decoding them with
:func:`~connectors.recordings.raw_names.name_from_wire`. Nothing of paramiko is patched: the subclass
is used only by the sessions this bridge opens, through :class:`LenientSshClient`.

Opening or stat-ing such a file needs its exact bytes: paramiko encodes a ``str`` path as strict UTF-8
and takes a ``bytes`` path as it is, so :func:`sftp_path` hands over bytes only for those names.
"""

from __future__ import annotations

import paramiko
from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR

from connectors.recordings.raw_names import is_escaped, name_from_wire, name_to_wire


class LenientSftpClient(paramiko.SFTPClient):
    """An ``SFTPClient`` whose ``listdir_attr`` keeps names that are not UTF-8 (as lone surrogates)."""

    def listdir_attr(self, path: str | bytes = ".") -> list[paramiko.SFTPAttributes]:
        """The entries of ``path`` but ``.`` and ``..``; ``filename`` and ``longname`` decoded leniently."""
        handle = self._open_folder(path)
        entries: list[paramiko.SFTPAttributes] = []
        while True:
            try:
                kind, msg = self._request(CMD_READDIR, handle)
            except EOFError:  # paramiko's reading of the end-of-folder status
                break
            if kind != CMD_NAME:
                raise paramiko.SSHException("the server answered READDIR with something other than names")
            for _ in range(msg.get_int()):
                filename = name_from_wire(msg.get_string())
                longname = name_from_wire(msg.get_string())
                attr = paramiko.SFTPAttributes._from_msg(msg, filename, longname)
                if filename not in (".", ".."):
                    entries.append(attr)
        self._request(CMD_CLOSE, handle)
        return entries

    def _open_folder(self, path: str | bytes) -> bytes:
        kind, msg = self._request(CMD_OPENDIR, self._adjust_cwd(path))
        if kind != CMD_HANDLE:
            raise paramiko.SSHException("the server answered OPENDIR with something other than a handle")
        return msg.get_binary()


class LenientSshClient(paramiko.SSHClient):
    """An ``SSHClient`` whose ``open_sftp`` opens a :class:`LenientSftpClient` (as paramiko's own does)."""

    def open_sftp(self) -> LenientSftpClient:
        transport = self.get_transport()
        if transport is None:
            raise paramiko.SSHException("the SSH session is not open")
        client = LenientSftpClient.from_transport(transport)
        if client is None:
            raise paramiko.SSHException("the server would not open an SFTP channel")
        return client


def sftp_path(path: str) -> str | bytes:
    """``path`` as paramiko should send it: the ``str`` itself (sent as UTF-8), or the exact bytes it was
    listed as when it holds bytes that were not UTF-8."""
    return name_to_wire(path) if is_escaped(path) else path
