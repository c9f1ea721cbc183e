"""Click-to-call queue messages (CALL-29): any body gives a request id or the ``ValueError`` that dead-letters it,
so a hostile message never stops the batch behind it."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.click_to_call.queue import drain_once, request_id_from_message

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GOOD = b'{"PrimaryEntityName": "comms_clicktocall", "PrimaryEntityId": "3f2504e0-4f89-11d3-9a0c-0305e82c3301"}'
HOSTILE = [b'{"a":' * 3000 + b"1" + b"}" * 3000, b"{" + b"[" * 5000, b"{\xff}", b"{}", b"[]", b"\x00", b""]


@FAST
@given(body=st.one_of(st.binary(max_size=200), st.sampled_from(HOSTILE)))
def test_any_message_body_is_a_request_id_or_a_value_error(body: bytes) -> None:
    with contextlib.suppress(ValueError):
        assert len(request_id_from_message(body)) == 36


class FakeReceiver:
    def __init__(self, bodies: list[bytes]) -> None:
        self.messages = [type("M", (), {"body": body})() for body in bodies]
        self.settled: list[tuple[str, Any]] = []

    async def receive(self) -> list[Any]:
        return self.messages

    async def complete(self, message: Any) -> None:
        self.settled.append(("complete", message.body))

    async def abandon(self, message: Any) -> None:
        self.settled.append(("abandon", message.body))

    async def dead_letter(self, message: Any, reason: str) -> None:
        self.settled.append(("dead_letter", message.body))


@pytest.mark.parametrize("hostile", HOSTILE)
def test_a_hostile_message_is_dead_lettered_and_the_next_one_handled(hostile: bytes) -> None:
    receiver, handled = FakeReceiver([hostile, GOOD]), []

    async def handle(request_id: str) -> bool:
        handled.append(request_id)
        return True

    asyncio.run(drain_once(receiver, handle))
    assert [kind for kind, _ in receiver.settled] == ["dead_letter", "complete"]
    assert handled == ["3f2504e0-4f89-11d3-9a0c-0305e82c3301"]
