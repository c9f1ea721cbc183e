"""Builds an AMI system's CDR catch-up from its settings (CALL-14): where ``Master.csv`` is read, where the
position is kept.

``cdr_csv`` alone reads the file on this machine; with ``cdr_csv_sftp`` it is
read on the PBX over the SFTP login of the system's ``[systems.<key>.recordings]``
table (same host, known_hosts and credentials), its reads confined to the
file's folder. The position (``cdr-csv-<key>.json``) is kept beside the raw
journal, that is beside the outbox unless ``raw_journal`` says otherwise.
"""

from __future__ import annotations

import posixpath
from datetime import datetime
from pathlib import Path

from bridge.config.model import SystemConfig
from connectors.pbx.ami.cdr_catchup import CdrCatchUp, CsvSource, LocalCsv, SftpCsv
from connectors.recordings.sftp import SftpRecordingStore, SftpSettings


def cdr_catchup(system: SystemConfig) -> CdrCatchUp | None:
    """The catch-up ``system`` asks for; ``None`` when it names no ``cdr_csv``. ``ValueError`` when
    ``cdr_csv_sftp`` is set but the system has no SFTP recordings login to use."""
    settings = system.ami
    if settings is None or not settings.cdr_csv:
        return None
    source: CsvSource
    if settings.cdr_csv_sftp:
        if not isinstance(system.recordings, SftpSettings):
            raise ValueError(
                f"systems.{system.key}.ami.cdr_csv_sftp needs a [systems.{system.key}.recordings] table of kind 'sftp'"
            )
        folder = posixpath.dirname(settings.cdr_csv) or "/"
        store = SftpRecordingStore(system.recordings.model_copy(update={"root": folder}))
        source = SftpCsv(store, settings.cdr_csv)
    else:
        source = LocalCsv(settings.cdr_csv)
    beside = system.raw_journal or Path("raw-frames.db")
    zone = settings.cdr_zone or datetime.now().astimezone().tzinfo
    return CdrCatchUp(source, beside.with_name(f"cdr-csv-{system.key}.json"), zone=zone)
