"""The fax part of ``commsuite demo``: the bridge's fax worker against HylaFAX and the Dataverse emulator.

The CRM gets a HylaFAX server row (dial prefix 9, three retries, a company
header) with its sending number; a seeded contact and a seeded account get
fax numbers. A pending fax to the contact with a generated one-page TIFF as
its note is sent by the bridge (FAX-01) and a fax from the account's number
is placed in the server's receive queue; the bridge imports it as an
incoming fax matched to the account (FAX-16, -17). The server is the real
hylafax-server when it is installed (started here if it is not running and
we are root); otherwise, or if it will not start, a stand-in hfaxd
(:mod:`emulator.hfaxd`), which the summary says. On the real server the demo
job is cancelled and the placed file removed afterwards: with no modem the
job would wait for ever.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.config.loader import parse_config
from bridge.runtime.daemon import Bridge
from cli.demo_signin import DemoSignIn
from connectors.dataverse import DataverseClient, RecordId, bind, deterministic_id, odata
from connectors.fax.hylafax import HylaFaxServer, HylaFaxSettings
from dataverse_schema import navigation
from dataverse_schema.fax import SERVER_KINDS
from dataverse_schema.names import Account, ActivityParty, Annotation, Contact, Fax, FaxNumber, FaxServer
from emulator.fax_tiff import received_fax_tiff
from emulator.hfaxd import StandInHfaxd
from emulator.server import EmulatorServer
from services.fax import rows
from services.fax.receiving import fax_id
from services.fax.subject import TO_RECIPIENT

SERVER_KEY, LINE = "demo-hylafax", "02188881000"
CONTACT_FAX, ACCOUNT_FAX = "02112345678", "02155550101"
SPOOL, INIT_SCRIPT, PORT = Path("/var/spool/hylafax"), Path("/etc/init.d/hylafax"), 4559
TIMEOUT_S = 60.0
Say = Callable[[str], None]


@dataclass(frozen=True)
class FaxHost:
    """Where the demo's hfaxd is: the real one (with its spool) or the stand-in."""

    host: str
    port: int
    label: str
    spool: Path | None = None
    stand_in: StandInHfaxd | None = None


@dataclass
class FaxResult:
    """What the fax step did, read back from the emulator's records."""

    server: str = ""
    sent_to: str = ""
    job_id: str = ""
    sent_detail: str = ""
    received_from: str = ""
    received_subject: str = ""
    received_pages: int = 0
    matched_account: str = ""

    def lines(self) -> list[tuple[str, str]]:
        account = self.matched_account or "none"
        return [
            ("fax: server", self.server),
            ("fax: sent", f"to {self.sent_to}: job {self.job_id or 'none'}; {self.sent_detail}"),
            (
                "fax: received",
                f"«{self.received_subject}» from {self.received_from}, "
                f"{self.received_pages} page(s), matched to account {account}",
            ),
        ]


def run_fax(server: EmulatorServer, client: DataverseClient, out_dir: Path, sign_in: DemoSignIn, say: Say) -> FaxResult:
    """Configure fax in the CRM, send and receive one fax through the bridge, and read back what it wrote."""
    work = out_dir / "fax"
    work.mkdir(parents=True, exist_ok=True)
    with fax_host(say) as host:
        contact, account = configure_crm(client, say)
        outgoing = pending_fax(client, contact)
        name = place_received(host)
        try:
            asyncio.run(_run_bridge(_config(server, work, host, sign_in), sign_in.environ(), client, outgoing, name))
            return _summary(client, host, outgoing, name, contact, say)
        finally:
            _clean_up(client, host, outgoing, name)


@contextlib.contextmanager
def fax_host(say: Say) -> Iterator[FaxHost]:
    """The real hylafax-server on localhost:4559 if installed and reachable (started if need be), else a stand-in."""
    why = _start_real()
    if why is None:
        greeting = HylaFaxServer(HylaFaxSettings(host="localhost", user="commsuite-demo")).check()
        say(f"fax: real hylafax-server on localhost:{PORT} ({greeting})")
        yield FaxHost("localhost", PORT, f"real hylafax-server at localhost:{PORT}", spool=SPOOL)
        return
    with StandInHfaxd() as stand_in:
        say(f"fax: {why}; using a local stand-in hfaxd on 127.0.0.1:{stand_in.port} (not HylaFAX)")
        yield FaxHost(
            "127.0.0.1", stand_in.port, f"stand-in hfaxd at 127.0.0.1:{stand_in.port} ({why})", stand_in=stand_in
        )


