"""The bridge's own listening sockets (health, SMS webhooks, console): one loopback test, one start-up path.

Each endpoint listens on loopback by default; one bound beyond it logs a WARNING
saying what is exposed and which setting keeps it local.
"""

from __future__ import annotations

import asyncio
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
