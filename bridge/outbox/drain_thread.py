"""One drainer thread per Dataverse environment (CALL-14, X-03).

The drainer's core is synchronous (``requests``); each environment gets its own
thread so a slow or failing environment never holds up another, nor the event
loop. :meth:`DrainerThread.stop` lets the request in flight finish, then the
thread ends; what is still queued stays in the outbox for the next start. Before
that, a stop releases the calls held in the outbox and sends what is due for at
most ``FLUSH_AT_STOP_S`` (without lingering), while Dataverse takes it.
"""

from __future__ import annotations

import logging
import threading
import time

import requests

from bridge.config.model import EnvironmentConfig
from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox
from connectors.dataverse import DataverseClient
from services.factory import dataverse_client

log = logging.getLogger(__name__)

#: How long an idle drainer waits before looking at the outbox again (a wake() cuts it short).
IDLE_WAIT_S = 1.0
#: How long a due write waits for others to share its request (issue 11 §4; at most drainer.MAX_LINGER_S).
LINGER_S = 0.1
#: At a stop, how long the thread may go on sending what is due (held calls included) before it ends.
FLUSH_AT_STOP_S = 5.0
#: After an unexpected error (a bug, SQLite trouble) the thread waits this long and goes on.
ERROR_WAIT_S = 5.0


def make_write_client(environment: EnvironmentConfig, session: requests.Session | None = None) -> DataverseClient:
    """A Dataverse client for the drainer: no retry policy (the outbox retries), the file's timeouts."""
    return dataverse_client(environment.dataverse, session=session, retry=False)


class DrainerThread:
    """Runs ``drainer.drain_once`` in a loop on its own thread until :meth:`stop`."""

    def __init__(self, drainer: Drainer):
        self.drainer = drainer
        self.environment = drainer.environment
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._flush_until = 0.0
        self._thread = threading.Thread(target=self._run, name=f"drainer-{self.environment}", daemon=True)
        self.errors = 0

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look at the outbox now (something was queued); thread-safe."""
        self._wake.set()

    def stop(self, timeout_s: float) -> bool:
        """Ask the thread to end after its current request; True when it ended within ``timeout_s``."""
        try:
            self.drainer.outbox.release_holds(self.environment)
        except Exception:  # a broken outbox file must not stop the stop
            log.exception("held writes could not be released", extra={"environment": self.environment})
        self._flush_until = time.monotonic() + min(FLUSH_AT_STOP_S, timeout_s / 2)
        self.drainer.linger_s = 0.0
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        log.info("drainer started", extra={"environment": self.environment})
        while not self._stopping.is_set():
            try:
                wait_s = self.drainer.drain_once().wait_s
            except Exception:  # a bug or a broken outbox file must not end the thread silently
                self.errors += 1
                log.exception("drainer round failed", extra={"environment": self.environment})
                wait_s = ERROR_WAIT_S
            if wait_s > 0 and not self._stopping.is_set():
                self._wake.wait(wait_s)
            self._wake.clear()
        self._flush()
        log.info("drainer stopped", extra={"environment": self.environment})

    def _flush(self) -> None:
        """After a stop: send what is due while Dataverse takes it, until ``_flush_until``."""
        while time.monotonic() < self._flush_until:
            try:
                report = self.drainer.drain_once()
            except Exception:
                log.exception("drainer round failed at stop", extra={"environment": self.environment})
                return
            if report.sent == 0 or report.retrying:
                return


def outbox_drainer(
    outbox: Outbox, name: str, environment: EnvironmentConfig, client: DataverseClient | None = None
) -> DrainerThread:
    """A drainer thread for environment ``name``; ``client`` replaces the one built from the file (tests)."""
    drainer = Drainer(
        outbox,
        client or make_write_client(environment),
        name,
        batch_size=environment.batch_size,
        idle_wait_s=IDLE_WAIT_S,
        linger_s=LINGER_S,
    )
    return DrainerThread(drainer)
