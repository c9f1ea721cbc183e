"""A stand-in hfaxd: the subset of HylaFAX's client protocol our connector speaks, for demos where no
hylafax-server is installed.

It is not HylaFAX: no modems, no faxq, no spooling to disk. It answers
``USER``/``TZONE``/``TYPE``, passive data channels (``PASV``), ``STOT``
uploads, ``JNEW``/``JPARM``/``JSUBM``/``JKILL``, ``JOBFMT``/``RCVFMT`` (the
formats are accepted; listings are always in the connector's own formats),
``LIST sendq|doneq|recvq`` and ``RETR recvq/<file>``. Submitted jobs wait in
state ``W`` ("Waiting for modem") as they do on a real server with no modem.
Received faxes are put in with :meth:`StandInHfaxd.receive`. Every command is
counted (``commands``), for the fax benchmark.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

GREETING = b"220 stand-in server (CommSuite stand-in hfaxd, not HylaFAX) ready.\r\n"


@dataclass
class _Job:
    job_id: str
    params: dict[str, str] = field(default_factory=dict)
    state: str = "P"
    status: str = ""

    def line(self) -> str:
        """The job in the connector's ``JOB_FORMAT`` (%j %a %J %d %x %t %u %p %y %Z %s)."""
        p = self.params
        fields = (
            self.job_id,
            self.state,
            p.get("JOBINFO", ""),
            "0",
            p.get("MAXDIALS", "12"),
            "0",
            p.get("MAXTRIES", "3"),
            "0",
            "1",
            "0",
            self.status,
        )
        return "\t".join(fields)


@dataclass(frozen=True)
class _Received:
    name: str
    data: bytes
    pages: int
    caller_number: str
    caller_name: str
    tsi: str
    received_at: int

    def line(self) -> str:
        """The fax in the connector's ``RECV_FORMAT`` (%f %z %p %Z %j %i %e %s)."""
        return "\t".join(
            (self.name, " ", str(self.pages), str(self.received_at), self.caller_number, self.caller_name, "", self.tsi)
        )


class StandInHfaxd:
    """A threaded TCP server on loopback; ``with`` starts and stops it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, first_job_id: int = 1) -> None:
        self._listener = socket.create_server((host, port))
        self.host, self.port = host, self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._job_ids = itertools.count(first_job_id)
        self._docs = itertools.count(1)
        self.jobs: dict[str, _Job] = {}
        self.received: dict[str, _Received] = {}
        self.commands: Counter[str] = Counter()
        self.sessions = 0

    def __enter__(self) -> StandInHfaxd:
        threading.Thread(target=self._accept, name="stand-in-hfaxd", daemon=True).start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop accepting sessions."""
        self._listener.close()

    def receive(self, data: bytes, *, pages: int, caller_number: str, caller_name: str = "", tsi: str = "") -> str:
        """Put a received TIFF in the receive queue; returns its file name (``faxNNNNNNNNN.tif``)."""
        with self._lock:
            name = f"fax{len(self.received) + 1:09d}.tif"
            self.received[name] = _Received(name, data, pages, caller_number, caller_name, tsi, int(time.time()))
        return name

    def add_waiting_jobs(self, count: int) -> None:
        """``count`` submitted jobs waiting for a modem, as a busy site's send queue holds them."""
        with self._lock:
            for _ in range(count):
                job_id = str(next(self._job_ids))
                self.jobs[job_id] = _Job(job_id, {"JOBINFO": f"open-{job_id}"}, "W")

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.sessions += 1
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn: socket.socket) -> None:
        state = _Session(self, conn)
        with conn, conn.makefile("rb") as lines:
            conn.sendall(GREETING)
            for raw in lines:
                command = raw.decode("utf-8", errors="replace").strip()
                verb = command.split(" ", 1)[0].upper()
                self.commands[verb] += 1
                if verb == "QUIT":
                    conn.sendall(b"221 Goodbye.\r\n")
                    return
                conn.sendall(state.handle(verb, command[len(verb) :].strip()).encode() + b"\r\n")