def _start_real() -> str | None:
    """None when hfaxd listens on 4559 (starting it if installed and root); else why the stand-in is used."""
    if _port_open():
        return None
    if shutil.which("faxq") is None or not INIT_SCRIPT.exists():
        return "hylafax-server is not installed"
    if os.geteuid() != 0:
        return "hylafax-server is installed but not running, and only root may start it"
    try:
        subprocess.run([str(INIT_SCRIPT), "start"], check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"hylafax-server did not start ({exc.__class__.__name__})"
    deadline = time.monotonic() + 30
    while not _port_open():
        if time.monotonic() > deadline:
            return f"hfaxd did not open port {PORT} within 30 s"
        time.sleep(0.2)
    return None


def _port_open() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=0.5):
            return True
    except OSError:
        return False


def configure_crm(client: DataverseClient, say: Say) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo's fax server row and sending number; the contact and the account given the demo fax numbers."""
    server_id = deterministic_id("demo-fax-server", SERVER_KEY)
    for other in client.query(FaxServer.SET, select=[FaxServer.ID], filter=odata.eq(FaxServer.ISDEFAULT, True)):
        if other[FaxServer.ID] != server_id:
            client.update(FaxServer.SET, other[FaxServer.ID], {FaxServer.ISDEFAULT: False})
    client.upsert(
        FaxServer.SET,
        RecordId(server_id),
        {
            FaxServer.NAME: "Head office HylaFAX (demo)",
            FaxServer.SERVERKEY: SERVER_KEY,
            FaxServer.KIND: SERVER_KINDS.value_of("HylaFAX"),
            FaxServer.ISDEFAULT: True,
            FaxServer.DIALPREFIX: "9",
            FaxServer.EXTENSIONWAITSECONDS: 8,
            FaxServer.RETRYCOUNT: 3,
            FaxServer.RETRYINTERVALMINUTES: 10,
            FaxServer.PAGEHEADER: "CommSuite demo organisation",
        },
    )
    client.upsert(
        FaxNumber.SET,
        RecordId(deterministic_id("demo-fax-number", LINE)),
        {
            FaxNumber.NAME: f"Fax line {LINE}",
            FaxNumber.SERVERKEY: SERVER_KEY,
            FaxNumber.NUMBER: LINE,
            FaxNumber.ISDEFAULT: True,
            **bind(FaxNumber.FAXSERVERID_NAV, FaxServer.SET, server_id),
        },
    )
    contact = _claim_number(client, Contact.SET, Contact.ID, Contact.FULLNAME, Contact.FAX, CONTACT_FAX)
    account = _claim_number(client, Account.SET, Account.ID, Account.NAME, Account.FAX, ACCOUNT_FAX)
    say(
        f"fax: server {SERVER_KEY} (default, line {LINE}); {contact['name']} has fax {CONTACT_FAX}, account "
        f"{account['name']} has fax {ACCOUNT_FAX}"
    )
    return contact, account


def _claim_number(
    client: DataverseClient, entity_set: str, id_column: str, name_column: str, fax_column: str, number: str
) -> dict[str, Any]:
    """The first seeded record of the set gets ``number`` as its fax; no other record keeps it."""
    for other in client.query(entity_set, select=[id_column], filter=odata.eq(fax_column, number)):
        client.update(entity_set, other[id_column], {fax_column: None})
    first = next(client.query(entity_set, select=[id_column, name_column], orderby=[f"{id_column} asc"], top=1))
    client.update(entity_set, first[id_column], {fax_column: number})
    return {"id": first[id_column], "name": first[name_column]}


def pending_fax(client: DataverseClient, contact: dict[str, Any]) -> str:
    """A pending fax to the contact (its number copied, as the form does) with a one-page TIFF note."""
    outgoing = client.create(
        Fax.SET,
        {
            Fax.SUBJECT: "",
            Fax.FAXNUMBER: CONTACT_FAX,
            Fax.FAXSTATUS: rows.PENDING,
            navigation.activity_parties(Fax.TABLE): [
                {
                    ActivityParty.PARTICIPATIONTYPEMASK: TO_RECIPIENT,
                    **bind(navigation.party(Contact.TABLE), Contact.SET, contact["id"]),
                }
            ],
        },
    )
    page = received_fax_tiff("", "", "CommSuite demo note", pages=1)
    client.create(
        Annotation.SET,
        {
            Annotation.SUBJECT: "Price list",
            Annotation.FILENAME: "price-list.tif",
            Annotation.DOCUMENTBODY: base64.b64encode(page).decode(),
            **bind(navigation.objectid(Fax.TABLE), Fax.SET, outgoing),
        },
    )
    return outgoing


