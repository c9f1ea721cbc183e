"""Builds an AMI system's CDR catch-up from its settings (CALL-14): where ``Master.csv`` is read, where the
position is kept.

``cdr_csv`` alone reads the file on this machine; with ``cdr_csv_sftp`` it is
read on the PBX over the SFTP login of the system's ``[systems.<key>.recordings]``
table (same host, known_hosts and credentials), its reads confined to the
file's folder. The position is kept in ``cdr-csv-<key>.db`` (SQLite,
:mod:`bridge.runtime.cdr_state`; an old bridge's ``cdr-csv-<key>.json`` is moved
into it at the first start) beside the raw journal, that is beside the outbox
unless ``raw_journal`` says otherwise. A position that cannot be opened or
migrated is logged as an ERROR and turns the catch-up off for this run (the
calls go on being logged from events; nothing kept is overwritten).
:func:`check_cdr_csv` is ``bridge check``'s line for it.
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
from datetime import datetime
from pathlib import Path

from bridge.config.model import BridgeConfig, SystemConfig
from bridge.runtime.cdr_state import CdrStateError, SqliteCatchUpState
from bridge.runtime.check_result import CheckResult
from connectors.errors import ConnectorError
from connectors.pbx.ami.cdr_catchup import CdrCatchUp, CsvSource, LocalCsv, SftpCsv
from connectors.pbx.ami.cdr_csv import parse_chunk
from connectors.recordings.sftp import SftpRecordingStore, SftpSettings

log = logging.getLogger(__name__)


def cdr_catchup(system: SystemConfig) -> CdrCatchUp | None:
    """The catch-up ``system`` asks for; ``None`` when it names no ``cdr_csv`` or its kept position cannot be
    used (logged as an ERROR). ``ValueError`` when ``cdr_csv_sftp`` is set but the system has no SFTP
    recordings login to use."""
    source = cdr_source(system)
    if source is None:
        return None
    beside = system.raw_journal or Path("raw-frames.db")
    try:
        state = SqliteCatchUpState(
            beside.with_name(f"cdr-csv-{system.key}.db"), legacy=beside.with_name(f"cdr-csv-{system.key}.json")
        )
    except CdrStateError as exc:
        log.error(
            "CDR catch-up of system %s is off until the bridge starts again: %s",
            system.key,
            exc,
            extra={"system": system.key, "operation": "cdr_catchup"},
        )
        source.close()
        return None
    zone = system.ami.cdr_zone or datetime.now().astimezone().tzinfo
    return CdrCatchUp(source, state, zone=zone)


def cdr_source(system: SystemConfig) -> CsvSource | None:
    """Where ``system``'s ``Master.csv`` is read; ``None`` without ``cdr_csv``; ``ValueError`` as above."""
    settings = system.ami
    if settings is None or not settings.cdr_csv:
        return None
    if not settings.cdr_csv_sftp:
        return LocalCsv(settings.cdr_csv)
    if not isinstance(system.recordings, SftpSettings):
        raise ValueError(
            f"systems.{system.key}.ami.cdr_csv_sftp needs a [systems.{system.key}.recordings] table of kind 'sftp'"
        )
    folder = posixpath.dirname(settings.cdr_csv) or "/"
    return SftpCsv(SftpRecordingStore(system.recordings.model_copy(update={"root": folder})), settings.cdr_csv)


#: How much of Master.csv's end ``bridge check`` reads to find its last row.
_TAIL_BYTES = 8 * 1024


async def check_cdr_csv(config: BridgeConfig) -> list[CheckResult]:
    """``bridge check``: each AMI system's Master.csv can be read, and its rows carry the ids the catch-up
    needs (``loguniqueid``; ``newcdrcolumns`` for Local channels). Never raises for a failed check."""
    results = []
    for system in config.systems.values():
        if system.ami is None or not system.ami.cdr_csv:
            continue
        name = f"system {system.key} CDR catch-up ({system.ami.cdr_csv})"
        try:
            source = cdr_source(system)
            try:
                results.append(CheckResult(name, True, await asyncio.to_thread(_last_row, source)))
            finally:
                source.close()
        except ValueError as exc:
            results.append(CheckResult(name, False, str(exc)))
        except (OSError, ConnectorError) as exc:
            results.append(CheckResult(name, False, f"cannot read it ({exc}); check the path and its permissions"))
        except _NoIds as exc:
            results.append(CheckResult(name, True, str(exc), warning=True))
    return results


class _NoIds(Exception):
    """The rows carry no uniqueid: the catch-up cannot match them to live calls."""


def _last_row(source: CsvSource) -> str:
    found = source.stat()
    if found is None:
        return "not there yet (Asterisk creates it with the first call; the folder must exist)"
    start = max(0, found.size - _TAIL_BYTES)
    rows = parse_chunk(source.read(start, found.size - start), final=True).rows if found.size else ()
    if not rows:
        return f"readable, {found.size} bytes, no complete row at its end"
    last = rows[-1]
    if not last.uniqueid and not last.linkedid:
        raise _NoIds(
            "its rows carry no uniqueid: set loguniqueid = yes under [csv] in cdr.conf, or calls seen live may be "
            "logged again from it"
        )
    linked = "with linkedid" if last.linkedid else "no linkedid (set newcdrcolumns = yes if calls use Local channels)"
    return f"readable, {found.size} bytes, last call ended {last.end}, {linked}"
