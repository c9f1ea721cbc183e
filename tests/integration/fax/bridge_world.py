"""Shared set-up for the fax bridge tests: a CRM with a fax server row, a contact and an account with fax
numbers, a ``bridge.toml`` with only ``[fax]``, a running in-process bridge, and the real hfaxd's queues."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.config.loader import parse_config
from bridge.runtime.daemon import Bridge
from connectors.dataverse import DataverseClient, RecordId, bind
from connectors.fax.hylafax import HylaFaxServer, HylaFaxSettings
from connectors.fax.hylafax.session import opened
from dataverse_schema import navigation
from dataverse_schema.fax import SERVER_KINDS
from dataverse_schema.names import Account, ActivityParty, Annotation, Contact, Fax, FaxNumber, FaxServer
from dataverse_schema.telephony import PARTY_TO_RECIPIENT as TO_RECIPIENT
from emulator.seed import seed
from emulator.server import EmulatorServer
from services.fax import rows
from tests.integration.bridge.helpers import client_for

SERVER_KEY = "hq-fax"
CONTACT_FAX = "02112345678"
ACCOUNT_FAX = "02155550101"
PDF = (  # one blank page; ghostscript does not check the xref offsets
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class FaxCrm:
    client: DataverseClient
    server_id: str
    contact_id: str
    account_id: str


def seed_fax_crm(emulator: EmulatorServer, *, key: str = SERVER_KEY) -> FaxCrm:
    """The demo records, a HylaFAX server row (prefix 9, 8 s extension wait, 3 retries every 10 min, a
    header), its sending number, a contact and an account with fax numbers."""
    seed(emulator.store)
    client = client_for(emulator.origin)
    server_id = client.create(
        FaxServer.SET,
        {
            FaxServer.NAME: "Head office fax",
            FaxServer.SERVERKEY: key,
            FaxServer.KIND: SERVER_KINDS.value_of("HylaFAX"),
            FaxServer.ISDEFAULT: True,
            FaxServer.DIALPREFIX: "9",
            FaxServer.EXTENSIONWAITSECONDS: 8,
            FaxServer.RETRYCOUNT: 3,
            FaxServer.RETRYINTERVALMINUTES: 10,
            FaxServer.PAGEHEADER: "ACME Trading Ltd",
        },
    )
    client.create(
        FaxNumber.SET,
        {
            FaxNumber.NAME: "Main",
            FaxNumber.SERVERKEY: key,
            FaxNumber.NUMBER: "02188881000",
            FaxNumber.ISDEFAULT: True,
            **bind(FaxNumber.FAXSERVERID_NAV, FaxServer.SET, server_id),
        },
    )
    contact_id = client.create(
        Contact.SET, {Contact.FIRSTNAME: "Reza", Contact.LASTNAME: "Karimi", Contact.FAX: CONTACT_FAX}
    )
    account_id = client.create(Account.SET, {Account.NAME: "Contoso Imports", Account.FAX: ACCOUNT_FAX})
    return FaxCrm(client, server_id, contact_id, account_id)


def new_fax(
    crm: FaxCrm, *, document: bytes = PDF, name: str = "offer.pdf", extension: str = "123", **columns: Any
) -> str:
    """A pending fax to the contact (its fax number copied, as the form does) with one attachment."""
    fax_id = crm.client.create(
        Fax.SET,
        {
            Fax.SUBJECT: "",
            Fax.FAXNUMBER: CONTACT_FAX,
            Fax.EXTENSION: extension,
            Fax.FAXSTATUS: rows.PENDING,
            navigation.activity_parties(Fax.TABLE): [
                {
                    ActivityParty.PARTICIPATIONTYPEMASK: TO_RECIPIENT,
                    **bind(navigation.party("contact"), Contact.SET, crm.contact_id),
                }
            ],
            **columns,
        },
    )
    crm.client.create(
        Annotation.SET,
        {
            Annotation.SUBJECT: "document",
            Annotation.FILENAME: name,
            Annotation.DOCUMENTBODY: base64.b64encode(document).decode(),
            **bind(navigation.objectid(Fax.TABLE), Fax.SET, fax_id),
        },
    )
    return fax_id


def read_fax(crm: FaxCrm, fax_id: str) -> dict[str, Any]:
    return crm.client.retrieve(Fax.SET, RecordId(fax_id), select=[*rows.SELECT, Fax.DIALSTRING, Fax.NEXTATTEMPTON])


def fax_table(*, port: int = 4559, key: str = SERVER_KEY, status_interval_s: float = 5, receive: bool = True) -> str:
    return f"""
[fax.servers.{key}]
kind = "hylafax"
environment = "crm"
host = "localhost"
port = {port}
user = "bridge"
connect_timeout_s = 2
read_timeout_s = 20
send_interval_s = 1
status_interval_s = {status_interval_s}
receive_interval_s = 5
receive = {"true" if receive else "false"}
"""


def bridge_text(tmp_path: Path, crm_url: str, fax: str) -> str:
    """A fax-only site: ``[bridge]``, one environment and ``[fax]``; no telephony systems."""
    return f"""
[bridge]
outbox = "{tmp_path / "outbox.db"}"
health_listen = "127.0.0.1:0"
console_listen = "127.0.0.1:0"
shutdown_timeout_s = 10
listeners = ["bridge.plugins.fax:from_bridge"]

[environments.crm]
url = "{crm_url}"
static_token = "fax-tests"
read_timeout_s = 10
{fax}
"""


@contextlib.asynccontextmanager
async def running_bridge(text: str) -> AsyncIterator[Bridge]:
    """The bridge with the fax plug-in, running until the block ends (then stopped cleanly)."""
    bridge = Bridge(parse_config(text.encode(), "bridge.toml", {}))
    bridge.load_plugins()
    task = asyncio.create_task(bridge.run(install_signals=False))
    try:
        yield bridge
    finally:
        bridge.request_stop("test over")
        await asyncio.wait_for(task, 30)


async def eventually(condition: Callable[[], Any], what: str, timeout_s: float = 40) -> Any:
    """Poll ``condition`` (in a thread) until it returns something truthy, within a deadline."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await asyncio.to_thread(condition)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)


def hfaxd() -> HylaFaxServer:
    return HylaFaxServer(HylaFaxSettings(host="localhost", user="bridge", read_timeout_s=20))


def job_parameters(job_id: str) -> dict[str, str]:
    """``JPARM`` of one job as hfaxd keeps it."""
    with opened("localhost", 4559, "bridge", None, connect_timeout_s=5, read_timeout_s=20) as session:
        session.command(f"JOB {job_id}", "test")
        reply = session.command("JPARM", "test")
    pairs = (line.partition(":") for line in reply.lines[1:-1])
    return {name.strip(): value.strip() for name, _, value in pairs}
