"""A real OpenSSH server for the recordings tests of one module (started once per module, stopped after it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .sshd import SshServer, start_sshd


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    server = start_sshd(tmp_path_factory.mktemp("sshd"))
    try:
        yield server
    finally:
        server.stop()
