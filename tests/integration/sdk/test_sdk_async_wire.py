"""The emulator at the wire as aiohttp, the async SDK's HTTP stack, speaks it.

Not SDK operations (no ``sdk`` mark): what aiohttp does that ``requests`` does not, checked on
one pooled connection: it keeps the connection after answers, it streams a body chunked, it
can wait for ``100 Continue``; and the emulator's ``Connection: close`` ends a connection it
will not reuse.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import aiohttp

from emulator.server import EmulatorServer

from .conftest import TOKEN, unique

_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json", "Content-Type": "application/json"}


async def _one_connection(server: EmulatorServer, steps: Any) -> tuple[list[Any], int]:
    """Run ``steps(session)`` on a pool of one connection; return its results and how many were opened."""
    opened: list[object] = []

    async def on_open(*_: object) -> None:
        opened.append(object())

    trace = aiohttp.TraceConfig()
    trace.on_connection_create_end.append(on_open)
    trusted = ssl.create_default_context(cafile=str(server.ca_file))
    connector = aiohttp.TCPConnector(ssl=trusted, limit=1)
    async with aiohttp.ClientSession(connector=connector, trace_configs=[trace], headers=_HEADERS) as session:
        results = await steps(session)
    return results, len(opened)


async def _answer(response: aiohttp.ClientResponse) -> tuple[int, str | None, bytes]:
    async with response:
        return response.status, response.headers.get("Connection"), await response.read()


def test_connection_is_kept_after_2xx_and_4xx(server: EmulatorServer) -> None:
    missing = f"{server.url}accounts(00000000-0000-0000-0000-000000000009)"

    async def steps(session: aiohttp.ClientSession) -> list[Any]:
        return [
            await _answer(await session.get(f"{server.url}accounts?$top=1&$select=name")),
            await _answer(await session.get(missing)),
            await _answer(await session.post(f"{server.url}accounts", data=b'{"name":')),
            await _answer(await session.get(f"{server.url}accounts?$top=1&$select=name")),
        ]

    answers, opened = asyncio.run(_one_connection(server, steps))
    assert [(status, connection) for status, connection, _ in answers] == [
        (200, None),
        (404, None),
        (400, None),
        (200, None),
    ]
    assert opened == 1


def test_chunked_body_and_expect_continue(server: EmulatorServer) -> None:
    name = unique("wire")

    async def chunks() -> Any:
        yield b'{"name": "'
        yield f"{name}-chunked".encode()
        yield b'"}'

    async def steps(session: aiohttp.ClientSession) -> list[Any]:
        url = f"{server.url}accounts"
        return [
            await _answer(await session.post(url, data=chunks())),
            await _answer(await session.post(url, json={"name": f"{name}-expect"}, expect100=True)),
            await _answer(await session.get(f"{url}?$select=name&$filter=startswith(name,'{name}')&$orderby=name")),
        ]

    answers, opened = asyncio.run(_one_connection(server, steps))
    assert [status for status, _, _ in answers] == [204, 204, 200]
    assert f'"{name}-chunked"'.encode() in answers[2][2] and f'"{name}-expect"'.encode() in answers[2][2]
    assert opened == 1


def test_refused_sign_in_closes_and_the_pool_reconnects(server: EmulatorServer) -> None:
    async def steps(session: aiohttp.ClientSession) -> list[Any]:
        wrong = {"Authorization": "Bearer not-the-token"}
        return [
            await _answer(await session.post(f"{server.url}accounts", json={"name": "refused"}, headers=wrong)),
            await _answer(await session.get(f"{server.url}accounts?$top=1&$select=name")),
        ]

    answers, opened = asyncio.run(_one_connection(server, steps))
    assert [(status, connection) for status, connection, _ in answers] == [(401, "close"), (200, None)]
    assert opened == 2
