"""The console over real HTTP on loopback: sign-in, snapshot, SSE stream, commands, cards, hostile requests."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from bridge.runtime.version import bridge_version
from domain.calls.record import CallStatus

from ...unit.bridge.console.builders import AGENT_A, AGENT_B, CONTACT, SUPERVISOR, TOKENS, record, update
from .harness import RunningConsole

pytestmark = pytest.mark.integration


@pytest.fixture
def console():
    with RunningConsole(
        card_source=lambda table, rid: {"name": "Ali Rezaei", "company": "Pars Co", "open_cases": [], "activities": []}
    ) as running:
        yield running


def signed_in(console: RunningConsole, user: str = AGENT_A) -> tuple[requests.Session, str]:
    session = requests.Session()
    reply = session.post(
        f"{console.url}/api/session", json={"token": TOKENS[user]}, headers={"Origin": console.url}, timeout=5
    )
    assert reply.status_code == 200, reply.text
    assert "HttpOnly" in reply.headers["Set-Cookie"] and "SameSite=Strict" in reply.headers["Set-Cookie"]
    return session, reply.json()["csrf"]


def post(session, console, path, body, csrf, **headers):
    merged = {"Origin": console.url, "X-CSRF-Token": csrf, **headers}
    return session.post(f"{console.url}{path}", json=body, headers=merged, timeout=5)


def read_events(response, count: int) -> list[tuple[str, dict]]:
    events, kind = [], None
    for line in response.iter_lines(decode_unicode=True):
        if line.startswith("event: "):
            kind = line[7:]
        elif line.startswith("data: "):
            events.append((kind, json.loads(line[6:])))
            if len(events) == count:
                return events
    raise AssertionError(f"stream ended after {events}")


def test_pages_and_assets_are_served_with_a_strict_policy(console):
    page = requests.get(f"{console.url}/", timeout=5)
    assert page.status_code == 200 and 'dir="rtl"' in page.text and "{{" not in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    cif = requests.get(f"{console.url}/cif", timeout=5)
    assert "msdyn_ciLibrary.js" in cif.text and 'data-cifid="CIFMainLibrary"' in cif.text
    assert "frame-ancestors https://contoso.crm4.dynamics.com" in cif.headers["Content-Security-Policy"]
    assert f'data-version="{bridge_version()}"' in page.text
    for asset in ("/console.js", "/cif.js", "/console.css", "/admin.js", "/upgrade.js", "/callview.js"):
        assert requests.get(f"{console.url}{asset}", timeout=5).status_code == 200


def test_sse_stream_delivers_snapshot_then_the_ringing_call_with_its_pop_up(console):
    session, _ = signed_in(console)
    with session.get(f"{console.url}/events", stream=True, timeout=5) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = read_events(stream, 3)
        assert [k for k, _ in first] == ["version", "health", "snapshot"]  # the version first (CALL-44)
        assert first[0][1] == {"version": bridge_version()}
        console.call(lambda: console.live.on_call(update(record(name="علی رضایی")), console.live.system("pbx1")))
        kinds = read_events(stream, 3)
    call = next(payload for kind, payload in kinds if kind == "call")
    assert call["popup"] == "ringing" and call["name"] == "علی رضایی" and call["caller"]["id"] == CONTACT


def test_snapshot_and_card_follow_visibility(console):
    console.call(lambda: console.live.on_call(update(record()), console.live.system("pbx1")))
    session, _ = signed_in(console)
    snapshot = session.get(f"{console.url}/api/snapshot", timeout=5).json()
    assert [c["key"] for c in snapshot["calls"]] == ["pbx1:c1"] and snapshot["health"]["outbox"]["depth"] == 0
    card = session.get(f"{console.url}/api/card", params={"table": "contact", "id": CONTACT}, timeout=5)
    assert card.status_code == 200 and card.json()["company"] == "Pars Co"
    other = session.get(f"{console.url}/api/card", params={"table": "contact", "id": AGENT_B}, timeout=5)
    assert other.status_code == 403
    bad = session.get(f"{console.url}/api/card", params={"table": "systemuser", "id": "x"}, timeout=5)
    assert bad.status_code in (400, 403)


def test_dial_and_spy_reach_the_command_port_for_permitted_users(console):
    session, csrf = signed_in(console)
    reply = post(session, console, "/api/dial", {"number": "09121234567"}, csrf)
    assert reply.status_code == 202, reply.text
    assert console.port_calls.dials == [("pbx1", "101", "09121234567")]
    talking = record(CallStatus.TALKING, ringing=(), extension="102")
    console.call(lambda: console.live.on_call(update(talking), console.live.system("pbx1")))
    assert post(session, console, "/api/spy", {"call": "pbx1:c1", "whisper": False}, csrf).status_code == 403
    boss, boss_csrf = signed_in(console, SUPERVISOR)
    assert post(boss, console, "/api/spy", {"call": "pbx1:c1", "whisper": True}, boss_csrf).status_code == 202
    assert console.port_calls.spies == [("pbx1", "200", "PJSIP/102-", True)]


@pytest.mark.parametrize(
    "headers, status",
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": None}, 403),
        ({"X-CSRF-Token": "forged"}, 403),
        ({"X-CSRF-Token": None}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
    ],
)
def test_cross_site_or_tokenless_posts_are_refused(console, headers, status):
    session, csrf = signed_in(console)
    merged = {"Origin": console.url, "X-CSRF-Token": csrf, **headers}
    reply = session.post(
        f"{console.url}/api/dial",
        json={"number": "0912"},
        headers={k: v for k, v in merged.items() if v is not None},
        timeout=5,
    )
    assert reply.status_code == status
    assert console.port_calls.dials == []


def test_unauthenticated_and_wrong_sign_in(console):
    assert requests.get(f"{console.url}/api/snapshot", timeout=5).status_code == 401
    assert requests.get(f"{console.url}/events", timeout=5).status_code == 401
    reply = requests.post(
        f"{console.url}/api/session",
        json={"token": "not-a-real-token-at-all"},
        headers={"Origin": console.url},
        timeout=5,
    )
    assert reply.status_code == 401
    by_id = requests.post(
        f"{console.url}/api/session", json={"user_id": AGENT_A}, headers={"Origin": console.url}, timeout=5
    )
    assert by_id.status_code == 401  # trust_host_user_id is off


def test_guessing_tokens_over_http_meets_429_with_retry_after(console):
    def guess() -> requests.Response:
        return requests.post(
            f"{console.url}/api/session",
            json={"token": "not-a-real-token-at-all"},
            headers={"Origin": console.url},
            timeout=5,
        )

    statuses = [guess().status_code for _ in range(5)]
    refused = guess()
    assert statuses == [401] * 5 and refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1 and "too many" in refused.json()["error"]


def raw(console: RunningConsole, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", console.server.port), timeout=5) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "payload, status",
    [
        (b"GET /nowhere HTTP/1.1\r\nHost: {host}\r\n\r\n", b"404"),
        (b"DELETE /api/dial HTTP/1.1\r\nHost: {host}\r\n\r\n", b"405"),
        (b"GARBAGE\r\n\r\n", b"400"),
        (b"GET http://evil/ HTTP/1.1\r\nHost: {host}\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: evil.example:80\r\n\r\n", b"421"),
        (b"GET / HTTP/1.1\r\nHost: {host}\r\nBad Header\r\n\r\n", b"400"),
        (b"POST /api/session HTTP/1.1\r\nHost: {host}\r\nContent-Length: 99999999\r\n\r\n", b"413"),
        (b"POST /api/session HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\n", b"501"),
        (b"POST /api/session HTTP/1.1\r\nHost: {host}\r\nContent-Length: -1\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: {host}\r\nX-Long: " + b"a" * 20000 + b"\r\n\r\n", b"431"),
        (
            b"POST /api/session HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\n"
            b"Content-Length: 9\r\n\r\n{not json",
            b"400",
        ),
        (
            b"POST /api/session HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\n\r\n[]",
            b"400",
        ),
        (
            b"POST /api/session HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nContent-Type: text/plain\r\n"
            b"Content-Length: 2\r\n\r\n{}",
            b"415",
        ),
        (
            b"POST /api/session HTTP/1.1\r\nHost: {host}\r\nOrigin: {origin}\r\nContent-Type: application/json\r\n"
            b"Content-Length: 4\r\n\r\n\xff\xfe{}",
            b"400",
        ),
    ],
)
def test_hostile_requests_get_a_4xx_and_the_server_keeps_serving(console, payload, status):
    host = f"127.0.0.1:{console.server.port}".encode()
    reply = raw(console, payload.replace(b"{host}", host).replace(b"{origin}", b"http://" + host))
    assert reply.split(b" ", 2)[1] == status, reply[:200]
    assert requests.get(f"{console.url}/console.css", timeout=5).status_code == 200


def test_a_half_sent_request_is_timed_out_without_harm(console):
    with socket.create_connection(("127.0.0.1", console.server.port), timeout=5) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\n")
        assert requests.get(f"{console.url}/", timeout=5).status_code == 200


def _ringing_at(console: RunningConsole, *extensions: str) -> None:
    console.call(lambda: console.live.on_call(update(record(ringing=extensions)), console.live.system("pbx1")))


def test_answer_reaches_the_port_for_the_extensions_user_or_a_supervisor(console):
    session, csrf = signed_in(console)
    assert session.get(f"{console.url}/api/session", timeout=5).json()["can_answer"] is True
    _ringing_at(console, "101", "102")
    reply = post(session, console, "/api/answer", {"call": "pbx1:c1"}, csrf)
    assert reply.status_code == 202, reply.text
    assert "101" in reply.json()["message"]
    other, other_csrf = signed_in(console, AGENT_B)
    assert post(other, console, "/api/answer", {"call": "pbx1:c1", "extension": "101"}, other_csrf).status_code == 403
    boss, boss_csrf = signed_in(console, SUPERVISOR)
    assert post(boss, console, "/api/answer", {"call": "pbx1:c1", "extension": "102"}, boss_csrf).status_code == 202
    assert console.port_calls.answers == [("pbx1", "101", "PJSIP/101"), ("pbx1", "102", "PJSIP/102")]


def test_a_call_no_longer_ringing_there_is_not_answered(console):
    session, csrf = signed_in(console)
    talking = record(CallStatus.TALKING, revision=2, ringing=(), extension="101")
    _ringing_at(console, "101")
    console.call(lambda: console.live.on_call(update(talking), console.live.system("pbx1")))
    assert post(session, console, "/api/answer", {"call": "pbx1:c1"}, csrf).status_code == 409
    assert post(session, console, "/api/answer", {"call": "pbx1:gone"}, csrf).status_code == 404
    assert console.port_calls.answers == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": None},
        {"X-CSRF-Token": "forged"},
        {"X-CSRF-Token": None},
        {"Sec-Fetch-Site": "cross-site"},
        {"Cookie": "commsuite_console=stolen"},
    ],
)
def test_cross_site_forged_or_sessionless_answers_are_refused(console, headers):
    session, csrf = signed_in(console)
    _ringing_at(console, "101")
    merged = {"Origin": console.url, "X-CSRF-Token": csrf, **headers}
    if "Cookie" in headers:
        session = requests.Session()
    reply = session.post(
        f"{console.url}/api/answer",
        json={"call": "pbx1:c1"},
        headers={k: v for k, v in merged.items() if v is not None},
        timeout=5,
    )
    assert reply.status_code in (401, 403)
    assert console.port_calls.answers == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"call": ""},
        {"call": 7},
        {"call": ["pbx1:c1"]},
        {"call": "pbx1:c1", "extension": 101},
        {"call": "pbx1:c1", "extension": "1" * 40},
        {"call": "x" * 500},
        {"call": None},
    ],
)
def test_malformed_answer_bodies_get_400(console, body):
    session, csrf = signed_in(console)
    _ringing_at(console, "101")
    assert post(session, console, "/api/answer", body, csrf).status_code == 400
    assert console.port_calls.answers == []


def test_answer_only_by_post(console):
    session, _ = signed_in(console)
    assert session.get(f"{console.url}/api/answer", timeout=5).status_code == 405
