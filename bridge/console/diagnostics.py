"""Diagnostics from the console's admin pages (CALL-39): test a system's connections, a read-only AMI console,
a test click-to-call and the raw PBX output, each refused unless the user may, and each written to the audit log.

Who may do what (``[console] administrators`` and ``supervisors``, Dynamics user ids):

=====================  ==================  ===========
diagnostic             administrators      supervisors
=====================  ==================  ===========
connection test        yes                 yes
raw PBX output         yes                 yes
test click-to-call     yes                 yes
AMI console            yes                 no
=====================  ==================  ===========

The AMI console sends only actions from :data:`AMI_ACTIONS` (read-only ones: no Originate, Redirect, Hangup,
Setvar, UpdateConfig, ...), each with only the fields listed for it, and ``Command`` only with a CLI command
starting with one of :data:`CLI_COMMANDS` (``show`` commands; never ``pjsip show auths``, which prints
passwords). A value with a control character (a CR or LF would inject AMI headers or a whole action) or longer
than :data:`MAX_VALUE_CHARS` is refused before anything is sent. Replies and raw frames pass through
:func:`scrub`, which masks secret-looking values. The bridge implements :class:`DiagnosticsPort`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bridge.console.commands import CommandDesk, CommandRefusedError
from bridge.console.visibility import Viewer
from bridge.runtime.check_result import CheckResult
from connectors.errors import ConnectorError, NotSentError, OutcomeUnknownError, RejectedError

#: Every admin action goes to this logger at INFO: who, what, on which system, and the outcome.
audit = logging.getLogger("bridge.console.audit")

#: Read-only AMI actions the console may send, with the fields each may carry besides ``Action``.
AMI_ACTIONS: Mapping[str, frozenset[str]] = {
    "Ping": frozenset(),
    "CoreSettings": frozenset(),
    "CoreStatus": frozenset(),
    "CoreShowChannels": frozenset(),
    "Status": frozenset({"Channel"}),
    "QueueStatus": frozenset({"Queue", "Member"}),
    "QueueSummary": frozenset({"Queue"}),
    "PJSIPShowEndpoints": frozenset(),
    "PJSIPShowEndpoint": frozenset({"Endpoint"}),
    "PJSIPShowContacts": frozenset(),
    "SIPpeers": frozenset(),
    "SIPshowpeer": frozenset({"Peer"}),
    "IAXpeers": frozenset(),
    "ExtensionStateList": frozenset(),
    "DeviceStateList": frozenset(),
    "ListCommands": frozenset(),
    "Command": frozenset({"Command"}),
}
#: CLI commands ``Command`` may run: the command must be one of these or start with one plus a space.
CLI_COMMANDS: tuple[str, ...] = (
    "core show channels",
    "core show calls",
    "core show version",
    "core show uptime",
    "core show settings",
    "pjsip show endpoints",
    "pjsip show endpoint",
    "pjsip show contacts",
    "pjsip show registrations",
    "sip show peers",
    "sip show registry",
    "iax2 show peers",
    "iax2 show registry",
    "dahdi show channels",
    "queue show",
    "manager show connected",
    "module show like",
)
MAX_VALUE_CHARS = 200
MAX_FIELDS = 4
MAX_RAW_LINES = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CLI = re.compile(r"[a-z0-9 _./@*\-]+")
#: A header or ``name = value`` / ``name: value`` text whose name says it holds a secret.
_SECRET_NAME = re.compile(r"secret|passw|password|md5|auth|token|key", re.IGNORECASE)
_SECRET_TEXT = re.compile(
    r"(?P<name>\b[\w-]*(?:secret|passw(?:or)?d?|md5_cred|auth_?key|token)[\w-]*\s*[:=]\s*)(?P<value>\S+)",
    re.IGNORECASE,
)
MASK = "***"


class DiagnosticsPort(Protocol):
    """What the bridge does for the diagnostics; PBX errors come from ``connectors.errors``."""

    def system_keys(self) -> Sequence[str]:
        """The telephony systems configured in the bridge's file."""
        ...

    async def check(self, system_key: str) -> list[CheckResult]:
        """The ``bridge check`` steps of one system (PBX link, recordings store)."""
        ...

    async def ami_action(self, system_key: str, fields: Mapping[str, str]) -> list[list[tuple[str, str]]]:
        """Send one vetted AMI action on the system's live link; each reply message as header pairs."""
        ...

    def raw(self, system_key: str, limit: int) -> list[dict[str, Any]]:
        """The system's last raw frames, oldest first: ``{"at", "source", "text"}`` (journal or AMI events)."""
        ...


