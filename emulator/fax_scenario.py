"""The demo's and the fax benchmark's fax world: an hfaxd to talk to and the CRM rows a fax needs.

:func:`fax_host` finds the real hylafax-server on localhost:4559 (starting it
when it is installed and we are root), else serves the stand-in
(:mod:`emulator.hfaxd`) and says why. :func:`configure_crm` writes the demo's
HylaFAX server row (dial prefix 9, three retries ten minutes apart, a company
header), its sending number, and gives the first seeded contact and account
their fax numbers; :func:`pending_fax` creates a pending fax to that contact
with a one-page TIFF note; :func:`place_received` puts a fax from the account's
number in the receive queue. The CRM is written through any client with the
Dataverse client's ``query`` / ``create`` / ``update`` / ``upsert`` (the Web
API, so the emulator's party and note handling runs as it does for the bridge).
"""

from __future__ import annotations

import base64
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from dataverse_schema import navigation
from dataverse_schema.fax import FAX_STATUS, SERVER_KINDS
from dataverse_schema.names import Account, ActivityParty, Annotation, Contact, Fax, FaxNumber, FaxServer
from dataverse_schema.telephony import PARTY_TO_RECIPIENT
from emulator.fax_tiff import received_fax_tiff
from emulator.hfaxd import StandInHfaxd

SERVER_KEY, LINE = "demo-hylafax", "02188881000"
CONTACT_FAX, ACCOUNT_FAX = "02112345678", "02155550101"
SPOOL, INIT_SCRIPT, PORT = Path("/var/spool/hylafax"), Path("/etc/init.d/hylafax"), 4559
_NAMESPACE = uuid.UUID("6a0f4d2b-93c1-4e57-8b0e-2f7d1c9a4e31")
Say = Callable[[str], None]


class CrmClient(Protocol):
    """The Dataverse client calls the set-up makes (``connectors.dataverse.DataverseClient`` has them)."""

    def query(self, entity_set: str, **options: Any) -> Iterable[dict[str, Any]]: ...

    def create(self, entity_set: str, body: dict[str, Any]) -> str: ...

    def update(self, entity_set: str, ref: str, body: dict[str, Any]) -> None: ...

    def upsert(self, entity_set: str, ref: str, body: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class FaxHost:
    """Where the hfaxd is: the real one (with its spool) or the stand-in."""

    host: str
    port: int
    label: str
    spool: Path | None = None
    stand_in: StandInHfaxd | None = None


@contextlib.contextmanager
def fax_host(say: Say) -> Iterator[FaxHost]:
    """The real hylafax-server on localhost:4559 if installed and reachable (started if need be), else a stand-in."""
    why = _start_real()
    if why is None:
        say(f"fax: real hylafax-server on localhost:{PORT} ({_greeting()})")
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


def _greeting() -> str:
    """hfaxd's first reply line without its code (``<host> server (HylaFAX (tm) Version 6.0.7) ready.``)."""
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=5) as link, link.makefile("rb") as lines:
            text = lines.readline(512).decode("ascii", "replace").strip()
    except OSError as exc:
        return f"no greeting: {exc.__class__.__name__}"
    return text[4:] if text[:3].isdigit() else text


def configure_crm(client: CrmClient, say: Say) -> tuple[dict[str, Any], dict[str, Any]]:
    """The demo's fax server row and sending number; the contact and the account given the demo fax numbers."""
    server_id = _id("fax-server", SERVER_KEY)
    for other in client.query(FaxServer.SET, select=[FaxServer.ID], filter=f"{FaxServer.ISDEFAULT} eq true"):
        if other[FaxServer.ID] != server_id:
            client.update(FaxServer.SET, other[FaxServer.ID], {FaxServer.ISDEFAULT: False})
    client.upsert(
        FaxServer.SET,
        server_id,
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
        _id("fax-number", LINE),
        {
            FaxNumber.NAME: f"Fax line {LINE}",
            FaxNumber.SERVERKEY: SERVER_KEY,
            FaxNumber.NUMBER: LINE,
            FaxNumber.ISDEFAULT: True,
            **_bind(FaxNumber.FAXSERVERID_NAV, FaxServer.SET, server_id),
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
    client: CrmClient, entity_set: str, id_column: str, name_column: str, fax_column: str, number: str
) -> dict[str, Any]:
    """The first seeded record of the set gets ``number`` (digits only) as its fax; no other record keeps it."""
    for other in client.query(entity_set, select=[id_column], filter=f"{fax_column} eq '{number}'"):
        client.update(entity_set, other[id_column], {fax_column: None})
    first = next(iter(client.query(entity_set, select=[id_column, name_column], orderby=[f"{id_column} asc"], top=1)))
    client.update(entity_set, first[id_column], {fax_column: number})
    return {"id": first[id_column], "name": first[name_column]}


def pending_fax(client: CrmClient, contact: dict[str, Any]) -> str:
    """A pending fax to the contact (its number copied, as the form does) with a one-page TIFF note."""
    outgoing = client.create(
        Fax.SET,
        {
            Fax.SUBJECT: "",
            Fax.FAXNUMBER: CONTACT_FAX,
            Fax.FAXSTATUS: FAX_STATUS.value_of("Pending"),
            navigation.activity_parties(Fax.TABLE): [
                {
                    ActivityParty.PARTICIPATIONTYPEMASK: PARTY_TO_RECIPIENT,
                    **_bind(navigation.party(Contact.TABLE), Contact.SET, contact["id"]),
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
            **_bind(navigation.objectid(Fax.TABLE), Fax.SET, outgoing),
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


def _id(kind: str, name: str) -> str:
    """A stable id for a demo record, so running the set-up twice updates rather than adds."""
    return str(uuid.uuid5(_NAMESPACE, f"{kind}:{name}"))


def _bind(navigation_property: str, entity_set: str, record_id: str) -> dict[str, str]:
    """A lookup assignment in a create / update body (``<nav>@odata.bind: /<set>(<id>)``)."""
    return {f"{navigation_property}@odata.bind": f"/{entity_set}({uuid.UUID(str(record_id))})"}
