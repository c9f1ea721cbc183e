"""SerialLink's on_open hook: run on every open before reading, a failing hook is a failed open (CALL-14, -21)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import serial

from connectors.errors import NotSentError
from connectors.pbx.transport import SerialLink, SerialSettings

AT = datetime(2024, 1, 2, tzinfo=UTC)


def fast(port: str = "loop://") -> SerialSettings:
    return SerialSettings(port=port, read_timeout_s=0.02, backoff_min_s=0.01, backoff_max_s=0.02)


class Recorder:
    """A hook that writes a greeting into the loop port (so it comes back as the first read) and counts opens."""

    def __init__(self, fail_first: int = 0, error: type[BaseException] = OSError):
        self.ports: list[serial.SerialBase] = []
        self.fail_first, self.error = fail_first, error

    async def __call__(self, port: serial.SerialBase) -> None:
        self.ports.append(port)
        if len(self.ports) <= self.fail_first:
            raise self.error("the modem did not answer")
        await asyncio.to_thread(port.write, f"open-{len(self.ports)}".encode())


async def read_until(link: SerialLink, wanted: bytes) -> bytes:
    seen = b""

    async def sink(data: bytes, at: datetime) -> None:
        nonlocal seen
        seen += data
        if wanted in seen:
            await link.stop()

    async with asyncio.timeout(5):
        await link.run(sink)
    return seen


def test_the_hook_runs_on_the_open_port_before_the_first_read():
    hook = Recorder()
    link = SerialLink(fast(), system="cid", clock=lambda: AT, on_open=hook)
    assert asyncio.run(read_until(link, b"open-1")) == b"open-1"
    assert len(hook.ports) == 1 and link.opens == 1 and not hook.ports[0].is_open


def test_a_hook_failing_with_a_port_error_is_a_failed_open_and_is_retried():
    hook = Recorder(fail_first=2)
    link = SerialLink(fast(), system="cid", clock=lambda: AT, on_open=hook)
    assert asyncio.run(read_until(link, b"open-3")) == b"open-3"
    assert link.opens == 1 and all(not port.is_open for port in hook.ports)


def test_any_other_hook_error_closes_the_port_and_propagates():
    hook = Recorder(fail_first=1, error=RuntimeError)
    link = SerialLink(fast(), system="cid", clock=lambda: AT, on_open=hook)
    with pytest.raises(RuntimeError):
        asyncio.run(read_until(link, b"never"))
    assert link.opens == 0 and not hook.ports[0].is_open


def test_probe_runs_the_hook_and_a_failing_hook_is_not_sent():
    ok = Recorder()
    asyncio.run(SerialLink(fast(), system="cid", on_open=ok).probe())
    assert len(ok.ports) == 1 and not ok.ports[0].is_open
    failing = Recorder(fail_first=1, error=serial.SerialException)
    with pytest.raises(NotSentError, match="cannot open serial port loop://"):
        asyncio.run(SerialLink(fast(), system="cid", on_open=failing).probe())
    assert not failing.ports[0].is_open
