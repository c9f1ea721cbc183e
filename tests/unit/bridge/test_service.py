"""Stop signals (a second one exits at once), systemd notifications, plug-in factories."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from pathlib import Path

import pytest

from bridge.runtime.service import (
    FORCED_EXIT_STATUS,
    FactoryError,
    install_stop_signals,
    load_factory,
    notify_systemd,
)


def test_first_signal_asks_for_a_stop_and_the_second_exits_now() -> None:
    stops: list[str] = []
    exits: list[int] = []

    async def main() -> None:
        restore = install_stop_signals(asyncio.get_running_loop(), stops.append, exits.append)
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.05)
            assert stops == ["SIGTERM"] and exits == []
            os.kill(os.getpid(), signal.SIGINT)
            await asyncio.sleep(0.05)
        finally:
            restore()

    asyncio.run(main())
    assert stops == ["SIGTERM"] and exits == [FORCED_EXIT_STATUS]


def test_systemd_readiness_goes_to_the_notify_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(path)
        assert notify_systemd("READY=1", {"NOTIFY_SOCKET": path})
        assert receiver.recv(100) == b"READY=1"
    assert not notify_systemd("READY=1", {})
    assert not notify_systemd("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "absent")})


@pytest.mark.parametrize(
    "spec, message",
    [
        ("no.such.module:f", "cannot be imported"),
        ("bridge.runtime.service:nothing_here", "has no callable nothing_here"),
        ("bridge.runtime.service", "is not 'package.module:factory'"),
    ],
)
def test_plug_in_factories_fail_with_a_clear_message(spec: str, message: str) -> None:
    with pytest.raises(FactoryError, match=message):
        load_factory(spec)
    assert load_factory("bridge.runtime.service:load_factory") is load_factory


def test_an_outbox_location_that_cannot_be_written_is_a_clear_error(tmp_path) -> None:
    from bridge.config.loader import parse_config
    from bridge.runtime.daemon import Bridge

    (tmp_path / "not-a-folder").write_text("")
    text = f"""
[bridge]
outbox = "{tmp_path / "not-a-folder" / "outbox.db"}"
[environments.prod]
url = "http://127.0.0.1:1"
static_token = "t"
[systems.hq]
kind = "ami"
environments = ["prod"]
host = "127.0.0.1"
username = "u"
password = "p"
"""
    with pytest.raises(OSError, match="not-a-folder.*cannot be opened for writing"):
        Bridge(parse_config(text.encode(), "bridge.toml", {}))
