"""The call logger: every call change that matters becomes one phone-call upsert in the outbox (CALL-01, -07, -08,
-14, -15, -18, -26).

A :class:`~bridge.calls.listeners.CallListener`. For a new call with a known number,
an answer, a transfer, the hang-up and later details, it matches the number in
the environment's local index, maps the call with :mod:`domain.calls.activity`
and queues one upsert per CRM environment the system feeds (CALL-26), keyed by
the system key and the PBX call id. The outbox folds newer versions of a call
still waiting to be sent, so a backlog costs one write per call, and a replay
updates the same activity instead of duplicating it.

A call under way is *held* in the outbox (issue 11 §4): its changes fold into
one row sent when the call ends, or ``hold_max_s`` after its first change if it
lasts longer, so an answered call costs one write, not three. A system whose
pop-ups or auto-opened form need the record at once (``early_write``) has the
new call's first write sent straight away; the rest of the call is held.

It never waits on the network nor on the disk: matching is a dictionary
lookup and the upsert is handed to the outbox's writer thread
(:meth:`~bridge.outbox.store.Outbox.submit`), which commits it durably in the order
the changes came; a write that fails there is logged and counted.
"""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from bridge.calls.sharing import ResponsibleSharing
from bridge.crm.settings_source import SettingsSource
from bridge.outbox.store import Outbox, OutboxItem
from connectors.crm.phone_call import phone_call_body, phone_call_key
from connectors.dataverse import AlternateKey, RecordId, deterministic_id
from dataverse_schema.names import PhoneCall
from domain.calls.activity import external_number, phone_call_activity, skip_reason
from domain.calls.events import CallEvent
from domain.calls.record import CallChange, CallRecord, CallStatus, CallUpdate
from domain.calls.system_settings import TelephonySystemSettings
from domain.calls.unclassified import UnclassifiedPolicy, unclassified_skip_reason
from domain.number_index import Match, RecordRef
from domain.numbers import PhoneNumber
from services.calls.telephony_settings import SystemOptions

log = logging.getLogger(__name__)

PHONECALLS = PhoneCall.SET
LOGGED_CHANGES = frozenset(
    {CallChange.NEW, CallChange.ANSWERED, CallChange.TRANSFERRED, CallChange.ENDED, CallChange.DETAILS}
)
REMEMBERED_CALLS = 20_000
#: The longest a call under way is kept out of Dataverse (seconds); a longer call is written then, and at its end.
DEFAULT_HOLD_MAX_S = 300.0


class NumberSource(Protocol):
    """One CRM's number index (see :class:`services.matching.sync.NumberSync`)."""

    is_ready: bool

    @property
    def entity_sets(self) -> dict[str, str]: ...

    def lookup(self, number: PhoneNumber | str, *, owner_id: str | None = None) -> Match: ...

    def name_of(self, ref: RecordRef) -> str | None: ...


@dataclass(frozen=True)
class CrmEnvironment:
    """What the call listeners know of one Dataverse environment: its settings and its numbers.

    Either may be ``None`` (not loaded / not configured): calls are still
    logged, with the bridge's own view of the system and no match.
    """

    name: str
    settings: SettingsSource | None = None
    numbers: NumberSource | None = None

    def system(self, fallback: TelephonySystemSettings) -> TelephonySystemSettings:
        """This CRM's settings of ``fallback.key`` (its user and row ids), else ``fallback``."""
        found = self.settings.settings_for(fallback.key) if self.settings else None
        return found or fallback

    def options(self, system_key: str) -> SystemOptions:
        return self.settings.options_for(system_key) if self.settings else SystemOptions()

    def match(self, record: CallRecord, system: TelephonySystemSettings) -> Match | None:
        """The index's answer for the call's number, preferring the extension user's records; ``None``
        when there is no number or no loaded index."""
        number = external_number(record, system)
        if number is None or self.numbers is None or not self.numbers.is_ready:
            return None
        return self.numbers.lookup(number, owner_id=system.user_of(record.extension))


def phone_call_id(record: CallRecord) -> str:
    """The activity id every upsert of ``record`` carries: the same on every host and replay, so a
    notification or a recording can link to the call before Dataverse answered."""
    return deterministic_id(PhoneCall.TABLE, record.system, record.call_id)


@dataclass
class LoggerStats:
    queued: int = 0
    skipped: int = 0
    failed: int = 0
    unclassified: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)


