"""The fax push of a single-environment host (the Functions app): one fax server, named by app settings (FAX-01).

``COMMS_FAX_SERVER_KEY`` is the key on the server's CRM row,
``COMMS_FAX_SERVER_KIND`` its connector (``hylafax`` or ``myfax``; Windows Fax
Server needs pywin32 on Windows, which Python Functions do not run on, so it
is served by the on-premises daemon) and ``COMMS_FAX_SERVER`` the connector's
settings as one JSON object (a secret: it carries the password or token; in
Azure a Key Vault reference). All three or none: without them the app sends no
faxes. :class:`FaxPush` sends one pushed fax through
:meth:`~services.fax.sending.FaxSender.send_pushed`; outcomes are written
straight to Dataverse (there is no outbox here), and a write that fails after
the submit leaves the fax claimed without a job, which the daemon's polling
round finds on the server by its key and records, never submitting it again.
:func:`build_connector` is where every host (this one, the daemon's workers)
builds a fax server connector.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from pydantic import BaseModel, ValidationError

from connectors.dataverse import DataverseClient
from connectors.documents import DocumentPreparer
from connectors.fax import SERVERS
from connectors.fax.hylafax import HylaFaxSettings
from connectors.fax.myfax import MyFaxSettings
from services.fax.directory import FaxDirectory
from services.fax.sending import FaxSender, PushResult
from services.settings import AppSettings, SettingsError

#: The kinds a cloud host can serve, and each one's connector settings model.
HOSTED_KINDS: dict[str, type[BaseModel]] = {"hylafax": HylaFaxSettings, "myfax": MyFaxSettings}
_KEY, _KIND, _SERVER = "COMMS_FAX_SERVER_KEY", "COMMS_FAX_SERVER_KIND", "COMMS_FAX_SERVER"


@dataclass(frozen=True)
class FaxConnection:
    """Which server this host sends through: its CRM key, its kind and its validated connector settings."""

    key: str
    kind: str
    settings: BaseModel


def fax_connection(settings: AppSettings) -> FaxConnection | None:
    """The fax server of the app settings; None when none is set; :class:`SettingsError` naming each variable."""
    key, kind, raw = settings.fax_server_key, settings.fax_server_kind, settings.fax_server
    if key is None and kind is None and raw is None:
        return None
    given = ((_KEY, key), (_KIND, kind), (_SERVER, raw))
    problems = [f"{name} is required with the other fax server settings" for name, value in given if value is None]
    if kind is not None and kind not in HOSTED_KINDS:
        problems.append(
            f"{_KIND} must be one of {', '.join(HOSTED_KINDS)} (Windows Fax Server: the on-premises daemon)"
        )
    if problems:
        raise SettingsError(problems)
    try:
        document = json.loads(raw.reveal())
    except (ValueError, RecursionError):  # RecursionError: nested too deep to read
        raise SettingsError([f"{_SERVER} is not JSON (an object of the connector's settings)"]) from None
    if not isinstance(document, dict):
        raise SettingsError([f"{_SERVER} is not a JSON object of the connector's settings"])
    try:
        connector = HOSTED_KINDS[kind].model_validate(document)
    except ValidationError as exc:
        raise SettingsError([f"{_SERVER}: {_field_problem(error)}" for error in exc.errors()]) from None
    return FaxConnection(key, kind, connector)


def build_connector(kind: str, settings: BaseModel, *, processed: Any = None) -> Any:
    """The connector ``kind`` names over ``settings``; the REST kind gets its own HTTP session (never shared
    with Dataverse), the others their processed marks when given. Every host builds fax servers here."""
    options: dict[str, Any] = {} if processed is None else {"processed": processed}
    if kind == "myfax":
        options["session"] = requests.Session()
    return SERVERS[kind](settings, **options)


def _field_problem(error: Mapping[str, Any]) -> str:
    """One problem of the connector settings, naming the field and never echoing its value."""
    where = ".".join(str(part) for part in error.get("loc", ())) or "(object)"
    return f"{where} {str(error.get('msg', 'is not valid')).removeprefix('Value error, ')}"


class FaxPush:
    """Sends faxes Dataverse pushed, through the one server of :class:`FaxConnection`."""

    def __init__(self, client: DataverseClient, sender: FaxSender):
        self.client, self.sender = client, sender

    @property
    def server_key(self) -> str:
        return self.sender.server_key

    def send(self, fax_id: str) -> PushResult:
        """Two queries for this server's row and numbers, then the sender's one-fax path."""
        return self.sender.send_pushed(fax_id, FaxDirectory.load(self.client, [self.sender.server_key]))


def build_fax_push(
    settings: AppSettings,
    client: DataverseClient,
    *,
    clock: Callable[[], datetime],
    server: Any = None,
    documents: DocumentPreparer | None = None,
) -> FaxPush | None:
    """The fax push of ``settings``; None without fax server settings. ``server`` replaces the connector
    (tests); ``documents`` the converters (default: what this host has installed)."""
    connection = fax_connection(settings)
    if connection is None:
        return None
    if server is None:
        server = build_connector(connection.kind, connection.settings)

    def write(entity_set: str, ref: Any, body: Any) -> None:
        client.update(entity_set, ref, body)  # an update, never a create: a fax deleted meanwhile stays deleted

    pause = int(getattr(connection.settings, "comma_pause_s", 2))
    sender = FaxSender(
        client,
        server,
        connection.key,
        write,
        clock=clock,
        comma_pause_s=pause,
        stamp_header=getattr(connection.settings, "stamp_header", None),
        documents=documents or DocumentPreparer.on_this_host(),
        header_zone=settings.tz,  # a row naming no Header Time Zone: COMMS_SMS_TIMEZONE (FAX-14)
    )
    return FaxPush(client, sender)
