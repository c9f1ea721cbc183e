"""The bridge's own listening sockets (health, SMS webhooks, console): one loopback test, one start-up path.

Each endpoint listens on loopback by default; one bound beyond it logs a WARNING
saying what is exposed and which setting keeps it local. The small endpoints answer
each connection through :func:`answer_connection`: a bounded number at a time, never
crashing the bridge, always closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def is_loopback(host: str) -> bool:
    """``127.0.0.1``, ``::1`` (bracketed or not) and ``localhost`` are loopback; names and other addresses are not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


async def start_listening(
    serve: Serve, host: str, port: int, *, limit: int, what: str, exposed: str
) -> tuple[asyncio.base_events.Server, int]:
    """Listen on ``host:port`` (port 0 picks one); returns the server and its bound port.

    ``what`` names the endpoint in the log; ``exposed`` finishes the WARNING logged
    when ``host`` is not loopback (what a remote reader reaches, and the setting to change);
    ``{port}`` in it becomes the bound port.
    """
    server = await asyncio.start_server(serve, host, port, limit=limit)
    bound = server.sockets[0].getsockname()[1]
    log.info("%s on %s:%s", what, host, bound, extra={"operation": "listen"})
    if not is_loopback(host):
        log.warning(
            "the %s listens on %s, open to every network that reaches this host; %s",
            what,
            host,
            exposed.format(port=bound),
            extra={"operation": "listen"},
        )
    return server, bound


async def answer_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slots: asyncio.Semaphore, answer: Serve, what: str
) -> None:
    """One connection to a small endpoint: closed at once when every one of ``slots`` is taken, else
    answered by ``answer`` holding a slot. A peer that went away is no error; any other failure is
    logged as ``what`` and never reaches the bridge. The connection is always closed."""
    if slots.locked():
        writer.close()
        return
    async with slots:
        try:
            await answer(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except Exception:
            log.exception("%s request failed", what)
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)
