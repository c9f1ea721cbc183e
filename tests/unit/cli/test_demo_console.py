"""The demo's console subscriber: SSE framing (malformed and hostile streams) and ring-to-pop-up timing."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest

from cli.demo_console import MAX_LINE_CHARS, ConsoleWatcher, SseEvent, parse_sse


def events(text: str) -> list[SseEvent]:
    return list(parse_sse(text.split("\n")))


def test_events_are_framed_by_blank_lines() -> None:
    stream = 'retry: 3000\n\nevent: health\ndata: {"a":1}\n\n: keep-alive\n\nevent: call\ndata: {"b":2}\n\n'
    assert events(stream) == [SseEvent("health", '{"a":1}'), SseEvent("call", '{"b":2}')]


def test_multi_line_data_and_the_default_name() -> None:
    assert events("data: one\ndata:two\ndata\n\n") == [SseEvent("message", "one\ntwo\n")]


@pytest.mark.parametrize(
    "stream",
    [
        "event: call\n\n",
        ": only a comment\n\n",
        "\n\n\n",
        "id: 7\nretry: x\n\n",
        'event: call\ndata: {"cut": "off before the blank line"}',
    ],
)
def test_streams_without_a_complete_event_give_none(stream: str) -> None:
    assert events(stream) == []


def test_a_name_does_not_leak_into_the_next_event() -> None:
    assert events("event: call\n\ndata: x\n\n") == [SseEvent("message", "x")]


def test_a_hostile_line_length_ends_the_stream() -> None:
    with pytest.raises(ValueError, match="too long"):
        events("data: " + "x" * MAX_LINE_CHARS + "\n\n")


def watcher() -> ConsoleWatcher:
    return ConsoleWatcher("http://127.0.0.1:1", "unused-token")


def feed(w: ConsoleWatcher, name: str, payload: object, at: float) -> None:
    w._take(SseEvent(name, payload if isinstance(payload, str) else json.dumps(payload)), at)


def test_a_ringing_popup_is_timed_from_the_tiles_ringing_moment() -> None:
    w = watcher()
    feed(
        w,
        "extension",
        {"system": "hq", "extension": "101", "state": "ringing", "since": "2024-05-01T09:00:00.250000+00:00"},
        0,
    )
    ring_at = 1714554000.25
    call = {"key": "hq:c1", "system": "hq", "ringing": ["101"], "popup": "ringing"}
    feed(w, "call", call, ring_at + 0.012)
    feed(w, "call", {**call, "revision": 2}, ring_at + 0.5)  # the same call again: one pop-up
    (popup,) = w.popups
    assert (popup.call_key, popup.extension) == ("hq:c1", "101")
    assert popup.ring_to_popup_ms == pytest.approx(12.0, abs=0.01)


@pytest.mark.parametrize("payload", ["{not json", "[1, 2]", "null", '"text"'])
def test_malformed_event_data_is_counted_not_raised(payload: str) -> None:
    w = watcher()
    feed(w, "call", payload, 0)
    assert w.malformed == 1 and w.popups == []


def test_a_tile_that_stopped_ringing_times_nothing_and_a_later_call_start_wins() -> None:
    w = watcher()
    ring = {"system": "hq", "extension": "101", "state": "ringing", "since": "2024-05-01T09:00:00+00:00"}
    feed(w, "extension", ring, 0)
    feed(w, "extension", {**ring, "state": "idle"}, 0)
    feed(w, "call", {"key": "hq:c1", "system": "hq", "ringing": ["101"], "popup": "ringing"}, 1714554001.0)
    feed(w, "extension", ring, 0)
    feed(
        w,
        "call",
        {
            "key": "hq:c2",
            "system": "hq",
            "ringing": ["101"],
            "popup": "ringing",
            "started_at": "2024-05-01T09:00:00.200+00:00",
        },
        1714554000.25,
    )
    popups = {p.call_key: p.ring_to_popup_ms for p in w.popups}
    assert popups["hq:c1"] is None and popups["hq:c2"] == pytest.approx(50.0, abs=0.01)


def test_calls_that_are_not_ringing_popups_and_odd_tiles_are_ignored() -> None:
    w = watcher()
    feed(w, "extension", {"system": "hq", "extension": "101", "state": "ringing", "since": "yesterday"}, 0)
    feed(w, "extension", {"system": "hq", "extension": "102", "state": "ringing", "since": "2024-05-01T09:00:00"}, 0)
    feed(w, "call", {"key": "hq:c1", "system": "hq", "ringing": ["101"], "popup": None}, 1)
    feed(w, "call", {"key": "hq:c2", "system": "hq", "ringing": ["101"], "popup": "queued"}, 1)
    feed(w, "call", {"key": "hq:c3", "system": "hq", "ringing": None, "popup": "ringing", "started_at": "soon"}, 1)
    assert [(p.call_key, p.ring_to_popup_ms) for p in w.popups] == [("hq:c3", None)]


class _ScriptedConsole:
    """A loopback server answering sign-in with a cookie, then the event stream with ``body`` in pieces."""

    def __init__(self, pieces: list[bytes], status: bytes = b"200 OK"):
        self.pieces, self.status = pieces, status
        self.requests: list[bytes] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        for _ in range(2):
            conn, _ = self.listener.accept()
            with conn:
                request = conn.recv(65_536)
                self.requests.append(request)
                if request.startswith(b"POST /api/session"):
                    body = b'{"csrf": "c"}'
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                        b"Set-Cookie: commsuite_console=sid-1; Path=/; HttpOnly\r\n"
                        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
                    )
                    continue
                conn.sendall(b"HTTP/1.1 " + self.status + b"\r\nContent-Type: text/event-stream\r\n\r\n")
                for piece in self.pieces:
                    conn.sendall(piece)
                    time.sleep(0.01)


def test_the_watcher_reads_a_real_stream_split_anywhere() -> None:
    tile = json.dumps(
        {"system": "hq", "extension": "101", "state": "ringing", "since": "2024-05-01T09:00:00+00:00"}
    ).encode()
    call = json.dumps(
        {"key": "hq:c1", "system": "hq", "ringing": ["101"], "popup": "ringing", "name": "رضا احمدی"},
        ensure_ascii=False,
    ).encode()
    stream = (
        b"retry: 3000\r\n\r\nevent: extension\r\ndata: "
        + tile
        + b"\r\n\r\n: keep-alive\n\nevent: call\ndata: "
        + call
        + b"\n\nevent: call\ndata: {broken\n\n"
    )
    split_in_a_character = stream.index("رضا".encode()) + 1
    server = _ScriptedConsole([stream[:7], stream[7:split_in_a_character], stream[split_in_a_character:]])
    w = ConsoleWatcher(server.url, "a-token").start()
    deadline = time.monotonic() + 5
    while w.malformed == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    w.stop()
    assert [p.call_key for p in w.popups] == ["hq:c1"] and w.malformed == 1
    assert b"Cookie: commsuite_console=sid-1" in server.requests[1]
    assert b"Origin: " + server.url.encode() in server.requests[0]


def test_a_refused_stream_is_an_error_at_start() -> None:
    server = _ScriptedConsole([], status=b"401 Unauthorized")
    with pytest.raises(RuntimeError, match="refused"):
        ConsoleWatcher(server.url, "a-token").start()
