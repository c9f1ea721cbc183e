"""Who sees which call and which extension on the console (CALL-34).

Interim home of the rule: H2 is writing the shared pure rule in
``domain/calls/visibility.py``; once it lands this module should delegate to
it. The rule, per telephony system (``TelephonySystemSettings.visibility``):

- EVERYONE: every signed-in user sees every call and extension;
- OWN_EXTENSION: a user sees calls on an extension they answer (the answering,
  ringing or transferred-to extension) and only their own extensions' states;
- RECORD_OWNER: as OWN_EXTENSION, plus calls whose matched CRM record they own, and calls the bridge
  shared with them as a responsible person of that record (CALL-41, :mod:`bridge.calls.sharing`).

Supervisors see everything (they listen and whisper, CALL-31).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.calls.record import CallRecord
from domain.calls.system_settings import CallVisibility, TelephonySystemSettings


@dataclass(frozen=True)
class Viewer:
    """A signed-in console user."""

    user_id: str
    name: str = ""
    is_supervisor: bool = False
    is_admin: bool = False  # may use the admin diagnostics (CALL-39)


def own_extensions(system: TelephonySystemSettings, user_id: str) -> frozenset[str]:
    """The extensions of ``system`` the CRM says ``user_id`` answers."""
    return frozenset(number for number, ext in system.extensions.items() if (ext.user_id or "").lower() == user_id)


def extensions_on(record: CallRecord) -> frozenset[str]:
    """Every extension a call touches: the one on it, those ringing and those it was transferred to."""
    found = set(record.ringing_extensions) | set(record.transferred_to)
    if record.extension:
        found.add(record.extension)
    return frozenset(found)


def can_see_call(
    viewer: Viewer,
    record: CallRecord,
    system: TelephonySystemSettings,
    owner_id: str | None,
    own: frozenset[str],
    responsible: frozenset[str] = frozenset(),
) -> bool:
    """Whether ``viewer`` may see ``record``.

    ``owner_id`` is the owner of the matched CRM record; ``own`` is
    :func:`own_extensions` for this viewer and system (callers cache it);
    ``responsible`` the users (lower-case ids) the call was shared with (CALL-41).
    """
    if viewer.is_supervisor or system.visibility is CallVisibility.EVERYONE:
        return True
    if extensions_on(record) & own:
        return True
    if system.visibility is not CallVisibility.RECORD_OWNER:
        return False
    return (owner_id is not None and owner_id.lower() == viewer.user_id) or viewer.user_id in responsible


def can_see_extension(viewer: Viewer, system: TelephonySystemSettings, extension: str, own: frozenset[str]) -> bool:
    """Whether ``viewer`` may see ``extension``'s live state (CALL-30); ``own`` as in :func:`can_see_call`."""
    if viewer.is_supervisor or system.visibility is CallVisibility.EVERYONE:
        return True
    return extension in own
