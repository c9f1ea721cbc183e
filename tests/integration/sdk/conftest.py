"""Microsoft's Python SDK (``PowerPlatform-Dataverse-Client``) against the emulator over TLS.

Each test drives one public SDK operation, marked ``@pytest.mark.sdk("<operation>")``; it
either works or raises the 501 that ``docs/emulator.md`` lists (:func:`expect_unsupported`).
The terminal summary prints "N of M SDK operations work". Under ``pytest-xdist`` the tally
is gathered from the reports the workers send, so it holds when this folder is on the
command line.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
import requests

from connectors.dataverse import DataverseClient as OurClient
from connectors.dataverse import StaticToken
from emulator.server import EmulatorServer, FaultPlan

sdk = pytest.importorskip("PowerPlatform.Dataverse.client")
import aiohttp  # noqa: E402  (the SDK's [async] extra, pinned with it in the test extra)
from azure.core.credentials import AccessToken  # noqa: E402  (after the skip: azure-identity comes with the SDK)
from PowerPlatform.Dataverse.core.errors import HttpError  # noqa: E402

T = TypeVar("T")
TOKEN = "sdk-conformance"
_OUTCOME = "sdk_outcome"
_OUTCOMES: dict[str, str] = {}


class StaticCredential:
    """An ``azure.core`` token credential handing the SDK the emulator's fixed token."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(TOKEN, int(time.time()) + 3600)


class AsyncStaticCredential:
    """The same fixed token for the SDK's async client (an ``azure.core`` async token credential)."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return StaticCredential().get_token(*scopes)

    async def close(self) -> None:
        return None

    async def __aenter__(self) -> AsyncStaticCredential:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sdk(operation): the Microsoft SDK operation a test drives")


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("sdk") / "dataverse.db"
    with EmulatorServer(db, tls=True, token=TOKEN, faults=FaultPlan.none(), key_activation_s=0.2) as emulator:
        yield emulator


@pytest.fixture(scope="package")
def client(server: EmulatorServer) -> Iterator[Any]:
    """Microsoft's client; it trusts the emulator's CA through ``REQUESTS_CA_BUNDLE`` as a user would."""
    previous = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_file)
    try:
        with sdk.DataverseClient(server.origin, StaticCredential()) as microsoft:
            yield microsoft
    finally:
        if previous is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = previous


@pytest.fixture
def aio(server: EmulatorServer) -> Callable[[Callable[[Any], Awaitable[T]]], T]:
    """``aio(scenario)`` runs ``await scenario(client)`` with Microsoft's ``AsyncDataverseClient``.

    Each call is one ``asyncio.run`` (no pytest async plugin). aiohttp reads neither
    ``REQUESTS_CA_BUNDLE`` nor, once imported, ``SSL_CERT_FILE``, and the SDK takes no SSL
    context, so the client gets an aiohttp session whose connector trusts the emulator's CA:
    the client keeps a session set before ``async with`` (``AsyncDataverseClient.__aenter__``).
    """
    from PowerPlatform.Dataverse.aio import AsyncDataverseClient

    def run(scenario: Callable[[Any], Awaitable[T]]) -> T:
        async def main() -> T:
            trusted = ssl.create_default_context(cafile=str(server.ca_file))
            microsoft = AsyncDataverseClient(server.origin, AsyncStaticCredential())
            microsoft._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trusted))
            async with microsoft:
                return await scenario(microsoft)

        return asyncio.run(main())

    return run


@pytest.fixture(scope="package")
def ours(server: EmulatorServer) -> Iterator[OurClient]:
    """Our own client, beside Microsoft's, for the side-by-side comparisons."""
    with requests.Session() as session:
        session.verify = str(server.ca_file)
        session.trust_env = False  # else a REQUESTS_CA_BUNDLE in the environment outranks session.verify
        yield OurClient(base_url=server.origin, session=session, token_provider=StaticToken(TOKEN), retry=None)


@pytest.fixture
def unsupported(record_property: Callable[[str, object], None]) -> Callable[[str], Any]:
    """``with unsupported("SQL"): ...`` — the call must end in the emulator's documented 501."""

    @contextmanager
    def expect(feature: str) -> Iterator[None]:
        with pytest.raises(HttpError) as raised:
            yield
        assert raised.value.status_code == 501, raised.value
        assert feature.lower() in raised.value.message.lower(), raised.value.message
        record_property(_OUTCOME, "501")

    return expect


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    operation = dict(report.user_properties).get("sdk_operation")
    if operation is None or (report.when != "call" and report.passed):
        return
    if report.passed:
        _OUTCOMES[operation] = "501" if dict(report.user_properties).get(_OUTCOME) == "501" else "works"
    else:
        _OUTCOMES[operation] = "fails"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    marker = item.get_closest_marker("sdk")
    if marker is not None:
        item.user_properties.append(("sdk_operation", marker.args[0]))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _OUTCOMES:
        return
    works = sorted(name for name, outcome in _OUTCOMES.items() if outcome == "works")
    refused = sorted(name for name, outcome in _OUTCOMES.items() if outcome == "501")
    failing = sorted(name for name, outcome in _OUTCOMES.items() if outcome == "fails")
    terminalreporter.section("Microsoft's SDK against the emulator")
    terminalreporter.write_line(f"{len(works)} of {len(_OUTCOMES)} SDK operations work")
    if refused:
        terminalreporter.write_line(f"501 as documented: {', '.join(refused)}")
    if failing:
        terminalreporter.write_line(f"failing: {', '.join(failing)}")


def table_set(server: EmulatorServer, logical_name: str) -> str:
    return server.store.tables[logical_name].entity_set_name


def unique(prefix: str) -> str:
    return f"{prefix}-{time.monotonic_ns()}"
