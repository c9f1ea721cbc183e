"""A deadline over a piece of work's Dataverse requests (issue 14): capped timeouts, no retry past it.

Time is injected: the scripted adapter advances the clock by the timeout it was given when it plays a
request that never answers, and the retry policy's ``sleep`` advances it by the delay. One test uses a
real socket that accepts and never replies, and checks the timeout handed to the connection and the
number of attempts (never a wall-clock margin).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from connectors.dataverse import DataverseClient, RecordId, StaticToken
from connectors.dataverse.deadline import MIN_ATTEMPT_S, DeadlineExceededError, request_deadline
from connectors.dataverse.errors import ConnectFailedError, ResponseLostError, ServerError
from connectors.dataverse.retry import RetryPolicy

RECORD = RecordId("00000000-0000-0000-0000-000000000001")


class _Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class _Silent(BaseAdapter):
    """Every request: the connect (``"connect"``) or the read (``"read"``) times out after the timeout given."""

    def __init__(self, clock: _Clock, where: str = "read", status: int | None = None):
        super().__init__()
        self.clock, self.where, self.status = clock, where, status
        self.timeouts: list[tuple[float, float]] = []

    def send(self, request, **kwargs):  # noqa: ANN001, ANN003 - the requests adapter interface
        connect_s, read_s = kwargs["timeout"]
        self.timeouts.append((connect_s, read_s))
        if self.status is not None:
            response = requests.Response()
            response.status_code, response.request, response.url = self.status, request, request.url
            response._content = b'{"error":{"code":"0x0","message":"down"}}'
            return response
        if self.where == "connect":
            self.clock.now += connect_s
            raise requests.ConnectTimeout("no answer to the connect")
        self.clock.now += connect_s / 100 + read_s
        raise requests.ReadTimeout("no answer")

    def close(self) -> None:
        pass


def _client(adapter: BaseAdapter, clock: _Clock, *, timeout: tuple[float, float] = (5.0, 60.0)) -> DataverseClient:
    session = requests.Session()
    session.mount("https://", adapter)
    retry = RetryPolicy(max_attempts=5, base_s=1.0, cap_s=60.0, sleep=clock.sleep, rng=lambda: 1.0)
    return DataverseClient(
        base_url="https://org.example.com",
        session=session,
        token_provider=StaticToken("t"),
        timeout=timeout,
        retry=retry,
    )


def test_without_a_deadline_nothing_changes() -> None:
    clock = _Clock()
    adapter = _Silent(clock, "connect")
    with pytest.raises(ConnectFailedError):
        _client(adapter, clock).upsert("phonecalls", RECORD, {"subject": "x"})
    assert adapter.timeouts == [(5.0, 60.0)] * 5  # the policy's five attempts, the configured timeouts


def test_a_silent_dataverse_is_given_up_on_at_the_deadline() -> None:
    clock = _Clock()
    adapter = _Silent(clock, "read")
    started = clock.now
    with request_deadline(2.0, clock=clock), pytest.raises(ResponseLostError):
        _client(adapter, clock).upsert("phonecalls", RECORD, {"subject": "x"})
    assert adapter.timeouts == [(2.0, 2.0)]  # one attempt, its timeouts cut to the time left
    assert clock.now - started <= 2.0 + 0.05


def test_retries_happen_only_while_they_fit_in_the_deadline() -> None:
    clock = _Clock()
    adapter = _Silent(
        clock,
        "connect",
    )
    with request_deadline(2.0, clock=clock), pytest.raises(ConnectFailedError):
        _client(adapter, clock, timeout=(0.25, 60.0)).upsert("phonecalls", RECORD, {"subject": "x"})
    # 0.25 s connect, 1 s backoff, 0.25 s connect; the next backoff (2 s) would pass the deadline
    assert adapter.timeouts == [(0.25, 2.0), (0.25, 0.75)]


def test_a_503_is_not_retried_past_the_deadline() -> None:
    clock = _Clock()
    adapter = _Silent(clock, status=503)
    with request_deadline(1.5, clock=clock), pytest.raises(ServerError):
        _client(adapter, clock).retrieve("phonecalls", RECORD)
    assert len(adapter.timeouts) == 2  # the first try and one retry after 1 s; the 2 s backoff does not fit


def test_a_request_due_after_the_deadline_is_not_sent() -> None:
    clock = _Clock()
    adapter = _Silent(clock, status=503)
    with request_deadline(1.0, clock=clock):
        clock.now += 1.0 - MIN_ATTEMPT_S / 2
        with pytest.raises(DeadlineExceededError):
            _client(adapter, clock).retrieve("phonecalls", RECORD)
    assert adapter.timeouts == []


def test_an_outer_earlier_deadline_wins() -> None:
    clock = _Clock()
    with request_deadline(1.0, clock=clock) as outer, request_deadline(5.0, clock=clock) as inner:
        assert inner is outer


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections, reads, and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()
        for conn in held:
            conn.close()


class _Recording(HTTPAdapter):
    def __init__(self) -> None:
        super().__init__(max_retries=0)
        self.timeouts: list[object] = []

    def send(self, request, **kwargs):  # noqa: ANN001, ANN003 - the requests adapter interface
        self.timeouts.append(kwargs["timeout"])
        return super().send(request, **kwargs)


def test_a_dataverse_that_accepts_and_never_answers_costs_one_attempt_within_the_deadline(silent_server) -> None:
    adapter = _Recording()
    session = requests.Session()
    session.mount("http://", adapter)
    client = DataverseClient(
        base_url=silent_server,
        session=session,
        token_provider=StaticToken("t"),
        timeout=(5.0, 60.0),
        retry=RetryPolicy(max_attempts=5),
    )
    with request_deadline(0.3), pytest.raises(ResponseLostError):
        client.upsert("phonecalls", RECORD, {"subject": "x"})
    assert len(adapter.timeouts) == 1
    connect_s, read_s = adapter.timeouts[0]
    assert connect_s <= 0.3 and read_s <= 0.3
