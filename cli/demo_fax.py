"""The fax part of ``commsuite demo``: the bridge's fax worker against HylaFAX and the Dataverse emulator.

The CRM gets a HylaFAX server row (dial prefix 9, three retries, a company
header) with its sending number; a seeded contact and a seeded account get
fax numbers. A pending fax to the contact with a generated one-page TIFF as
its note is sent by the bridge (FAX-01) and a fax from the account's number
is placed in the server's receive queue; the bridge imports it as an
incoming fax matched to the account (FAX-16, -17). The server is the real
hylafax-server when it is installed (started here if it is not running and
we are root); otherwise, or if it will not start, a stand-in hfaxd
(:mod:`emulator.hfaxd`), which the summary says; that set-up is
:mod:`emulator.fax_scenario`, shared with ``bench/fax.py``. On the real server the demo
job is cancelled and the placed file removed afterwards: with no modem the
job would wait for ever.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.config.loader import parse_config
from bridge.runtime.daemon import Bridge
from cli.demo_signin import DemoSignIn
from connectors.dataverse import DataverseClient, RecordId, odata
from connectors.fax.hylafax import HylaFaxServer, HylaFaxSettings
from dataverse_schema.names import Account, Fax
from emulator.fax_scenario import CONTACT_FAX, SERVER_KEY, FaxHost, configure_crm, fax_host, pending_fax, place_received
from emulator.server import EmulatorServer
from services.fax.receiving import fax_id

TIMEOUT_S = 60.0
Say = Callable[[str], None]


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
