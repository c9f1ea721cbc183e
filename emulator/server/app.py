"""``EmulatorServer``: the local Dataverse Web API emulator as an object tests and the demo start.

with EmulatorServer("demo.db", tls=True) as server:
    requests.get(server.url + "WhoAmI", headers={"Authorization": "Bearer x"}, verify=server.ca_file)
with EmulatorServer(":memory:", profile=profile("onprem-9.0")) as server:    # IIS, NTLM, 9.0
    ...
"""

from __future__ import annotations

import datetime as dt
import logging
import ssl
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

from dataverse_schema.model import Table
from emulator.server.auth_adfs import Adfs
from emulator.server.auth_ntlm import channel_bindings, register_accounts, use_keytab
from emulator.server.catalog import MetadataCatalog
from emulator.server.context import Service
from emulator.server.faults import FaultInjector, FaultPlan
from emulator.server.httpd import EmulatorHttpServer
from emulator.server.profiles import Profile, profile
from emulator.server.roles import install_roles
from emulator.server.router import WebApi
from emulator.server.tables import many_to_many_for, tables_for
from emulator.server.tls import ensure_tls_files
from emulator.server.traffic import Traffic

log = logging.getLogger(__name__)

LOOPBACK = "127.0.0.1"
DEFAULT_MAX_BODY_BYTES = 32 * 1024 * 1024


class EmulatorServer:
    """A Dataverse Web API emulator over a SQLite file (or ``":memory:"``), served on loopback.

    ``port=0`` lets the OS choose; ``tables`` defaults to every table of the schema registry;
    ``token`` (optional) is the only bearer token accepted; ``faults`` defaults to the real
    service-protection limits (online; none on-premises) with no latency or outage.
    ``deployment`` (default online) is the profile played (:mod:`emulator.server.profiles`):
    its Web API roots, version, sign-in and refusals. ``keytab`` (a Windows profile only) holds
    the ``HTTP/<host>`` service key, so Negotiate accepts Kerberos tickets from a real KDC.
    ``clock`` (optional) is the time rows are created and modified at (``createdon``, ``modifiedon``).
    """

    def __init__(
        self,
        db_path: str | Path,
        *,
        port: int = 0,
        tls: bool = False,
        faults: FaultPlan | None = None,
        tables: Iterable[Table] | None = None,
        token: str | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        key_activation_s: float = 1.0,
        tls_dir: Path | None = None,
        deployment: Profile | None = None,
        keytab: Path | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.profile = deployment if deployment is not None else profile("online")
        if keytab is not None and not self.profile.is_windows:
            raise ValueError(f"a keytab is for Windows sign-in; the {self.profile.name} profile has none")
        self._keytab = keytab
        self._clock = clock
        self.db_path = str(db_path)
        self.token = token
        self.max_body_bytes = max_body_bytes
        self._requested_port = port
        self._tables = self.profile.tables(tables if tables is not None else tables_for("installed"))
        self._tls = tls
        self._tls_dir = tls_dir
        self._key_activation_s = key_activation_s
        if faults is None:
            faults = FaultPlan() if self.profile.features.service_protection else FaultPlan.none()
        self.faults = FaultInjector(faults)
        self.traffic = Traffic()
        self.ca_file: Path | None = None
        self._httpd: EmulatorHttpServer | None = None
        self._thread: threading.Thread | None = None
        self.store = None
        self.catalog: MetadataCatalog | None = None
        #: The AD FS farm in front of an ``adfs`` profile (its token endpoint is served below ``/adfs/``).
        self.adfs = Adfs(str(self.profile.adfs_version), self.profile.accounts) if self.profile.is_adfs else None
        if self.adfs is not None and not tls:
            raise ValueError(f"the {self.profile.name} profile needs tls=True: AD FS serves https only")

    @property
    def origin(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the emulator is not started")
        scheme = "https" if self._tls else "http"
        return f"{scheme}://{LOOPBACK}:{self._httpd.server_address[1]}"

    @property
    def url(self) -> str:
        """The newest service root of the profile, e.g. ending in ``/api/data/v9.2/``."""
        return f"{self.origin}/api/data/{self.profile.newest_root}/"

    @property
    def port(self) -> int:
        return int(self.origin.rsplit(":", 1)[1])

    def start(self) -> EmulatorServer:
        from emulator.store import Store

        if self._httpd is not None:
            raise RuntimeError("the emulator is already started")
        self.store = Store(self.db_path, self._tables, clock=self._clock)
        for relationship in many_to_many_for(self.store.tables):
            self.store.install_many_to_many(relationship)
        install_roles(self.store, self.profile.accounts)
        journal = None if self.db_path == ":memory:" else Path(self.db_path + ".metadata.jsonl")
        self.catalog = MetadataCatalog(self.store, journal, key_activation_s=self._key_activation_s)
        context = bindings = None
        if self._tls:
            files = ensure_tls_files(self._tls_directory())
            self.ca_file = files.ca_file
            context = files.server_context()
            if self.profile.is_windows:
                bindings = channel_bindings(ssl.PEM_cert_to_DER_cert(files.cert_file.read_text(encoding="ascii")))
        if self.profile.is_windows:
            register_accounts(self.profile.accounts)
            if self._keytab is not None:
                use_keytab(self._keytab)
        webapi = WebApi(Service(self.store, self.catalog, self.faults), self.profile)
        self._httpd = EmulatorHttpServer((LOOPBACK, self._requested_port), self, webapi, self.faults, context, bindings)
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="dataverse-emulator", daemon=True)
        self._thread.start()
        log.info("Dataverse emulator serving %s as %s (database %s)", self.url, self.profile.title, self.db_path)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        close = getattr(self.store, "close", None)
        if callable(close):
            close()
        self._httpd = None
        self._thread = None
        log.info("Dataverse emulator stopped")

    def serve_forever(self) -> None:
        """Block until interrupted (the CLI's foreground mode)."""
        if self._thread is None:
            self.start()
        thread = self._thread
        if thread is None:
            raise RuntimeError("the emulator's server thread did not start")
        try:
            while thread.is_alive():
                thread.join(timeout=0.5)
        finally:
            self.stop()

    def _tls_directory(self) -> Path:
        if self._tls_dir is not None:
            return self._tls_dir
        if self.db_path == ":memory:":
            self._tls_dir = Path(tempfile.mkdtemp(prefix="commsuite-emulator-tls-"))
            return self._tls_dir
        return Path(self.db_path).resolve().parent

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
