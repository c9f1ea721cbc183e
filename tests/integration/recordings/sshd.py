"""A real OpenSSH server on loopback for the SFTP recording tests.

Runs ``/usr/sbin/sshd -D`` with a throw-away config, host key, authorised client
key and ``internal-sftp``, as the current user, on a free port. sshd refuses to
start as root without its privilege-separation folder (``/run/sshd`` on
Debian), so when running as root the fixture creates it, as the Debian service
unit does; as any other user sshd needs no such folder. The process is always
stopped by its own pid.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
PRIVSEP_DIR = Path("/run/sshd")


@dataclass
class SshServer:
    """A running sshd: where it listens, who may log in, and the files a client needs."""

    host: str
    port: int
    username: str
    folder: Path
    client_key: Path
    known_hosts: Path
    host_public_key: str
    process: subprocess.Popen[bytes]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def keygen(path: Path, kind: str = "ed25519") -> Path:
    subprocess.run(
        [SSH_KEYGEN, "-q", "-t", kind, "-N", "", "-C", "commsuite-test", "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_sshd(base: Path) -> SshServer:
    """Start sshd serving ``base/recordings``; raises with sshd's own words when it cannot start."""
    if os.geteuid() == 0 and not PRIVSEP_DIR.is_dir():
        PRIVSEP_DIR.mkdir(mode=0o755, parents=True, exist_ok=True)
    etc = base / "etc"
    etc.mkdir()
    host_key = keygen(etc / "host_ed25519")
    client_key = keygen(etc / "client_ed25519")
    (etc / "authorized_keys").write_text(client_key.with_suffix(".pub").read_text())
    folder = base / "recordings"
    folder.mkdir()
    port = free_port()
    config = etc / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {etc / 'sshd.pid'}",
                f"AuthorizedKeysFile {etc / 'authorized_keys'}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication yes",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin yes",
                "Subsystem sftp internal-sftp",
                "LogLevel ERROR",
                "MaxAuthTries 6",
                "",
            ]
        )
    )
    log = (etc / "sshd.log").open("wb")
    process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT)
    host_public = host_key.with_suffix(".pub").read_text().split()
    known_hosts = etc / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_public[0]} {host_public[1]}\n")
    server = SshServer(
        "127.0.0.1",
        port,
        getpass.getuser(),
        folder,
        client_key,
        known_hosts,
        f"{host_public[0]} {host_public[1]}",
        process,
    )
    _wait_for_banner(server, etc / "sshd.log")
    return server


def _wait_for_banner(server: SshServer, log: Path, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"sshd exited at start: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection((server.host, server.port), timeout=1) as link:
                if link.recv(64).startswith(b"SSH-2.0"):
                    return
        except OSError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"sshd did not answer within {timeout_s} s: {log.read_text(errors='replace')}")
