"""A throw-away MIT Kerberos realm for the Negotiate sign-in tests: a real ``krb5kdc`` in a temp dir.

Everything the KDC and the Kerberos libraries read or write lives in the directory given:
``krb5.conf`` (``KRB5_CONFIG``), ``kdc.conf`` (``KRB5_KDC_PROFILE``), the database and its stash,
the KDC's log, the HTTP service's keytab and the client's ticket cache. So it needs no root once
Debian's ``krb5-kdc``, ``krb5-admin-server`` and ``krb5-user`` are installed (``./dev`` installs them).
The KDC listens on a free port of 127.0.0.1 (UDP and TCP) and is stopped by the context manager.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REALM = "COMMSUITE.TEST"
#: The host the client names in its URL; the service principal is ``HTTP/<HOST>@<REALM>``.
HOST = "localhost"
USER, PASSWORD = "crmservice", "Kerber0s-Pa55"
_TOOLS = ("krb5kdc", "kdb5_util", "kadmin.local", "kinit")
_SBIN = ("/usr/sbin", "/usr/local/sbin")
_READY_S = 30.0


@dataclass(frozen=True)
class Realm:
    """A running realm: where its files are and the environment that points the libraries at them."""

    directory: Path
    port: int
    keytab: Path
    ccache: Path

    @property
    def principal(self) -> str:
        return f"{USER}@{REALM}"

    @property
    def environment(self) -> dict[str, str]:
        return {
            "KRB5_CONFIG": str(self.directory / "krb5.conf"),
            "KRB5_KDC_PROFILE": str(self.directory / "kdc.conf"),
            "KRB5CCNAME": f"FILE:{self.ccache}",
        }

    def kinit(self) -> None:
        """Put a ticket for the test user into :attr:`ccache`, as an admin's ``kinit`` would."""
        _run([_tool("kinit"), "-c", f"FILE:{self.ccache}", self.principal], self.environment, stdin=PASSWORD + "\n")


def tools_missing() -> list[str]:
    """The MIT Kerberos programs not installed (``./dev test`` installs them)."""
    return [name for name in _TOOLS if _tool(name) is None]


@contextmanager
def realm(directory: Path) -> Iterator[Realm]:
    """Create the realm in ``directory``, start its KDC, yield it, stop the KDC."""
    port = _free_port()
    ready = Realm(directory, port, directory / "http.keytab", directory / "ccache")
    _write_profiles(directory, port)
    environment = {**os.environ, **ready.environment}
    _run([_tool("kdb5_util"), "-r", REALM, "create", "-s", "-P", "master-" + PASSWORD], environment)
    for query in (
        f"addprinc -pw {PASSWORD} {ready.principal}",
        f"addprinc -randkey HTTP/{HOST}@{REALM}",
        f"ktadd -k {ready.keytab} HTTP/{HOST}@{REALM}",
    ):
        _run([_tool("kadmin.local"), "-r", REALM, "-q", query], environment)
    kdc = subprocess.Popen(
        [_tool("krb5kdc"), "-n", "-r", REALM, "-P", str(directory / "kdc.pid")],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_listening(kdc, port)
        yield ready
    finally:
        kdc.terminate()
        try:
            kdc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kdc.kill()
            kdc.wait()
        if kdc.stderr is not None:
            kdc.stderr.close()


def _write_profiles(directory: Path, port: int) -> None:
    (directory / "krb5.conf").write_text(
        f"""[libdefaults]
    default_realm = {REALM}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1

[realms]
    {REALM} = {{
        kdc = 127.0.0.1:{port}
    }}

[domain_realm]
    {HOST} = {REALM}
""",
        encoding="ascii",
    )
    (directory / "kdc.conf").write_text(
        f"""[kdcdefaults]
    kdc_listen = 127.0.0.1:{port}
    kdc_tcp_listen = 127.0.0.1:{port}

[realms]
    {REALM} = {{
        database_name = {directory / "principal"}
        key_stash_file = {directory / "stash"}
        acl_file = {directory / "kadm5.acl"}
        admin_keytab = FILE:{directory / "kadm5.keytab"}
        max_life = 1h
    }}

[logging]
    kdc = FILE:{directory / "kdc.log"}
    default = FILE:{directory / "kdc.log"}
""",
        encoding="ascii",
    )
    (directory / "kadm5.acl").write_text("", encoding="ascii")


def _tool(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path=os.pathsep.join(_SBIN))


def _run(command: list[str | None], environment: dict[str, str], stdin: str | None = None) -> None:
    result = subprocess.run(
        [str(part) for part in command],
        env={**os.environ, **environment},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}): {result.stderr.strip()[-500:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_listening(kdc: subprocess.Popen[bytes], port: int) -> None:
    """Until the KDC accepts TCP on ``port`` (its start-up takes well under a second); its error if it exits."""
    deadline = time.monotonic() + _READY_S
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            pass
        try:
            kdc.wait(timeout=0.05)  # waits on the process itself: returns only if the KDC has exited
        except subprocess.TimeoutExpired:
            continue
        error = kdc.stderr.read().decode(errors="replace") if kdc.stderr else ""
        raise RuntimeError(f"krb5kdc exited ({kdc.returncode}): {error.strip()[-500:]}")
    raise RuntimeError(f"krb5kdc did not listen on 127.0.0.1:{port} within {_READY_S:.0f} s")
