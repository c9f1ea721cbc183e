"""Dial, answer, listen and whisper from the console (CALL-06, CALL-09, CALL-31, CALL-33), with permission checks.

The console never speaks to a PBX itself: it calls a :class:`CommandPort`
the bridge supplies (click-to-call and ChanSpy originates live there).
:class:`CommandDesk` decides who may do what: anyone signed in dials from an
extension they answer that may originate and answers a call ringing at an
extension they answer; supervisors may dial from and answer at any extension
and listen to or whisper into a connected call.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from bridge.console.live import LiveView
from bridge.console.visibility import Viewer, own_extensions
from connectors.errors import (
    ConnectorError,
    NotSentError,
    OutcomeUnknownError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from domain.calls.record import CallStatus
from domain.calls.system_settings import TelephonySystemSettings
from domain.digits import digit_setting
from domain.numbers import digits_only


class CommandPort(Protocol):
    """What the bridge does for the console's buttons; errors come from ``connectors.errors``."""

    async def dial(self, system_key: str, extension: str, number: str) -> None:
        """Ring ``extension`` and, when it answers, call ``number`` (as clicked or typed)."""
        ...

    async def spy(self, system_key: str, supervisor_extension: str, target_channel: str, whisper: bool) -> None:
        """Ring ``supervisor_extension`` and, when it answers, listen to (or whisper into) ``target_channel``."""
        ...

    async def answer(self, system_key: str, extension: str, channel: str) -> None:
        """Make the phone ringing at ``extension`` pick up; ``channel`` is its CRM device (``PJSIP/101``) or "".

        Optional: a port without it leaves the Answer button hidden.
        """
        ...


class CommandRefusedError(Exception):
    """A command was not carried out; ``status`` is the HTTP status, ``message`` plain words for the user."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


class CommandDesk:
    """Checks a console user's command and hands it to the :class:`CommandPort`."""

    def __init__(self, port: CommandPort, live: LiveView, *, timeout_s: float = 15.0):
        self._port = port
        self._live = live
        self._timeout_s = timeout_s

    async def dial(self, viewer: Viewer, number: str, *, system_key: str = "", extension: str = "") -> str:
        """Place a call for ``viewer``; returns a confirmation. Raises :class:`CommandRefusedError`."""
        if not digits_only(number) or len(number) > 40:
            raise CommandRefusedError(400, "That is not a phone number.")
        system = self._system_for(viewer, system_key)
        own = own_extensions(system, viewer.user_id)
        extension = digit_setting(extension)
        if not extension:
            extension = min(own, key=lambda n: (len(n), n)) if own else ""
        if not extension:
            raise CommandRefusedError(403, f"You answer no extension on {system.name or system.key}.")
        if extension not in own and not viewer.is_supervisor:
            raise CommandRefusedError(403, "You may dial only from your own extension.")
        settings = system.extensions.get(extension)
        if settings is None:
            raise CommandRefusedError(404, f"Extension {extension} is not configured.")
        if not settings.can_originate:
            raise CommandRefusedError(403, f"Extension {extension} may not place calls from the CRM.")
        await self._run(self._port.dial(system.key, extension, number.strip()))
        return f"Extension {extension} will ring; answer it to call {number.strip()}."

    async def spy(self, viewer: Viewer, call_key: str, *, whisper: bool) -> str:
        """Listen to (or whisper into) a connected call; supervisors only (CALL-31)."""
        if not viewer.is_supervisor:
            raise CommandRefusedError(403, "Only supervisors may listen to or whisper into calls.")
        found = self._live.live_call(call_key)
        if found is None:
            raise CommandRefusedError(404, "That call is no longer live.")
        record, system = found
        if record.status is not CallStatus.TALKING or not record.extension:
            raise CommandRefusedError(409, "Only a connected call can be listened to.")
        mine = system.extension_of_user(viewer.user_id)
        if mine is None:
            raise CommandRefusedError(403, f"You answer no extension on {system.name or system.key}.")
        target = system.extensions.get(record.extension)
        if target is None or not target.channel:
            raise CommandRefusedError(409, f"Extension {record.extension} has no device channel configured.")
        # A trailing "-" keeps the prefix match from catching SIP/101 when spying on SIP/10 (telephony.md §2.7).
        channel = target.channel if target.channel.endswith("-") else f"{target.channel}-"
        await self._run(self._port.spy(system.key, mine.number, channel, whisper))
        action = "whisper into" if whisper else "listen to"
        return f"Extension {mine.number} will ring; answer it to {action} extension {record.extension}."

    @property
    def can_answer(self) -> bool:
        """Whether the bridge's port can answer ringing phones at all (CALL-06)."""
        return callable(getattr(self._port, "answer", None))

    async def answer(self, viewer: Viewer, call_key: str, *, extension: str = "") -> str:
        """Answer a call ringing at ``extension`` (default: the viewer's own ringing one) by click (CALL-06)."""
        if not self.can_answer:
            raise CommandRefusedError(404, "Answering from the console is not available on this bridge.")
        found = self._live.live_call(call_key)
        if found is None:
            raise CommandRefusedError(404, "That call is no longer live.")
        record, system = found
        if record.status not in (CallStatus.RINGING, CallStatus.QUEUED):
            raise CommandRefusedError(409, "That call is no longer ringing.")
        own = own_extensions(system, viewer.user_id)
        ringing = [e for e in record.ringing_extensions if e not in system.hidden_extensions]
        if not extension:
            mine = [e for e in ringing if e in own]
            extension = mine[0] if mine else (ringing[0] if viewer.is_supervisor and len(ringing) == 1 else "")
            if not extension:
                raise CommandRefusedError(403, "That call is not ringing at an extension you answer.")
        if extension not in own and not viewer.is_supervisor:
            raise CommandRefusedError(403, "You may answer only calls ringing at your own extension.")
        if extension not in ringing:
            raise CommandRefusedError(409, f"That call is not ringing at extension {extension} any more.")
        settings = system.extensions.get(extension)
        if settings is None:
            raise CommandRefusedError(404, f"Extension {extension} is not configured.")
        await self._run(self._port.answer(system.key, extension, settings.channel))
        return f"Extension {extension} is picking up; speak when you hear the caller."

    def _system_for(self, viewer: Viewer, system_key: str) -> TelephonySystemSettings:
        if system_key:
            system = self._live.system(system_key)
            if system is None:
                raise CommandRefusedError(404, "Unknown telephony system.")
            return system
        systems = self._live.systems()
        for system in systems:
            if own_extensions(system, viewer.user_id):
                return system
        if len(systems) == 1:
            return systems[0]
        raise CommandRefusedError(403, "You answer no extension on any telephony system.")

    async def _run(self, command) -> None:
        try:
            async with asyncio.timeout(self._timeout_s):
                await command
        except TimeoutError:
            raise CommandRefusedError(
                504, "The PBX did not confirm in time; check your phone before retrying."
            ) from None
        except RejectedError as exc:
            raise CommandRefusedError(422, f"The PBX refused: {exc}") from exc
        except OutcomeUnknownError as exc:
            raise CommandRefusedError(
                504, "The PBX may have placed the call; check your phone before retrying."
            ) from exc
        except (NotSentError, UnavailableError, RateLimitedError) as exc:
            raise CommandRefusedError(503, "The PBX is not reachable right now; try again shortly.") from exc
        except ConnectorError as exc:
            raise CommandRefusedError(502, f"The PBX link failed ({type(exc).__name__}).") from exc
