"""Calls the bridge saw only by their end, or not at all, are logged from Asterisk's CDR (CALL-14, issue 11 §2).

In-process bridge with the product's call logger, a real AMI socket to the emulator, records read back from
the Dataverse emulator: a call whose hang-ups and ``Cdr`` event alone reached the bridge (AMI bytes sent
as Asterisk sends them), calls that ran wholly while the bridge was down (read from ``Master.csv`` at the
login), and a call the bridge saw live whose record is not logged again.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.runtime.cdr_state import SqliteCatchUpState
from bridge.runtime.daemon import Bridge
from connectors.dataverse import AlternateKey
from connectors.pbx.ami.cdr_catchup import LocalCsv
from connectors.pbx.base import ConnectionState
from dataverse_schema.names import PhoneCall, TelephonySystem
from emulator.ami import AmiServer
from emulator.server import EmulatorServer, FaultPlan

from .helpers import bridge_toml, client_for, eventually, loaded_bridge, stop_bridge

pytestmark = pytest.mark.integration

SYSTEM = "pbx-hq"
LISTENERS = ("bridge.plugins.numbers:from_bridge", "bridge.plugins.call_logging:from_bridge")
MARK = "(from the PBX's call record)"


def _config(tmp_path: Path, crm: str, ami_port: int, master_csv: Path | None = None) -> str:
    text = bridge_toml(
        outbox=str(tmp_path / "outbox.db"),
        ami_port=ami_port,
        environments={"crm": crm},
        system=SYSTEM,
        listeners=LISTENERS,
    )
    catch_up = 'cdr_timezone = "Asia/Tehran"\n' + (f'cdr_csv = "{master_csv}"\n' if master_csv else "")
    return text.replace("connect_timeout_s = 2.0\n", f"connect_timeout_s = 2.0\n{catch_up}")


def _seed(client) -> None:
    client.upsert(
        TelephonySystem.SET,
        AlternateKey({TelephonySystem.SYSTEMKEY: SYSTEM}),
        {TelephonySystem.NAME: "HQ", TelephonySystem.COUNTRYCODE: "98", TelephonySystem.CITYCODE: "21"},
    )


def _calls(client) -> list[dict]:
    return list(
        client.query(
            PhoneCall.SET,
            select=[PhoneCall.PBXCALLID, PhoneCall.SUBJECT, PhoneCall.TALKSECONDS, PhoneCall.ACTUALSTART],
            filter=f"{PhoneCall.SYSTEMKEY} eq '{SYSTEM}'",
        )
    )


async def _run(bridge: Bridge, until, what: str) -> None:
    running = asyncio.create_task(bridge.run(install_signals=False))
    try:
        await until
    finally:
        await stop_bridge(bridge, running)


def _connected(bridge: Bridge) -> bool:
    return bridge.workers[SYSTEM].connector.state is ConnectionState.CONNECTED


def _frame(event: str, **headers: str) -> bytes:
    return (f"Event: {event}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()


def test_a_call_seen_only_by_its_hangups_and_cdr_is_logged_marked(tmp_path: Path) -> None:
    """Began while no bridge was logged in, ended after the login: only its hang-ups and its Cdr came."""
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:
        client = client_for(crm.origin)
        _seed(client)

        async def main() -> None:
            ami = await AmiServer(dialect="modern").start()
            bridge = loaded_bridge(_config(tmp_path, crm.origin, ami.port))

            async def scenario() -> None:
                await eventually(lambda: _connected(bridge), 10, "the AMI login")
                ami.send_raw(
                    _frame("Hangup", Channel="PJSIP/101-00000002", Uniqueid="1796554800.2", Linkedid="1796554800.1")
                    + _frame("Hangup", Channel="PJSIP/provider-00000001", Uniqueid="1796554800.1")
                    + _frame(
                        "Cdr",
                        Privilege="cdr,all",
                        Source="09121234567",
                        Destination="02191002101",
                        DestinationContext="from-trunk",
                        CallerID='"Customer" <09121234567>',
                        Channel="PJSIP/provider-00000001",
                        DestinationChannel="PJSIP/101-00000002",
                        StartTime="2026-12-06 11:30:00",
                        AnswerTime="2026-12-06 11:30:08",
                        EndTime="2026-12-06 11:31:10",
                        Duration="70",
                        BillableSeconds="62",
                        Disposition="ANSWERED",
                        UniqueID="1796554800.1",
                    )
                )
                await eventually(lambda: len(_calls(client)) == 1 and bridge.outbox.depth() == 0, 10, "the call")

            try:
                await _run(bridge, scenario(), "the call")
            finally:
                await ami.stop()

        asyncio.run(main())
        (call,) = _calls(client)
        assert call[PhoneCall.PBXCALLID] == "1796554800.1"
        assert call[PhoneCall.SUBJECT].endswith(MARK) and call[PhoneCall.SUBJECT].startswith("Incoming call from")
        assert call[PhoneCall.TALKSECONDS] == 62
        assert call[PhoneCall.ACTUALSTART].startswith("2026-12-06T08:00:08")  # answered 11:30:08 in Tehran


def _row(uniqueid: str, number: str, end: datetime, *, answered: bool = True) -> str:
    """A Master.csv row as cdr_csv writes it (loguniqueid, loguserfield), times in Tehran."""
    local = end.astimezone(TEHRAN_OFFSET)
    start = local - timedelta(seconds=40)
    answer = f'"{(start + timedelta(seconds=10)):%Y-%m-%d %H:%M:%S}"' if answered else ""
    billable, disposition = (30, "ANSWERED") if answered else (0, "NO ANSWER")
    return (
        f'"","{number}","02191002101","from-trunk","""Customer"" <{number}>","PJSIP/provider-{uniqueid[-1]:0>8}",'
        f'"PJSIP/101-0000009{uniqueid[-1]}","Dial","PJSIP/101,30","{start:%Y-%m-%d %H:%M:%S}",{answer},'
        f'"{local:%Y-%m-%d %H:%M:%S}",40,{billable},"{disposition}","DOCUMENTATION","{uniqueid}",""\n'
    )


