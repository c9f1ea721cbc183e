"""Who may see a call (CALL-34): everyone, the extension's user, or the matched record's owner.

One rule for every place a call is shown or announced: the console's live and
recent calls (CALL-09), pop-ups (CALL-03, -05) and the missed-call notification.
The telephony system's ``visibility`` setting chooses the rule; a supervisor
(a console role, not a CRM privilege) sees every call whatever the rule.
Pure: ids in, a yes / no out.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from domain.calls.record import CallRecord
from domain.calls.system_settings import CallVisibility, TelephonySystemSettings


@dataclass(frozen=True)
class CallAudience:
    """The users a call concerns: those answering its extensions, the matched record's owner and its
    responsible persons.

    ``extension_users`` are the users of the extension that answered, placed
    or first rang, of the extensions ringing now and of those the call was
    transferred to; ``record_owner`` owns the record the caller matched;
    ``responsible`` are the users (lower-case ids) the call was shared with as
    that record's responsible persons (CALL-41).
    """

    extension_users: frozenset[str] = frozenset()
    record_owner: str | None = None
    responsible: frozenset[str] = frozenset()


def audience_of(record: CallRecord, system: TelephonySystemSettings, record_owner: str | None) -> CallAudience:
    """The :class:`CallAudience` of ``record`` under ``system``'s extension ↔ user rows."""
    extensions = {record.extension, *record.ringing_extensions, *record.transferred_to}
    users = {system.user_of(ext) for ext in extensions if ext}
    return CallAudience(frozenset(u.lower() for u in users if u), record_owner.lower() if record_owner else None)


def may_see(
    viewer_id: str | None, audience: CallAudience, visibility: CallVisibility, *, is_supervisor: bool = False
) -> bool:
    """Whether ``viewer_id`` (a systemuser id) may see the call (CALL-34).

    EVERYONE: any signed-in user. OWN_EXTENSION: a user of one of the call's
    extensions. RECORD_OWNER: the matched record's owner, and the extension's
    user too, so the agent who answered still sees their own call, and the
    record's responsible persons; a call that matched nobody falls back to
    the extension rule. An unknown viewer
    (``None``) sees nothing unless the rule is EVERYONE.
    """
    if visibility is CallVisibility.EVERYONE:
        return True
    if not viewer_id:
        return False
    if is_supervisor:
        return True
    viewer = viewer_id.lower()
    if viewer in audience.extension_users:
        return True
    if visibility is not CallVisibility.RECORD_OWNER:
        return False
    return viewer == audience.record_owner or viewer in audience.responsible


def recipients(audience: CallAudience, visibility: CallVisibility, candidates: Collection[str]) -> list[str]:
    """The ``candidates`` (systemuser ids) allowed to see the call, in the order given, without repeats."""
    chosen: list[str] = []
    for user in candidates:
        if user and user.lower() not in chosen and may_see(user, audience, visibility):
            chosen.append(user.lower())
    return chosen
