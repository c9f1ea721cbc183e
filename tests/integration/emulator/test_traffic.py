"""The emulator tallies the Web API requests it answers, whichever client sent them."""

from __future__ import annotations

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration


def test_every_answered_request_is_counted_by_status(emulator: EmulatorServer, http: requests.Session) -> None:
    emulator.traffic.reset()
    assert http.get(emulator.url + "WhoAmI", timeout=5).status_code == 200
    assert http.get(emulator.url + "nosuchset", timeout=5).status_code == 404
    assert requests.get(emulator.url + "WhoAmI", timeout=5).status_code == 401
    assert emulator.traffic.count() == 3
    assert emulator.traffic.snapshot()["by_status"] == {"200": 1, "401": 1, "404": 1}


def test_admin_endpoint_reports_and_resets_without_counting_itself(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    emulator.traffic.reset()
    http.get(emulator.url + "WhoAmI", timeout=5)
    report = requests.get(emulator.origin + "/_emulator/traffic", timeout=5).json()
    assert report == {"requests": 1, "by_status": {"200": 1}}
    assert requests.delete(emulator.origin + "/_emulator/traffic", timeout=5).json()["requests"] == 0
    assert requests.put(emulator.origin + "/_emulator/traffic", timeout=5).status_code == 405
    assert emulator.traffic.count() == 0
