"""Shared set-up for the plug-in tests: a bridge.toml naming only the parts under test, a CRM seeded
with a telephony system, extensions answered by real users and a contact, and a bridge subclass that
records the background tasks plug-ins register."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from bridge.config.loader import parse_config
from bridge.runtime.daemon import Bridge
from connectors.dataverse import AlternateKey, DataverseClient, bind, odata
from emulator.seed import seed
from emulator.server import EmulatorServer

from .helpers import client_for

AMI_KEY = "pbx-hq"
SMDR_KEY = "branch-kx"
CUSTOMER = "09121234567"
CONSOLE_TOKEN = "console-token-for-plugin-tests"


@dataclass
class Crm:
    client: DataverseClient
    users: dict[str, str]  # extension → systemuser id
    system_id: str


class RecordingBridge(Bridge):
    """A real :class:`Bridge` that also keeps the names of the tasks and shutdown hooks plug-ins add."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.task_names: list[str] = []
        self.hook_names: list[str] = []

    def add_task(self, name, factory) -> None:
        self.task_names.append(name)
        super().add_task(name, factory)

    def on_shutdown(self, hook, name=None) -> None:
        self.hook_names.append(name)
        super().on_shutdown(hook, name)


def bridge_config(
    tmp_path: Path,
    *,
    crm_url: str,
    ami_port: int = 1,
    smdr_port: int = 1,
    listeners: tuple[str, ...] = (),
    parts: str = "",
    extra_env: str = "",
) -> str:
    """Two systems (AMI and a report-only SMDR link) writing to environment ``crm``; ``parts`` adds tables."""
    listed = ", ".join(f'"{spec}"' for spec in listeners)
    return f"""
[bridge]
outbox = "{tmp_path / "outbox.db"}"
health_listen = "127.0.0.1:0"
console_listen = "127.0.0.1:0"
shutdown_timeout_s = 10
listeners = [{listed}]

[environments.crm]
url = "{crm_url}"
static_token = "plugin-tests"
read_timeout_s = 5
{extra_env}
[systems.{AMI_KEY}]
kind = "ami"
environments = ["crm"]
host = "127.0.0.1"
port = {ami_port}
username = "crm"
password = "crm-secret"
hidden_extensions = ["555"]

[systems.{AMI_KEY}.ami]
ping_interval_s = 1
backoff_min_s = 0.05
backoff_max_s = 0.2

[systems.{SMDR_KEY}]
kind = "smdr-tcp"
environments = ["crm"]
host = "127.0.0.1"
port = {smdr_port}
password = "smdr-secret"

[systems.{SMDR_KEY}.smdr]
model = "KX-NS500"
backoff_min_s = 0.05
backoff_max_s = 0.2
{parts}
"""


def free_port() -> int:
    """A port nothing listens on right now (the console's port is set in the file)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_bridge(text: str) -> RecordingBridge:
    return RecordingBridge(parse_config(text.encode(), "bridge.toml", {}))


def seed_crm(server: EmulatorServer, *, hidden: str = "600", line_release: str = "9") -> Crm:
    """The AMI system's row (hidden extensions, line-release prefix), extensions 101-103, a contact."""
    seed(server.store)
    client = client_for(server.origin)
    users = [u["systemuserid"] for u in client.query("systemusers", select=["systemuserid"], top=4)]
    client.upsert(
        "comms_telephonysystems",
        AlternateKey({"comms_systemkey": AMI_KEY}),
        {
            "comms_name": "Head office",
            "comms_countrycode": "98",
            "comms_citycode": "21",
            "comms_minimumdigits": 5,
            "comms_hiddenextensions": hidden,
            "comms_linereleaseprefix": line_release,
        },
    )
    system_id = client.retrieve(
        "comms_telephonysystems", AlternateKey({"comms_systemkey": AMI_KEY}), select=["comms_telephonysystemid"]
    )["comms_telephonysystemid"]
    extensions = dict(zip(("101", "102", "103"), users[1:], strict=True))
    for number, user in extensions.items():
        client.upsert(
            "comms_extensions",
            AlternateKey({"comms_systemkey": AMI_KEY, "comms_number": number}),
            {
                "comms_name": f"Extension {number}",
                **bind("comms_TelephonySystemId", "comms_telephonysystems", system_id),
                **bind("comms_SystemUserId", "systemusers", user),
            },
        )
    contact = next(client.query("contacts", select=["contactid"], filter=odata.ne("mobilephone", None), top=1))
    client.update("contacts", contact["contactid"], {"mobilephone": CUSTOMER})
    return Crm(client, extensions, system_id)


def set_hidden(crm: Crm, hidden: str) -> None:
    crm.client.upsert(
        "comms_telephonysystems", AlternateKey({"comms_systemkey": AMI_KEY}), {"comms_hiddenextensions": hidden}
    )
