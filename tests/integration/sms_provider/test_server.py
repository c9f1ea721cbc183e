"""The fake provider itself: webhooks, concurrency without duplicates, fast start and stop, option checks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
import requests

from connectors.sms._kavenegar_push import parse_inbound_push
from emulator.sms_provider import FakeSmsProviderServer

from .conftest import LINE


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.bodies.append((self.path, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[ThreadingHTTPServer]:
    http = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    http.bodies = []
    thread = threading.Thread(target=http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield http
    http.shutdown()
    http.server_close()


def wait_for(condition, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_inbound_and_delivery_are_pushed_to_the_webhooks(receiver) -> None:
    base = f"http://127.0.0.1:{receiver.server_address[1]}"
    with FakeSmsProviderServer(
        inbound_url=f"{base}/in", delivery_url=f"{base}/dlr", sent_after_s=0.0, delivered_after_s=0.1
    ) as server:
        server.inject_inbound("09121234567", LINE, "لغو ۱۱")
        form = {"receptor": "09121234567", "message": "hi", "localid": "w-1"}
        requests.post(f"{server.base_url}/test-key/sms/send.json", data=form, timeout=5).raise_for_status()
        wait_for(lambda: len(receiver.bodies) == 2)
        assert [p["status"] for p in server.pushes] == [204, 204]
    inbound = dict(receiver.bodies)["/in"]
    (item,) = parse_inbound_push(inbound)
    assert (item.sender, item.line, item.text) == ("+989121234567", LINE, "لغو ۱۱")
    report = {k: v[0] for k, v in parse_qs(dict(receiver.bodies)["/dlr"].decode()).items()}
    assert (report["localid"], report["status"], report["receptor"]) == ("w-1", "10", "09121234567")


def test_a_dead_webhook_is_recorded_not_raised() -> None:
    with FakeSmsProviderServer(inbound_url="http://127.0.0.1:9/in") as server:
        server.inject_inbound("09121234567", LINE, "x")
        assert server.pushes[0]["kind"] == "inbound" and "error" in server.pushes[0]


def test_concurrent_sends_get_distinct_ids_and_repeated_local_ids_send_once(server) -> None:
    failures: list[str] = []

    def send(index: int) -> None:
        form = {"receptor": f"0912{index % 10:07d}", "message": "hi", "localid": f"c-{index % 20}"}
        try:
            with requests.Session() as http:
                http.post(f"{server.base_url}/test-key/sms/send.json", data=form, timeout=5).raise_for_status()
        except requests.RequestException as exc:
            failures.append(repr(exc))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(server.sent) == 20
    assert len({m["messageid"] for m in server.sent}) == 20
    assert sum(server.sent_count(f"0912{i:07d}") for i in range(10)) == 20


def test_start_and_stop_are_fast_even_with_a_held_request() -> None:
    started = time.monotonic()
    server = FakeSmsProviderServer(timeout_hold_s=30).start()
    server.fail_next(1, "timeout")
    outcome: list[str] = []
    held = threading.Thread(target=_held_request, args=(server.base_url, outcome))
    held.start()
    time.sleep(0.1)
    server.stop()
    held.join(timeout=5)
    assert not held.is_alive() and outcome == ["ConnectionError"]
    assert time.monotonic() - started < 2.0
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.base_url


def _held_request(base_url: str, outcome: list[str]) -> None:
    try:
        requests.post(f"{base_url}/test-key/account/info.json", timeout=10)
        outcome.append("answered")
    except requests.ConnectionError as exc:
        outcome.append(type(exc).__name__)


@pytest.mark.parametrize("n, status", [(0, 500), (1, "slow"), (1, 200), (1, 1200)])
def test_impossible_faults_are_refused(server, n, status) -> None:
    with pytest.raises(ValueError):
        server.fail_next(n, status=status)


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.set_latency(-1),
        lambda s: s.set_delivery_delays(2, 1),
        lambda s: s.set_delivery_delays(-1, 1),
    ],
)
def test_impossible_settings_are_refused(server, call) -> None:
    with pytest.raises(ValueError):
        call(server)


def test_the_api_key_never_reaches_the_log(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeSmsProviderServer(api_key="CANARY-7f3a") as server:
        requests.post(f"{server.base_url}/CANARY-7f3a/account/info.json", timeout=5).raise_for_status()
        requests.post(f"{server.base_url}/CANARY-7f3a/nope", timeout=5)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("emulator.sms_provider")]
    assert not [line for line in ours if "CANARY-7f3a" in line]
    assert "fake sms provider: POST answered 200" in ours