def _position_kept(folder: Path) -> bool:
    """Whether the catch-up has kept a position yet (its first run notes where Master.csv ends)."""
    path = folder / f"cdr-csv-{SYSTEM}.db"
    if not path.exists():
        return False
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT COUNT(*) FROM position").fetchone()[0] == 1
    except sqlite3.OperationalError:  # its tables not made yet
        return False
    finally:
        db.close()


TEHRAN_OFFSET = __import__("zoneinfo").ZoneInfo("Asia/Tehran")


def test_calls_that_ran_while_the_bridge_was_down_are_read_from_master_csv(tmp_path: Path) -> None:
    """The bridge was last sure of its link an hour ago; Master.csv holds what happened since. Its position is
    in the JSON file of bridges before the SQLite one: moved into SQLite at this start, then read from."""
    now = datetime.now(UTC).replace(microsecond=0)
    master = tmp_path / "Master.csv"
    old = _row("1000.1", "09120000001", now - timedelta(hours=2))  # before the down time: logged back then
    master.write_text(old, encoding="utf-8")
    position = {
        "file": LocalCsv(master).stat().identity,
        "offset": len(old),
        "alive_at": (now - timedelta(hours=1)).isoformat(),
    }
    (tmp_path / f"cdr-csv-{SYSTEM}.json").write_text(json.dumps(position), encoding="utf-8")
    with open(master, "a", encoding="utf-8") as file:
        file.write(_row("2000.1", "09120000002", now - timedelta(minutes=30)))
        file.write('"half a row, "and garbage\n')
        file.write(_row("2000.2", "09120000003", now - timedelta(minutes=20), answered=False))
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:
        client = client_for(crm.origin)
        _seed(client)

        async def main() -> None:
            ami = await AmiServer(dialect="modern").start()
            bridge = loaded_bridge(_config(tmp_path, crm.origin, ami.port, master))

            async def logged() -> None:
                await eventually(lambda: len(_calls(client)) == 2 and bridge.outbox.depth() == 0, 15, "two calls")

            try:
                await _run(bridge, logged(), "two calls")
            finally:
                await ami.stop()

        asyncio.run(main())
        calls = {c[PhoneCall.PBXCALLID]: c[PhoneCall.SUBJECT] for c in _calls(client)}
        assert calls == {
            "2000.1": f"Incoming call from Customer {MARK}",
            "2000.2": f"Missed call from Customer {MARK}",
        }
        state = SqliteCatchUpState(tmp_path / f"cdr-csv-{SYSTEM}.db")
        assert state.load().identity == LocalCsv(master).stat().identity
        state.close()
        assert not (tmp_path / f"cdr-csv-{SYSTEM}.json").exists()
        assert json.loads((tmp_path / f"cdr-csv-{SYSTEM}.json.migrated").read_text()) == position