class _Session:
    """One control connection: the current job, the passive data listener."""

    def __init__(self, server: StandInHfaxd, conn: socket.socket) -> None:
        self.server, self.conn = server, conn
        self.job: _Job | None = None
        self.data: socket.socket | None = None

    def handle(self, verb: str, arg: str) -> str:
        simple = {
            "USER": "230 User logged in.",
            "TZONE": "200 Time zone set.",
            "TYPE": "200 Type set to I.",
            "JOBFMT": "200 Job format set.",
            "RCVFMT": "200 Receive format set.",
            "NOOP": "200 NOOP.",
        }
        if verb in simple:
            return simple[verb]
        handler = getattr(self, f"_{verb.lower()}", None)
        return handler(arg) if handler else f"500 {verb}: command not understood by the stand-in."

    def _pasv(self, _arg: str) -> str:
        self.data = socket.create_server((self.server.host, 0))
        port = self.data.getsockname()[1]
        return f"227 Entering passive mode (127,0,0,1,{port // 256},{port % 256})"

    def _transfer(self, send: bytes | None) -> bytes:
        """Accept the data connection; send ``send`` or read until the client closes. Returns what was read."""
        if self.data is None:
            return b""
        listener, self.data = self.data, None
        with listener, listener.accept()[0] as channel:
            if send is not None:
                channel.sendall(send)
                return b""
            chunks = list(iter(lambda: channel.recv(65536), b""))
        return b"".join(chunks)

    def _stot(self, _arg: str) -> str:
        name = f"/tmp/doc{next(self.server._docs)}.tif"
        self.conn.sendall(f"150 FILE: {name} (Opening new data connection).\r\n".encode())
        self._transfer(None)
        return f"226 Transfer complete (FILE: {name})."

    def _jnew(self, _arg: str) -> str:
        with self.server._lock:
            self.job = _Job(str(next(self.server._job_ids)))
        return f"200 New job created: jobid: {self.job.job_id} groupid: {self.job.job_id}."

    def _jparm(self, arg: str) -> str:
        if self.job is None:
            return "503 No job selected."
        name, _, value = arg.partition(" ")
        self.job.params[name.upper()] = value.strip().strip('"')
        return "200 Added document." if name.upper() == "DOCUMENT" else f"213 {name.upper()} set."

    def _jsubm(self, _arg: str) -> str:
        if self.job is None:
            return "503 No job selected."
        self.job.state = "W"
        with self.server._lock:
            self.server.jobs[self.job.job_id] = self.job
        return f"200 Job {self.job.job_id} submitted."

    def _jkill(self, arg: str) -> str:
        job = self.server.jobs.get(arg.strip())
        if job is None:
            return f"504 Unknown job {arg.strip()}."
        job.state, job.status = "F", "Job aborted by request"
        return "200 Job killed."

    def _list(self, arg: str) -> str:
        queue = arg.strip()
        with self.server._lock:
            if queue == "sendq":
                rows = [j.line() for j in self.server.jobs.values() if j.state not in "DF"]
            elif queue == "doneq":
                rows = [j.line() for j in self.server.jobs.values() if j.state in "DF"]
            elif queue == "recvq":
                rows = [r.line() for r in self.server.received.values()]
            else:
                return f"550 {queue}: no such queue."
        self.conn.sendall(b"150 Opening new data connection.\r\n")
        self._transfer("".join(row + "\r\n" for row in rows).encode())
        return "226 Transfer complete."

    def _retr(self, arg: str) -> str:
        received = self.server.received.get(arg.strip().removeprefix("recvq/"))
        if received is None:
            return f"550 {arg.strip()}: no such file."
        self.conn.sendall(b"150 Opening new data connection.\r\n")
        self._transfer(received.data)
        return "226 Transfer complete."


__all__ = ["GREETING", "StandInHfaxd"]
