"""The AMI connector against the emulator over real TCP sockets with real CRLF framing."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from connectors.errors import AuthError, OutcomeUnknownError, RejectedError
from connectors.pbx.ami import AmiConnector, AmiSettings
from connectors.pbx.base import ConnectionState
from domain.calls.events import CallEvent, EventKind, HangupCause
from emulator.ami import AmiServer

pytestmark = pytest.mark.integration
CANARY = "CANARY-7f3a"
#: A queue wait (scenario seconds) no test outlives: the emulator is stopped long before.
QUEUED_FOR_GOOD = 3600.0 * 20


def _settings(port: int, secret: str = CANARY, **overrides) -> AmiSettings:
    fast = dict(
        ping_interval_s=0.2,
        ping_timeout_s=0.3,
        backoff_min_s=0.02,
        backoff_max_s=0.1,
        connect_timeout_s=1.0,
        action_timeout_s=1.0,
    )
    return AmiSettings(
        system="pbx1",
        host="127.0.0.1",
        port=port,
        username="crm",
        secret=secret,
        channels={"ivr_variables": ["CUSTOMER_CODE"]},
        **{**fast, **overrides},
    )


def _run(
    scenario: Callable[[AmiServer, AmiConnector], Awaitable[None]],
    *,
    dialect: str = "modern",
    secret: str = CANARY,
    **overrides,
) -> None:
    async def main() -> None:
        server = await AmiServer(dialect=dialect, secret=CANARY, speed=20).start()
        ids = (f"a{n}" for n in itertools.count(1))
        connector = AmiConnector(
            _settings(server.port, secret, **overrides), ids=lambda: next(ids), rng=random.Random(7)
        )
        try:
            await asyncio.wait_for(scenario(server, connector), timeout=15)
        finally:
            await connector.stop()
            await server.stop()

    asyncio.run(main())


async def _started(connector: AmiConnector) -> asyncio.Task:
    task = asyncio.get_running_loop().create_task(connector.run())
    _RUNNING[id(connector)] = task
    await _connected(connector)
    return task


async def _connected(connector: AmiConnector) -> None:
    task = _RUNNING[id(connector)]
    while connector.state is not ConnectionState.CONNECTED:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)


_RUNNING: dict[int, asyncio.Task] = {}


async def _until(stream: AsyncIterator[CallEvent], kind: EventKind) -> list[CallEvent]:
    seen = []
    async for event in stream:
        seen.append(event)
        if event.kind is kind:
            return seen
    return seen


@pytest.mark.parametrize("dialect", ["modern", "legacy"])
@pytest.mark.parametrize(
    "scenario, kinds, cause",
    [
        ("inbound_answered", [EventKind.RING, EventKind.ANSWER, EventKind.HANGUP], HangupCause.NORMAL),
        ("inbound_missed", [EventKind.RING, EventKind.HANGUP], HangupCause.NO_ANSWER),
        (
            "queue",
            [EventKind.QUEUE_JOIN, EventKind.RING, EventKind.ANSWER, EventKind.QUEUE_LEAVE, EventKind.HANGUP],
            HangupCause.NORMAL,
        ),
    ],
)
def test_scenario_events_become_call_events(dialect: str, scenario: str, kinds: list, cause: HangupCause) -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        task = await _started(connector)
        stream = connector.events()
        server.play(scenario)
        events = [e for e in await _until(stream, EventKind.HANGUP) if e.kind is not EventKind.STATE]
        assert [e.kind for e in events] == kinds
        assert events[-1].cause is cause and events[0].external_name == "رضا احمدی"
        assert dict(events[0].ivr_data)["CUSTOMER_CODE"].startswith("400")
        assert not task.done()

    _run(check, dialect=dialect)


def test_bad_password_is_an_auth_error_and_the_connector_stops() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        with pytest.raises(AuthError):
            await connector.run()
        assert connector.state is ConnectionState.AUTH_FAILED
        assert server.count("login") == 1  # no hammering

    _run(check, secret="wrong")


def test_silent_server_is_detected_by_ping_timeout_and_reconnected() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        server.silent = True
        while connector.state is ConnectionState.CONNECTED:
            await asyncio.sleep(0.02)
        server.silent = False
        await _connected(connector)
        assert server.count("login") >= 2 and server.count("ping") >= 2

    _run(check)


@pytest.mark.parametrize("dialect", ["modern", "legacy"])
def test_dropped_connection_reconnects_and_resyncs(dialect: str) -> None:
    # The resync's last action: its reply is on the wire before anything played afterwards.
    last = "DeviceStateList" if dialect == "modern" else "QueueStatus"

    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        await server.handled(last)  # the login resync is over before the call starts
        stream = connector.events()
        server.play("queue", wait_s=QUEUED_FOR_GOOD)  # the caller waits in the queue past the test's end
        joined = await _until(stream, EventKind.QUEUE_JOIN)
        server.drop_connections()
        await server.handled(last, 2)  # reconnected, logged in again and resynced
        assert server.count("login") == 2
        assert server.count("coreshowchannels") == 2 and server.count("queuestatus") == 2
        server.play("inbound_missed")
        after = [e for e in await _until(stream, EventKind.HANGUP) if e.kind is not EventKind.STATE]
        # The waiting caller is still known after the resync (no HANGUP for it), and new calls flow.
        assert {e.call_id for e in after} != {joined[-1].call_id}
        assert all(e.call_id != joined[-1].call_id for e in after if e.kind is EventKind.HANGUP)

    # Pings only every minute: a loaded machine's slow Pong must not add a reconnect of its own.
    _run(check, dialect=dialect, ping_interval_s=60.0)


def test_originate_in_flight_during_a_drop_is_outcome_unknown_and_never_resent() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        server.hold_originate = True
        pending = asyncio.ensure_future(connector.originate("101", "09121234567", action_id="req-42"))
        await server.handled("originate")
        server.drop_connections()
        with pytest.raises(OutcomeUnknownError) as caught:
            await pending
        assert caught.value.key == "req-42"
        await server.handled("login", 2)
        await _connected(connector)
        await connector.run_command("core show version")  # whatever was sent before it has arrived
        assert server.count("originate") == 1

    _run(check)


@pytest.mark.parametrize("dialect", ["modern", "legacy"])
def test_click_to_call_returns_the_first_leg_and_the_call_is_reported(dialect: str) -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        stream = connector.events()
        result = await connector.originate("101", "09121234567", action_id="req-7", technology="SIP")
        assert result.channel.startswith("SIP/101-") and result.uniqueid
        events = [e for e in await _until(stream, EventKind.HANGUP) if e.kind is not EventKind.STATE]
        assert [e.kind for e in events] == [EventKind.DIAL, EventKind.ANSWER, EventKind.HANGUP]
        assert events[0].external_number == "09121234567"
        sent = [a for a in server.actions if a.get("action") == "Originate"][0]
        assert sent["async"] == "true" and sent["context"] == "from-internal"

    _run(check, dialect=dialect)


def test_originate_refused_by_the_pbx_is_rejected() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        with pytest.raises(RejectedError):
            await connector.originate("alice", "09121234567", action_id="req-8")  # the PBX says no
        with pytest.raises(RejectedError):  # header injection never reaches the wire
            await connector.originate("101", "0912\r\nAction: Command", action_id="req-9")
        with pytest.raises(RejectedError):
            await connector.originate("101", "09121234567", variables={"X": "1\r\nAction: Command"}, action_id="req-10")
        assert server.count("originate") == 1 and server.count("command") == 0

    _run(check)


def test_spy_sends_chanspy_with_whisper_option() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        await connector.spy("200", "PJSIP/101", whisper=True, action_id="spy-1")
        sent = [a for a in server.actions if a.get("action") == "Originate"][0]
        assert sent["application"] == "ChanSpy" and sent["data"] == "PJSIP/101-,qEbw"

    _run(check)


@pytest.mark.parametrize("dialect", ["modern", "legacy"])
def test_run_command_reads_both_output_formats(dialect: str) -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        output = await connector.run_command("core show channels")
        assert output.lines == (
            "Channel              Location             State   Application(Data)",
            "",
            "0 active channels",
            "0 active calls",
        )

    _run(check, dialect=dialect)


def test_test_connection_reports_versions_and_refuses_bad_passwords() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        report = await connector.test_connection()
        assert (report.protocol_version, report.pbx_version) == ("5.0.4", "18.20.0")
        assert server.count("logoff") == 1
        bad = AmiConnector(_settings(server.port, "wrong"))
        with pytest.raises(AuthError):
            await bad.test_connection()

    _run(check)


def test_bad_frames_are_kept_and_reported_and_the_stream_goes_on() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        stream = connector.events()
        server.send_raw(b"this is not AMI\r\nat all\r\n\r\n")
        server.play("inbound_missed")
        events = await _until(stream, EventKind.HANGUP)
        assert events[-1].cause is HangupCause.NO_ANSWER
        assert [f.raw for f in connector.bad_frames] == [b"this is not AMI\r\nat all"]

    _run(check)


def test_password_never_appears_in_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors: list[str] = []

    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        server.drop_connections()
        await server.handled("login", 2)
        await _connected(connector)
        server.hold_originate = True
        pending = asyncio.ensure_future(connector.originate("101", "09121234567", action_id="req-1"))
        await server.handled("originate")
        server.drop_connections()
        try:
            await pending
        except OutcomeUnknownError as exc:
            errors.append(str(exc))
        bad = AmiConnector(_settings(server.port, CANARY + "-wrong"))
        try:
            await bad.run()
        except AuthError as exc:
            errors.append(str(exc))
        errors.append(repr(connector.settings))

    with caplog.at_level(logging.DEBUG):
        _run(check)
    assert len(errors) == 3
    assert CANARY not in caplog.text and all(CANARY not in e for e in errors)


def test_a_second_session_to_the_same_pbx_is_refused() -> None:
    async def check(server: AmiServer, connector: AmiConnector) -> None:
        await _started(connector)
        with pytest.raises(RuntimeError):
            await connector.run()
        assert server.connected_clients == 1

    _run(check)