def test_a_call_seen_live_is_not_logged_again_from_its_cdr_or_its_row(tmp_path: Path) -> None:
    """A live call with cdr_manager on, then its Master.csv row read at the next login: one record, unmarked."""
    master = tmp_path / "Master.csv"
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:
        client = client_for(crm.origin)
        _seed(client)

        async def main() -> None:
            ami = await AmiServer(dialect="modern", cdr_manager=True, speed=5.0).start()
            try:
                bridge = loaded_bridge(_config(tmp_path, crm.origin, ami.port, master))

                async def one_call() -> None:
                    await eventually(lambda: _connected(bridge), 10, "the AMI login")
                    await eventually(lambda: _position_kept(tmp_path), 10, "the first catch-up")
                    await ami.play("inbound_answered")
                    await eventually(lambda: len(_calls(client)) == 1 and bridge.outbox.depth() == 0, 10, "the call")
                    await asyncio.sleep(0)

                await _run(bridge, one_call(), "the call")
                (call,) = _calls(client)
                ended = bridge.tracker.get(SYSTEM, call[PhoneCall.PBXCALLID]).ended_at  # cdr_csv writes it then
                master.write_text(_row(call[PhoneCall.PBXCALLID], "09121234567", ended), encoding="utf-8")
                again = loaded_bridge(_config(tmp_path, crm.origin, ami.port, master))
                await _run(again, eventually(lambda: _connected(again), 10, "the second login"), "the login")
            finally:
                await ami.stop()

        asyncio.run(main())
        (call,) = _calls(client)
        assert MARK not in call[PhoneCall.SUBJECT]


def test_a_call_that_ran_while_the_link_was_down_is_read_at_the_relogin(tmp_path: Path) -> None:
    """The bridge keeps running; its AMI link drops and comes back. A call Master.csv got meanwhile is logged."""
    master = tmp_path / "Master.csv"
    master.write_text("", encoding="utf-8")
    with EmulatorServer(tmp_path / "dv.db", faults=FaultPlan.none(), key_activation_s=0.0) as crm:
        client = client_for(crm.origin)
        _seed(client)

        async def main() -> None:
            ami = await AmiServer(dialect="modern").start()
            try:
                bridge = loaded_bridge(_config(tmp_path, crm.origin, ami.port, master))
                connector = None

                async def outage() -> None:
                    nonlocal connector
                    await eventually(lambda: _connected(bridge), 10, "the AMI login")
                    # the first catch-up ever only notes where the file ends: wait for it before the outage
                    await eventually(lambda: _position_kept(tmp_path), 10, "the first catch-up")
                    connector = bridge.workers[SYSTEM].connector
                    logins = connector._session.connects
                    ami.drop_connections()
                    with open(master, "a", encoding="utf-8") as file:
                        file.write(_row("3000.1", "09120000004", datetime.now(UTC)))
                    await eventually(lambda: connector._session.connects > logins, 10, "the second login")
                    await eventually(lambda: len(_calls(client)) == 1 and bridge.outbox.depth() == 0, 10, "the call")

                await _run(bridge, outage(), "the call")
                assert connector.recovered_from_cdr == 1
            finally:
                await ami.stop()

        asyncio.run(main())
        (call,) = _calls(client)
        assert (call[PhoneCall.PBXCALLID], call[PhoneCall.SUBJECT]) == ("3000.1", f"Incoming call from Customer {MARK}")