@dataclass(frozen=True)
class AmiRequest:
    """A vetted AMI action: its name and fields, safe to send."""

    action: str
    fields: Mapping[str, str]


def vet_ami_action(body: Mapping[str, Any]) -> AmiRequest:
    """The AMI action ``body`` asks for, or :class:`CommandRefusedError` (400 malformed, 403 not allowed)."""
    if not isinstance(body, Mapping) or len(body) > MAX_FIELDS + 1:
        raise CommandRefusedError(400, f"send {{action, ...}} with at most {MAX_FIELDS} fields")
    for name, value in body.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise CommandRefusedError(400, "every field must be text")
        if len(name) > 64 or len(value) > MAX_VALUE_CHARS:
            raise CommandRefusedError(400, f"a field is longer than {MAX_VALUE_CHARS} characters")
        if _CONTROL.search(name) or _CONTROL.search(value):
            raise CommandRefusedError(400, f"{name[:64]!r} contains a line break or control character")
    wanted = str(body.get("action", "")).strip()
    action = next((a for a in AMI_ACTIONS if a.lower() == wanted.lower()), None)
    if action is None:
        raise CommandRefusedError(403, f"the console does not send {wanted[:64]!r}; allowed: {', '.join(AMI_ACTIONS)}")
    allowed = {f.lower(): f for f in AMI_ACTIONS[action]}
    fields = {"Action": action}
    for name, value in body.items():
        if name.lower() == "action":
            continue
        if name.lower() not in allowed:
            raise CommandRefusedError(400, f"{action} takes no field {name!r}")
        fields[allowed[name.lower()]] = value.strip()
    if action == "Command":
        fields["Command"] = _vet_cli(fields.get("Command", ""))
    return AmiRequest(action, fields)


def _vet_cli(command: str) -> str:
    text = " ".join(command.lower().split())
    if not _CLI.fullmatch(text) or not any(text == c or text.startswith(f"{c} ") for c in CLI_COMMANDS):
        raise CommandRefusedError(403, f"the console runs only these CLI commands: {', '.join(CLI_COMMANDS)}")
    return text


def scrub(text: str) -> str:
    """``text`` with every secret-looking ``name: value`` / ``name = value`` value masked."""
    return _SECRET_TEXT.sub(lambda m: f"{m.group('name')}{MASK}", text)


