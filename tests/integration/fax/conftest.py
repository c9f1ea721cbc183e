"""A real HylaFAX (Debian ``hylafax-server``) for the fax integration tests.

Started once per session with ``/etc/init.d/hylafax start`` (faxq and hfaxd;
no systemd needed, no modem needed: jobs then wait in state ``W``). The
fixture waits for port 4559 by polling ``connect`` within a bounded number of
attempts. ``./dev test`` installs the package; without it the tests fail saying so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.fax.hylafax import HylaFaxServer, HylaFaxSettings

SPOOL = Path("/var/spool/hylafax")
PORT = 4559


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test on the real hfaxd runs in one xdist worker (``./dev test`` passes ``--dist loadgroup``):
    the reliability test stops and restarts HylaFAX, which fails any test using it at the same time."""
    for item in items:
        if "hylafax" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("hylafax"))


def _port_open() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", PORT), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def hylafax() -> Iterator[Path]:
    """The spool directory of a running hfaxd on localhost:4559."""
    if shutil.which("faxq") is None or not Path("/etc/init.d/hylafax").exists():
        pytest.fail("hylafax-server is not installed: ./dev test installs it (apt-get install hylafax-server)")
    if not _port_open():
        subprocess.run(["/etc/init.d/hylafax", "start"], check=True, capture_output=True, timeout=60)
        _wait_for_port(deadline_s=90.0)
    yield SPOOL


def _wait_for_port(deadline_s: float) -> None:
    """Poll until hfaxd listens; a refused connect returns at once, so each try waits a moment first."""
    pause, give_up = threading.Event(), time.monotonic() + deadline_s
    while not _port_open():
        if time.monotonic() > give_up:
            pytest.fail(f"hfaxd did not open port {PORT} within {deadline_s:.0f} s of /etc/init.d/hylafax start")
        pause.wait(0.2)


@pytest.fixture
def server(hylafax: Path) -> HylaFaxServer:
    """Our connector, logged in as a plain user (``localhost`` needs no password per hosts.hfaxd)."""
    return HylaFaxServer(HylaFaxSettings(host="localhost", user="bridge", read_timeout_s=20))