def place_received(host: FaxHost) -> str:
    """A one-page fax from the account's number in the receive queue; returns its file name."""
    data = received_fax_tiff("CONTOSO FAX", ACCOUNT_FAX, "", pages=1)
    if host.stand_in is not None:
        return host.stand_in.receive(data, pages=1, caller_number=ACCOUNT_FAX, tsi="CONTOSO FAX")
    path = (host.spool or SPOOL) / "recvq" / f"fax{uuid.uuid4().int % 10**9:09d}.tif"
    path.write_bytes(data)
    uucp = pwd.getpwnam("uucp")  # as faxgetty leaves it: owned by the fax user, readable
    os.chown(path, uucp.pw_uid, uucp.pw_gid)
    path.chmod(0o644)
    return path.name


def _config(server: EmulatorServer, work: Path, host: FaxHost, sign_in: DemoSignIn) -> str:
    return f"""
[bridge]
outbox = "{work / "outbox.db"}"
health_listen = "127.0.0.1:0"
console_listen = "127.0.0.1:0"
shutdown_timeout_s = 10
listeners = ["bridge.plugins.fax:from_bridge"]

{sign_in.environment_toml("crm", server.origin)}
[fax.servers.{SERVER_KEY}]
kind = "hylafax"
environment = "crm"
host = "{host.host}"
port = {host.port}
user = "commsuite-demo"
connect_timeout_s = 2
read_timeout_s = 20
send_interval_s = 1
status_interval_s = 5
receive_interval_s = 5
"""


async def _run_bridge(text: str, environ: dict[str, str], client: DataverseClient, outgoing: str, name: str) -> None:
    bridge = Bridge(parse_config(text.encode(), "bridge.toml", environ))
    bridge.load_plugins()
    task = asyncio.create_task(bridge.run(install_signals=False))
    try:
        await _until(lambda: _read(client, outgoing)[Fax.JOBID], "the fax's job id")
        await _until(lambda: _received(client, name), "the received fax")
    finally:
        bridge.request_stop("fax demo over")
        await asyncio.wait_for(task, 30)


async def _until(condition: Callable[[], Any], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not await asyncio.to_thread(condition):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the fax demo timed out waiting for {what}")
        await asyncio.sleep(0.1)


def _read(client: DataverseClient, outgoing: str) -> dict[str, Any]:
    return client.retrieve(
        Fax.SET, RecordId(outgoing), select=[Fax.JOBID, Fax.FAXSTATUS, Fax.STATUSDETAIL, Fax.DIALSTRING, Fax.SUBJECT]
    )


def _received(client: DataverseClient, name: str) -> dict[str, Any] | None:
    found = list(
        client.query(
            Fax.SET,
            select=[Fax.SUBJECT, Fax.FAXNUMBER, Fax.NUMBEROFPAGES, Fax.REGARDINGOBJECTID_VALUE],
            filter=odata.eq(Fax.ACTIVITYID, uuid.UUID(fax_id(SERVER_KEY, name))),
        )
    )
    return found[0] if found else None


def _summary(
    client: DataverseClient, host: FaxHost, outgoing: str, name: str, contact: dict[str, Any], say: Say
) -> FaxResult:
    sent, received = _read(client, outgoing), _received(client, name) or {}
    regarding = received.get(Fax.REGARDINGOBJECTID_VALUE)
    account = client.retrieve(Account.SET, RecordId(regarding), select=[Account.NAME]) if regarding else {}
    result = FaxResult(
        server=host.label,
        sent_to=f"{contact['name']} ({CONTACT_FAX}, dialled {sent[Fax.DIALSTRING]})",
        job_id=sent[Fax.JOBID] or "",
        sent_detail=sent[Fax.STATUSDETAIL] or "",
        received_from=received.get(Fax.FAXNUMBER) or "",
        received_subject=received.get(Fax.SUBJECT, ""),
        received_pages=received.get(Fax.NUMBEROFPAGES) or 0,
        matched_account=account.get(Account.NAME, ""),
    )
    say(f"fax: «{sent[Fax.SUBJECT]}» submitted as job {result.job_id}")
    for what, text in result.lines():
        say(f"{what}: {text}")
    return result


def _clean_up(client: DataverseClient, host: FaxHost, outgoing: str, name: str) -> None:
    """On the real server: cancel the demo's job (no modem would ever send it) and remove the placed fax."""
    if host.spool is None:
        return
    (host.spool / "recvq" / name).unlink(missing_ok=True)
    job_id = _read(client, outgoing)[Fax.JOBID]
    if job_id:
        HylaFaxServer(HylaFaxSettings(host=host.host, port=host.port, user="commsuite-demo")).cancel(job_id)