class CallLogger:
    """Queues phone-call upserts for every environment each system feeds.

    ``environments`` maps a system key to the names of the environments it
    feeds; ``crms`` maps an environment name to its :class:`CrmEnvironment`.
    ``logged_before_restart(system, call_id)`` names the calls the bridge's
    earlier life already wrote (restored from the open-call file), whose
    description is not written again. ``unclassified`` maps a system key to what
    to do with calls its channel rules could not classify (default: keep them out).
    ``early_write`` maps a system key to whether a new call is written at once (pop-ups and the
    auto-opened form need the record); otherwise a call's writes wait for its end, at most ``hold_max_s``.
    """

    def __init__(
        self,
        outbox: Outbox,
        environments: Mapping[str, Sequence[str]],
        crms: Mapping[str, CrmEnvironment],
        *,
        logged_before_restart: Callable[[str, str], bool] = lambda system, call_id: False,
        unclassified: Mapping[str, UnclassifiedPolicy] | None = None,
        early_write: Mapping[str, bool] | None = None,
        hold_max_s: float = DEFAULT_HOLD_MAX_S,
        sharing: ResponsibleSharing | None = None,
    ) -> None:
        if hold_max_s < 0:
            raise ValueError("hold_max_s must not be negative")
        unknown = {env for envs in environments.values() for env in envs} - set(crms)
        if unknown:
            raise ValueError(f"no CRM environment configured for {sorted(unknown)}")
        self.outbox = outbox
        self.environments = {key: tuple(envs) for key, envs in environments.items()}
        self.crms = dict(crms)
        self.stats = LoggerStats()
        self._described: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._logged_before_restart = logged_before_restart
        self._unclassified = dict(unclassified or {})
        self._early_write = dict(early_write or {})
        self.hold_max_s = hold_max_s
        self.sharing = sharing  # CALL-41: shares each matched call with the record's responsible persons
        #: Called after each queued phone call: ``hook(record, environment, activity id, subject, held=...)``
        #: (the click-to-call request row links to it, :mod:`bridge.click_to_call.links`).
        self.on_logged: list[Callable[..., None]] = []

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        if not self.matters(update):
            return
        if update.record.is_unclassified and CallChange.ENDED in update.changes:
            self.stats.unclassified += 1
        for environment in self.environments.get(update.record.system, ()):
            try:
                self.log_call(update.record, system, self.crms[environment], hold=self._holds(update))
            except (ValueError, TypeError) as exc:
                self.stats.failed += 1
                log.error(
                    "call %s could not be queued for %s: %s",
                    update.record.key,
                    environment,
                    exc,
                    extra={"environment": environment, "call": update.record.key},
                )

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """Extension states are not logged."""

    @staticmethod
    def matters(update: CallUpdate) -> bool:
        """A change the activity shows: a new call with a number, an answer, a transfer, the end, details."""
        changes = update.changes & LOGGED_CHANGES
        if changes == {CallChange.NEW} and not update.record.external_number:
            return False
        return bool(changes)

    def _holds(self, update: CallUpdate) -> bool:
        """Whether this change may wait in the outbox for the call's later ones."""
        if update.record.status is CallStatus.ENDED:
            return False
        return not (CallChange.NEW in update.changes and self._early_write.get(update.record.system, False))

    def log_call(
        self, record: CallRecord, system: TelephonySystemSettings, crm: CrmEnvironment, *, hold: bool = False
    ) -> bool:
        """Queue the activity of ``record`` for ``crm``; ``False`` when the call is never logged.

        ``hold``: the row may wait (``hold_max_s`` at most) for the call's next changes.
        """
        settings = crm.system(system)
        policy = self._unclassified.get(record.system, UnclassifiedPolicy.SKIP)
        reason = skip_reason(record, settings) or unclassified_skip_reason(record, policy)
        if reason is not None:
            self.stats.skipped += 1
            self.stats.skip_reasons[reason] = self.stats.skip_reasons.get(reason, 0) + 1
            log.debug("call %s not logged: %s", record.key, reason, extra={"environment": crm.name})
            return False
        numbers = crm.numbers
        activity = phone_call_activity(
            record,
            settings,
            crm.match(record, settings),
            name_of=numbers.name_of if numbers else lambda ref: None,
            language=settings.language,
        )
        body = phone_call_body(
            activity,
            entity_sets=numbers.entity_sets if numbers else None,
            include_description=self._describes(crm.name, record),
        )
        if PhoneCall.DESCRIPTION in body:
            self._remember_described(crm.name, record.key)
        body[PhoneCall.ACTIVITYID] = RecordId(phone_call_id(record)).value
        hold_until = self.outbox.clock() + self.hold_max_s if hold else 0.0
        written = self.outbox.submit(
            OutboxItem(crm.name, PHONECALLS, AlternateKey(phone_call_key(record)), body, hold_until=hold_until)
        )
        written.add_done_callback(functools.partial(self._check_written, crm.name, record.key))
        if self.sharing is not None:
            self.sharing.follow(written, crm, record, activity, body[PhoneCall.ACTIVITYID])
        self.stats.queued += 1
        subject = str(body.get(PhoneCall.SUBJECT) or "")
        for hook in self.on_logged:
            hook(record, crm.name, body[PhoneCall.ACTIVITYID], subject, held=hold)
        return True

    def _check_written(self, environment: str, call_key: str, written: Future[int]) -> None:
        """On the outbox's writer thread: a commit that failed is counted and logged, never silent."""
        error = written.exception()
        if error is not None:
            self.stats.failed += 1
            log.error(
                "call %s could not be stored for %s: %s",
                call_key,
                environment,
                error,
                extra={"environment": environment, "call": call_key},
            )

    def _describes(self, environment: str, record: CallRecord) -> bool:
        """The first write of a call carries the description; a call the bridge's earlier life logged has had
        its first write, and agents may have written notes on it since (CALL-18)."""
        if (environment, record.key) in self._described:
            return False
        return not self._logged_before_restart(record.system, record.call_id)

    def _remember_described(self, environment: str, call_key: str) -> None:
        """The description (other matches) is written once per call, so agents' notes are not overwritten."""
        self._described[(environment, call_key)] = None
        if len(self._described) > REMEMBERED_CALLS:
            self._described.popitem(last=False)
