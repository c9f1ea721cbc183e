"""What the telephony demo's bridge is given: the CRM rows it reads and its ``bridge.toml``.

Two telephony systems (an Asterisk over AMI, a KX-NS500 printing SMDR), three
extensions mapped to users, the customer's number on one seeded contact, and
the AMI system's recordings in a folder named as FreePBX names them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cli.demo_console import ConsoleDemo
from cli.demo_signin import DemoSignIn
from connectors.dataverse import AlternateKey, DataverseClient, bind, odata
from dataverse_schema.model import OPTION_VALUE_BASE
from dataverse_schema.names import Contact, Extension, SystemUser, TelephonySystem
from emulator.ami import AmiServer
from emulator.ami.scenarios import CUSTOMER
from emulator.server import EmulatorServer
from emulator.smdr import SmdrServer

AMI_KEY, SMDR_KEY = "hq-asterisk", "branch-ns500"
AMI_SECRET, SMDR_PASSWORD = "demo-ami-secret", "PCCSMDR"
Say = Callable[[str], None]


def seed(client: DataverseClient, say: Say) -> dict[str, str]:
    """The systems, extensions and customer contact; returns extension number -> user id."""
    users = [u[SystemUser.SYSTEMUSERID] for u in client.query(SystemUser.SET, select=[SystemUser.SYSTEMUSERID], top=4)]
    for key, name in ((AMI_KEY, "Head office Asterisk"), (SMDR_KEY, "Branch KX-NS500")):
        client.upsert(
            TelephonySystem.SET,
            AlternateKey({TelephonySystem.SYSTEMKEY: key}),
            {
                TelephonySystem.NAME: name,
                TelephonySystem.COUNTRYCODE: "98",
                TelephonySystem.CITYCODE: "21",
                TelephonySystem.MINIMUMDIGITS: 5,
                TelephonySystem.HIDDENEXTENSIONS: "600",
            },
        )
    system_id = client.retrieve(
        TelephonySystem.SET,
        AlternateKey({TelephonySystem.SYSTEMKEY: AMI_KEY}),
        select=[TelephonySystem.TELEPHONYSYSTEMID],
    )[TelephonySystem.TELEPHONYSYSTEMID]
    for number, user in zip(("101", "102", "103"), users[1:], strict=True):
        client.upsert(
            Extension.SET,
            AlternateKey({Extension.SYSTEMKEY: AMI_KEY, Extension.NUMBER: number}),
            {
                Extension.NAME: f"Extension {number}",
                **bind(Extension.TELEPHONYSYSTEMID_NAV, TelephonySystem.SET, system_id),
                **bind(Extension.SYSTEMUSERID_NAV, SystemUser.SET, user),
            },
        )
    has_customer = odata.eq(Contact.MOBILEPHONE, CUSTOMER)
    for other in client.query(Contact.SET, select=[Contact.CONTACTID], filter=has_customer):
        client.update(Contact.SET, other[Contact.CONTACTID], {Contact.MOBILEPHONE: None})
    contact = next(
        client.query(
            Contact.SET, select=[Contact.CONTACTID, Contact.FULLNAME], filter=odata.ne(Contact.MOBILEPHONE, None), top=1
        )
    )
    client.update(Contact.SET, contact[Contact.CONTACTID], {Contact.MOBILEPHONE: CUSTOMER})
    say(f"telephony: systems {AMI_KEY} (AMI) and {SMDR_KEY} (SMDR); {CUSTOMER} is {contact[Contact.FULLNAME]}")
    return dict(zip(("101", "102", "103"), users[1:], strict=True))


def point_recordings(client: DataverseClient, root: Path) -> None:
    """The AMI system's recordings: a folder per day under ``root``, attached to the calls."""
    client.upsert(
        TelephonySystem.SET,
        AlternateKey({TelephonySystem.SYSTEMKEY: AMI_KEY}),
        {
            TelephonySystem.RECORDINGSOURCE: OPTION_VALUE_BASE + 2,
            TelephonySystem.RECORDINGPATH: f"{root}/YYYY/MM/DD",
            TelephonySystem.ATTACHRECORDINGS: True,
        },
    )


def bridge_config(
    server: EmulatorServer, sign_in: DemoSignIn, work: Path, ami: AmiServer, smdr: SmdrServer, console: ConsoleDemo
) -> str:
    """The demo bridge's ``bridge.toml``: both systems, click-to-call, matching and the console."""
    return f"""
[bridge]
outbox = "{work / "outbox.db"}"
health_listen = "127.0.0.1:0"
console_listen = "127.0.0.1:0"
sweep_interval_s = 1
shutdown_timeout_s = 10

{sign_in.environment_toml("demo", server.origin)}
[systems.{AMI_KEY}]
kind = "ami"
environments = ["demo"]
host = "127.0.0.1"
port = {ami.port}
username = "crm"
password_env = "COMMS_DEMO_AMI_SECRET"

[systems.{AMI_KEY}.ami]
ping_interval_s = 5
backoff_min_s = 0.05
backoff_max_s = 0.5

[systems.{AMI_KEY}.recordings]
kind = "folder"
root = "{work / "monitor"}"

[systems.{SMDR_KEY}]
kind = "smdr-tcp"
environments = ["demo"]
host = "127.0.0.1"
port = {smdr.port}
username = "SMDR"
password_env = "COMMS_DEMO_SMDR_PASSWORD"

[systems.{SMDR_KEY}.smdr]
model = "KX-NS500"
date_order = "mdy"
timezone = "UTC"
backoff_min_s = 0.05
backoff_max_s = 0.5

[click_to_call]
poll_interval_s = 0.3

[matching]
refresh_s = 30

""" + console.toml()
