"""Call recordings (CALL-28): where they are read from and which file belongs to which call.

:mod:`~connectors.recordings.base` is the store interface and its errors,
:mod:`~connectors.recordings.sftp` reads an Asterisk monitor folder over SFTP
(through :mod:`~connectors.recordings.sftp_client`),
:mod:`~connectors.recordings.ftp` a recorder's folder over FTP / FTPS (CALL-38),
:mod:`~connectors.recordings.folder` a recorder box's folder on the bridge
host, :mod:`~connectors.recordings.naming` is the pure finder,
:mod:`~connectors.recordings.raw_names` keeps file names that are not UTF-8 by their bytes, and
:mod:`~connectors.recordings.check` proves a store works.
"""

from connectors.recordings.base import (
    FileMissingError,
    FileTooLargeError,
    FolderMissingError,
    RecordingFile,
    RecordingStore,
    UnknownHostKeyError,
    UnsafePathError,
)
from connectors.recordings.check import check_recording_store
from connectors.recordings.folder import FolderRecordingStore
from connectors.recordings.ftp import FtpRecordingStore, FtpSettings
from connectors.recordings.naming import RecordingMatch, RecordingName, find_recording, parse_recording_name
from connectors.recordings.sftp import SftpRecordingStore, SftpSettings

__all__ = [
    "FileMissingError",
    "FileTooLargeError",
    "FolderMissingError",
    "FolderRecordingStore",
    "FtpRecordingStore",
    "FtpSettings",
    "RecordingFile",
    "RecordingMatch",
    "RecordingName",
    "RecordingStore",
    "SftpRecordingStore",
    "SftpSettings",
    "UnknownHostKeyError",
    "UnsafePathError",
    "check_recording_store",
    "find_recording",
    "parse_recording_name",
]
