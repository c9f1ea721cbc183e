"""The adapter every PBX connector implements (CALL-06, CALL-21): events out, commands in.

Asterisk AMI is the first implementation (:mod:`connectors.pbx.ami`); TAPI,
CSTA or Avaya AES connectors plug in by implementing :class:`PbxConnector`.
SMDR and caller-ID boxes only report, so they implement :meth:`events` and
raise :class:`~connectors.errors.RejectedError` from the commands they cannot do.

The contract:
- ``run()`` keeps one session to the PBX until ``stop()`` (one per PBX, or
  events and activities double). It reconnects by itself and raises
  ``AuthError`` only when the PBX refuses the credentials.
- ``events()`` yields :class:`~domain.calls.events.CallEvent`s in PBX order;
  after a reconnect it also yields what the resync learnt (ended calls,
  waiting callers, extension states).
- Commands raise only errors from :mod:`connectors.errors`:
  ``NotSentError`` (link down, safe to retry), ``OutcomeUnknownError`` (sent,
  no answer: the phone may ring; never retry blindly), ``RejectedError``
  (the PBX refused: show ``.reason``), ``AuthError`` (no permission).
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar, Protocol

from connectors.errors import RejectedError
from domain.calls.events import CallEvent


class ConnectionState(enum.Enum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    BACKING_OFF = "backing_off"  # lost, waiting before the next attempt
    AUTH_FAILED = "auth_failed"  # stopped until an admin fixes the credentials


@dataclass(frozen=True)
class OriginateResult:
    """A click-to-call or spy call the PBX accepted.

    ``action_id`` is the caller's id for the request; ``channel`` and
    ``uniqueid`` name the first leg when the PBX reports them.
    """

    action_id: str
    channel: str = ""
    uniqueid: str = ""


@dataclass(frozen=True)
class ConnectionReport:
    """What "Test connection" shows: the PBX answered, logged us in, and how fast."""

    protocol_version: str
    pbx_version: str
    round_trip_ms: int


@dataclass(frozen=True)
class CommandOutput:
    """The text a CLI command printed, line by line."""

    command: str
    lines: tuple[str, ...] = field(default_factory=tuple)


class PbxConnector(Protocol):
    kind: ClassVar[str]
    system: str

    @property
    def state(self) -> ConnectionState: ...

    async def run(self) -> None: ...

    async def stop(self) -> None: ...

    def events(self) -> AsyncIterator[CallEvent]: ...

    async def originate(
        self,
        extension: str,
        number: str,
        *,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
        action_id: str,
    ) -> OriginateResult:
        """Ring ``extension`` first, then dial ``number`` (CALL-29). Never retried inside."""
        ...

    async def spy(
        self, supervisor_extension: str, target_channel: str, *, whisper: bool = False, action_id: str
    ) -> OriginateResult:
        """Ring the supervisor, then listen to (or whisper into) ``target_channel`` (CALL-31)."""
        ...

    async def answer(self, extension: str, *, channel: str | None = None, action_id: str) -> None:
        """Make the phone ringing at ``extension`` (device ``channel`` if given) pick up (CALL-06). Sent once."""
        ...

    async def test_connection(self) -> ConnectionReport: ...

    async def run_command(self, command: str) -> CommandOutput: ...


def utc_now() -> datetime:
    """The default clock of PBX links: an aware UTC now. Tests inject their own."""
    return datetime.now(UTC)


class ReportOnlyCommands:
    """The commands of a link that only reports calls (SMDR, caller-ID boxes): each is refused.

    Subclasses name the refusal in ``unsupported_message`` / ``unsupported_reason`` and carry ``system``.
    """

    system: str
    unsupported_message: ClassVar[str]
    unsupported_reason: ClassVar[str]

    async def originate(
        self,
        extension: str,
        number: str,
        *,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
        action_id: str,
    ) -> OriginateResult:
        raise self._cannot("originate", action_id)

    async def spy(
        self, supervisor_extension: str, target_channel: str, *, whisper: bool = False, action_id: str
    ) -> OriginateResult:
        raise self._cannot("spy", action_id)

    async def answer(self, extension: str, *, channel: str | None = None, action_id: str) -> None:
        raise self._cannot(
            "answer",
            action_id,
            reason=f"{self.unsupported_reason}: answering a ringing phone "
            "from the CRM needs a PBX link that can command phones (Asterisk AMI, SIP phones)",
        )

    async def run_command(self, command: str) -> CommandOutput:
        raise self._cannot("command", None)

    def _cannot(self, operation: str, key: str | None, *, reason: str | None = None) -> RejectedError:
        return RejectedError(
            self.unsupported_message,
            code="unsupported",
            reason=reason or self.unsupported_reason,
            system=self.system,
            operation=operation,
            key=key,
        )


async def call_hook(hook: Callable[..., Awaitable[None] | None] | None, *args: object) -> None:
    """Call an optional hook that may be a plain function or a coroutine function."""
    if hook is not None:
        result = hook(*args)
        if inspect.isawaitable(result):
            await result
