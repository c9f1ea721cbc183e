"""An AMI system's CDR catch-up is built from its settings: the file, how it is reached, where the position is
kept (CALL-14)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bridge.config.model import SystemConfig
from bridge.runtime.cdr_catchup import cdr_catchup
from connectors.pbx.ami.cdr_catchup import LocalCsv, SftpCsv
from connectors.pbx.ami.settings import AmiSettings
from connectors.recordings.sftp import SftpSettings


def _system(tmp_path: Path, **ami: object) -> SystemConfig:
    settings = AmiSettings(system="hq", host="pbx", username="crm", secret="s", **ami)
    return SystemConfig("hq", "ami", ("crm",), ami=settings, raw_journal=tmp_path / "raw-frames.db")


def test_no_cdr_csv_no_catch_up(tmp_path: Path) -> None:
    assert cdr_catchup(_system(tmp_path)) is None


def test_a_local_master_csv_with_its_position_beside_the_journal(tmp_path: Path) -> None:
    built = cdr_catchup(_system(tmp_path, cdr_csv="/var/log/asterisk/cdr-csv/Master.csv", cdr_timezone="UTC"))
    assert isinstance(built.source, LocalCsv) and built.state.path == tmp_path / "cdr-csv-hq.db"
    assert built.zone.key == "UTC"


def test_over_sftp_it_needs_the_systems_sftp_login(tmp_path: Path) -> None:
    system = _system(tmp_path, cdr_csv="/var/log/asterisk/cdr-csv/Master.csv", cdr_csv_sftp=True)
    with pytest.raises(ValueError, match="recordings"):
        cdr_catchup(system)
    login = SftpSettings(system="hq", host="pbx", username="rec", known_hosts=tmp_path / "kh", password="pw")
    built = cdr_catchup(
        SystemConfig("hq", "ami", ("crm",), ami=system.ami, recordings=login, raw_journal=system.raw_journal)
    )
    assert isinstance(built.source, SftpCsv) and built.source.store.root == "/var/log/asterisk/cdr-csv"


def test_the_connectors_final_stop_lets_go_of_the_position_file(tmp_path: Path) -> None:
    import asyncio
    import sqlite3

    from connectors.pbx.ami import AmiConnector

    system = _system(tmp_path, cdr_csv=str(tmp_path / "Master.csv"), cdr_timezone="UTC")
    built = cdr_catchup(system)
    connector = AmiConnector(system.ami, cdr_catchup=built)
    asyncio.run(connector.stop())
    with pytest.raises(sqlite3.ProgrammingError):  # closed: the file is free for the next start
        built.state._db.execute("SELECT 1")
    assert cdr_catchup(system).state.load() is None  # and opens again cleanly


def test_metrics_count_the_calls_from_cdr_and_the_rows_skipped() -> None:
    from dataclasses import replace

    from bridge.runtime.health import HealthSnapshot, SystemHealth, metrics_of
    from connectors.pbx.ami import AmiConnector

    connector = AmiConnector(AmiSettings(system="hq", host="pbx", username="u", secret="s"))
    assert (connector.recovered_from_cdr, connector.cdr_rows_skipped) == (0, 0)
    system = replace(SystemHealth("hq", "ami", "connected"), recovered_from_cdr=4, cdr_rows_skipped=1)
    text = metrics_of(HealthSnapshot(1.0, (system,), ()))
    assert 'commsuite_bridge_calls_from_cdr_total{system="hq"} 4' in text
    assert 'commsuite_bridge_cdr_rows_skipped_total{system="hq"} 1' in text


FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "cdr"


def _checked(tmp_path: Path, master: Path) -> list:
    import asyncio

    from bridge.runtime.cdr_catchup import check_cdr_csv

    config = SimpleNamespace(systems={"hq": _system(tmp_path, cdr_csv=str(master))})
    return asyncio.run(check_cdr_csv(config))


def test_bridge_check_reads_the_last_row_and_says_what_is_missing(tmp_path: Path) -> None:
    (ok,) = _checked(tmp_path, FIXTURES / "master-asterisk20-newcdrcolumns.csv")
    assert ok.ok and not ok.warning and "last call ended 2026-12-06" in ok.detail and "with linkedid" in ok.detail
    (no_linkedid,) = _checked(tmp_path, FIXTURES / "master-asterisk20-uniqueid.csv")
    assert no_linkedid.ok and "newcdrcolumns = yes" in no_linkedid.detail
    bare = tmp_path / "Master.csv"
    rows = (FIXTURES / "master-asterisk20-uniqueid.csv").read_text().splitlines()
    bare.write_text("".join(line.rsplit(",", 2)[0] + "\n" for line in rows))  # no uniqueid, no userfield
    (warned,) = _checked(tmp_path, bare)
    assert warned.ok and warned.warning and "loguniqueid = yes" in warned.detail
    (missing,) = _checked(tmp_path, tmp_path / "nowhere" / "Master.csv")
    assert missing.ok and "not there yet" in missing.detail
