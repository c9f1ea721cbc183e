"""Fault injection and TLS over real sockets: 429 after N, Retry-After, 503 windows, https with the CA file."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from emulator.server import EmulatorServer, FaultPlan, ServiceProtection

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer faults"}


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    plan = FaultPlan(limits=ServiceProtection(requests_per_window=3, window_s=30))
    with EmulatorServer(":memory:", faults=plan, tls=True, tls_dir=tmp_path_factory.mktemp("tls")) as server:
        yield server


def set_faults(server: EmulatorServer, plan: dict) -> dict:
    response = requests.post(
        server.origin + "/_emulator/faults", json=plan, headers=AUTH, verify=str(server.ca_file), timeout=5
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_https_with_the_generated_ca_file(faulty: EmulatorServer) -> None:
    assert faulty.url.startswith("https://127.0.0.1:") and faulty.ca_file is not None
    response = requests.get(
        faulty.url + "WhoAmI", headers={"Authorization": "Bearer tls"}, verify=str(faulty.ca_file), timeout=5
    )
    assert response.status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(faulty.url + "WhoAmI", headers=AUTH, timeout=5)
    localhost = faulty.url.replace("127.0.0.1", "localhost")
    assert (
        requests.get(
            localhost + "WhoAmI", headers={"Authorization": "Bearer tls2"}, verify=str(faulty.ca_file), timeout=5
        ).status_code
        == 200
    )


def test_429_after_n_requests_with_the_real_error_body(faulty: EmulatorServer) -> None:
    set_faults(faulty, {"throttle": {"requests_per_window": 3, "window_s": 30}})
    statuses = [
        requests.get(faulty.url + "WhoAmI", headers=AUTH, verify=str(faulty.ca_file), timeout=5) for _ in range(4)
    ]
    assert [r.status_code for r in statuses] == [200, 200, 200, 429]
    assert statuses[0].headers["x-ms-ratelimit-burst-remaining-xrm-requests"] == "2"
    throttled = statuses[-1]
    assert int(throttled.headers["Retry-After"]) in range(1, 31)
    assert throttled.json() == {
        "error": {
            "code": "0x80072322",
            "message": "Number of requests exceeded the limit of 3 over time window of 30 seconds.",
        }
    }
    other_user = requests.get(
        faulty.url + "WhoAmI", headers={"Authorization": "Bearer someone-else"}, verify=str(faulty.ca_file), timeout=5
    )
    assert other_user.status_code == 200


def test_outage_window_returns_503_then_recovers(faulty: EmulatorServer) -> None:
    plan = set_faults(faulty, {"throttle": None, "outage": {"duration_s": 0.6, "retry_after_s": 2}})
    assert plan["throttle"] is None and len(plan["outages"]) == 1
    during = requests.get(faulty.url + "WhoAmI", headers=AUTH, verify=str(faulty.ca_file), timeout=5)
    assert during.status_code == 503 and during.headers["Retry-After"] == "2"
    assert during.json()["error"]["message"]
    time.sleep(0.7)
    assert requests.get(faulty.url + "WhoAmI", headers=AUTH, verify=str(faulty.ca_file), timeout=5).status_code == 200


def test_latency_is_added_and_bad_plans_are_refused(faulty: EmulatorServer) -> None:
    set_faults(faulty, {"latency_ms": 150, "outages": []})
    started = time.monotonic()
    requests.get(faulty.url + "WhoAmI", headers=AUTH, verify=str(faulty.ca_file), timeout=5)
    assert time.monotonic() - started >= 0.15
    set_faults(faulty, {"latency_ms": 0})
    refused = requests.post(
        faulty.origin + "/_emulator/faults",
        json={"latency_ms": "slow"},
        headers=AUTH,
        verify=str(faulty.ca_file),
        timeout=5,
    )
    assert refused.status_code == 400 and "latency_ms" in refused.json()["error"]["message"]