def scrub_headers(headers: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """AMI header pairs with values of secret-named headers masked and every value scrubbed."""
    return [(name, MASK if _SECRET_NAME.search(name) else scrub(value)) for name, value in headers]


class DiagnosticsDesk:
    """Checks who asks, runs the diagnostic through the :class:`DiagnosticsPort` and audits it."""

    def __init__(self, port: DiagnosticsPort, commands: CommandDesk | None):
        self._port = port
        self._commands = commands

    def systems(self, viewer: Viewer) -> dict[str, Any]:
        """The systems to pick from, the AMI allow-list, and whether ``viewer`` may use the AMI console."""
        self._require(viewer, admin_only=False, what="use the diagnostics")
        return {
            "keys": list(self._port.system_keys()),
            "ami_actions": list(AMI_ACTIONS),
            "cli_commands": list(CLI_COMMANDS),
            "may_use_ami": viewer.is_admin,
        }

    async def check(self, viewer: Viewer, system_key: str) -> list[dict[str, Any]]:
        """The connection tests of ``system_key``, one ``{name, ok, warning, detail}`` per line."""
        self._require(viewer, admin_only=False, what="test connections")
        self._known(system_key)
        results = await self._port.check(system_key)
        failed = sum(1 for r in results if not r.ok)
        self._audit(viewer, "check", system_key, f"{len(results)} checks, {failed} failed")
        return [
            {"name": r.name, "ok": r.ok, "warning": r.warning, "configured": r.is_configured, "line": scrub(r.line())}
            for r in results
        ]

    async def ami(self, viewer: Viewer, system_key: str, body: Mapping[str, Any]) -> list[list[tuple[str, str]]]:
        """Send one allow-listed AMI action (administrators only); the reply with secrets masked."""
        self._require(viewer, admin_only=True, what="use the AMI console")
        self._known(system_key)
        try:
            request = vet_ami_action(body)
        except CommandRefusedError as exc:
            self._audit(viewer, "ami refused", system_key, exc.message)
            raise
        what = request.fields.get("Command", request.action)
        try:
            reply = await self._port.ami_action(system_key, request.fields)
        except RejectedError as exc:
            self._audit(viewer, f"ami {what}", system_key, "refused by the PBX")
            raise CommandRefusedError(422, f"The PBX refused: {exc}") from exc
        except (NotSentError, OutcomeUnknownError) as exc:
            self._audit(viewer, f"ami {what}", system_key, type(exc).__name__)
            raise CommandRefusedError(503, "The AMI link is down or did not answer in time.") from exc
        except ConnectorError as exc:
            self._audit(viewer, f"ami {what}", system_key, type(exc).__name__)
            raise CommandRefusedError(502, f"The AMI link failed ({type(exc).__name__}).") from exc
        self._audit(viewer, f"ami {what}", system_key, f"{len(reply)} messages")
        return [scrub_headers(message) for message in reply]

    async def test_call(self, viewer: Viewer, system_key: str, number: str, extension: str) -> str:
        """A click-to-call through the same path as the dialer; administrators may pick any extension."""
        self._require(viewer, admin_only=False, what="place a test call")
        self._known(system_key)
        if self._commands is None:
            raise CommandRefusedError(404, "calling from the console is not configured on this bridge")
        as_admin = Viewer(viewer.user_id, viewer.name, is_supervisor=True, is_admin=viewer.is_admin)
        try:
            message = await self._commands.dial(as_admin, number, system_key=system_key, extension=extension)
        except CommandRefusedError as exc:
            self._audit(viewer, "test call", system_key, f"refused ({exc.status})")
            raise
        self._audit(viewer, "test call", system_key, f"placed from {extension or 'own extension'}")
        return message

    def raw(self, viewer: Viewer, system_key: str, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` raw frames of ``system_key`` (journal or AMI), secrets masked."""
        self._require(viewer, admin_only=False, what="read the raw PBX output")
        self._known(system_key)
        frames = self._port.raw(system_key, max(1, min(limit, MAX_RAW_LINES)))
        self._audit(viewer, "raw", system_key, f"{len(frames)} frames")
        return [{**frame, "text": scrub(str(frame.get("text", "")))} for frame in frames]

    def _require(self, viewer: Viewer, *, admin_only: bool, what: str) -> None:
        if viewer.is_admin or (viewer.is_supervisor and not admin_only):
            return
        self._audit(viewer, "refused", "", f"may not {what}")
        who = "administrators" if admin_only else "administrators and supervisors"
        raise CommandRefusedError(403, f"Only console {who} may {what}.")

    def _known(self, system_key: str) -> None:
        if system_key not in self._port.system_keys():
            raise CommandRefusedError(404, "Unknown telephony system.")

    @staticmethod
    def _audit(viewer: Viewer, action: str, system_key: str, outcome: str) -> None:
        audit.info(
            "console admin %s on %s by %s: %s",
            action,
            system_key or "-",
            viewer.user_id,
            outcome,
            extra={"user": viewer.user_id, "action": action, "system": system_key, "outcome": outcome},
        )
