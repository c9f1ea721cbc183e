"""DynamicsWebApi, a widely used JavaScript Web API client, driven against the emulator over TLS.

The npm package ``dynamics-web-api`` is pinned in ``package.json`` / ``package-lock.json`` beside
this file; ``./dev test`` installs it into ``node_modules/`` with ``npm ci``. Each area is one
Node script under ``scripts/`` that prints one JSON document; the tests check it. Node is
required: without it (or without the installed package) the tests fail and say so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator.server import EmulatorServer, FaultPlan

TOKEN = "webapi-js-conformance"
HERE = Path(__file__).parent
SCRIPTS = HERE / "scripts"
PACKAGE = HERE / "node_modules" / "dynamics-web-api" / "package.json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    """A fresh emulator per module (half a second), so each script starts from an empty organisation."""
    db = tmp_path_factory.mktemp("webapi_js") / "dataverse.db"
    with EmulatorServer(db, tls=True, token=TOKEN, faults=FaultPlan.none()) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def node_script(server: EmulatorServer) -> Callable[..., Any]:
    """``node_script("records")`` runs ``scripts/records.js`` against the emulator and returns what it printed."""
    node = shutil.which("node")
    assert node, "node (v18 or newer) and npm run the DynamicsWebApi tests; install Node.js, then ./dev test"
    assert PACKAGE.is_file(), f"dynamics-web-api is not installed: run ./dev test, or npm ci --prefix {HERE}"
    pinned = json.loads((HERE / "package.json").read_text(encoding="utf-8"))["dependencies"]["dynamics-web-api"]
    installed = json.loads(PACKAGE.read_text(encoding="utf-8"))["version"]
    assert installed == pinned, f"dynamics-web-api {installed} is installed, {pinned} pinned: run ./dev test"

    def run(name: str) -> Any:
        env = {
            **os.environ,
            "COMMS_DATAVERSE_URL": server.origin,
            "COMMS_TOKEN": TOKEN,
            "NODE_EXTRA_CA_CERTS": str(server.ca_file),
        }
        result = subprocess.run(
            [node, str(SCRIPTS / f"{name}.js")],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=env,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, f"{name}.js failed:\n{result.stderr}"
        return json.loads(result.stdout)

    return run


@pytest.fixture(scope="module")
def web(server: EmulatorServer) -> Iterator[Callable[..., requests.Response]]:
    """Plain HTTP to the emulator, to set up or check what a script did: ``web("GET", "accounts(...)")``."""
    with requests.Session() as session:
        session.verify = str(server.ca_file)
        session.trust_env = False
        session.headers["Authorization"] = f"Bearer {TOKEN}"

        def call(method: str, path: str, **kwargs: Any) -> requests.Response:
            return session.request(method, server.url + path, timeout=30, **kwargs)

        yield call
