"""Who sees which call and which extension on the console (CALL-34, CALL-30).

The call rule is the one every place uses, :func:`domain.calls.visibility.may_see`;
this module fits it to the console's signed-in :class:`Viewer`, whose own
extensions the console caches per system, and adds the extension-state rule:
under EVERYONE every extension's state is shown, otherwise a user sees only their
own extensions'. Supervisors see everything (they listen and whisper, CALL-31).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.calls.record import CallRecord
from domain.calls.system_settings import CallVisibility, TelephonySystemSettings
from domain.calls.visibility import CallAudience, may_see


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
    audience = CallAudience(
        frozenset({viewer.user_id.lower()}) if extensions_on(record) & own else frozenset(),
        owner_id.lower() if owner_id else None,
        responsible,
    )
    return may_see(viewer.user_id, audience, system.visibility, is_supervisor=viewer.is_supervisor)


def can_see_extension(viewer: Viewer, system: TelephonySystemSettings, extension: str, own: frozenset[str]) -> bool:
    """Whether ``viewer`` may see ``extension``'s live state (CALL-30); ``own`` as in :func:`can_see_call`."""
    if viewer.is_supervisor or system.visibility is CallVisibility.EVERYONE:
        return True
    return extension in own
