"""A telephony system's settings as the CRM holds them (CALL-12, -13, -23, -24, -27, -28, -34, -35).

The bridge's local file names only the device; everything an admin changes
(numbering, hidden extensions, who answers which extension, lines, visibility,
auto-registration, where recordings live) is read from the telephony-system,
line and extension rows and refreshed periodically. These value types are what
the rest of the bridge reads; they carry no I/O.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.numbers import NumberPlan


class CallVisibility(enum.Enum):
    """Who is shown a call (CALL-34); values follow the CRM choice order."""

    EVERYONE = 0
    OWN_EXTENSION = 1
    RECORD_OWNER = 2


class RecordingSource(enum.Enum):
    """Where a system's recordings are fetched from (CALL-28); CRM choice order."""

    NONE = 0
    SFTP = 1
    LOCAL_FOLDER = 2


@dataclass(frozen=True)
class ExtensionSettings:
    """One extension row: its number, the user who answers it, the device click-to-call rings.

    ``name`` is the row's display name (usually the user's name, or a desk such as "Sales"):
    the caller-ID name a click-to-call shows (CALL-29).
    """

    number: str
    record_id: str | None = None
    user_id: str | None = None
    channel: str = ""
    can_originate: bool = True
    name: str = ""


@dataclass(frozen=True)
class LineSettings:
    """One line / trunk / DID row (CALL-12, CALL-24)."""

    line_id: str
    record_id: str | None = None
    number: str = ""
    is_default: bool = False
    dial_prefix: str = ""


@dataclass(frozen=True)
class RecordingSettings:
    """Where to look for a call's recording and whether to attach the file (CALL-28).

    ``path`` is the folder pattern with ``YYYY``/``MM``/``DD`` placeholders.
    """

    source: RecordingSource = RecordingSource.NONE
    host: str = ""
    port: int = 22
    path: str = ""
    attach: bool = True


def _empty() -> Mapping:
    return MappingProxyType({})


@dataclass(frozen=True)
class TelephonySystemSettings:
    """Everything the bridge needs to know about one system, keyed by ``key``.

    ``record_id`` is the telephony-system row's id (``None`` until the CRM row
    exists); ``extensions`` and ``lines`` are keyed by extension number and PBX
    line id. ``originate_context`` is the dialplan context calls are placed in
    (CALL-40); empty leaves it to the bridge's file, else ``from-internal``.
    ``language`` is the row's *Subject Language*, ``"en"`` or ``"fa"``: the
    language of what is written for the system's calls: their subjects,
    missed-call and waiting-caller notices and recording notes (X-05).
    """

    key: str
    name: str = ""
    record_id: str | None = None
    plan: NumberPlan = field(default_factory=NumberPlan)
    hidden_extensions: frozenset[str] = frozenset()
    auto_register_lines: bool = True
    auto_register_extensions: bool = True
    visibility: CallVisibility = CallVisibility.EVERYONE
    ivr_variable: str = ""
    originate_context: str = ""
    language: str = "en"
    recording: RecordingSettings = field(default_factory=RecordingSettings)
    extensions: Mapping[str, ExtensionSettings] = field(default_factory=_empty)
    lines: Mapping[str, LineSettings] = field(default_factory=_empty)

    def user_of(self, extension: str | None) -> str | None:
        """The user who answers ``extension``, if the CRM says so."""
        found = self.extensions.get(extension or "")
        return found.user_id if found else None

    def extension_of_user(self, user_id: str) -> ExtensionSettings | None:
        """The first extension answered by ``user_id`` (click-to-call's default, CALL-29)."""
        for ext in self.extensions.values():
            if ext.user_id == user_id:
                return ext
        return None

    def default_line(self) -> LineSettings | None:
        """The line marked default for outbound calls (CALL-24)."""
        for line in self.lines.values():
            if line.is_default:
                return line
        return None
