"""The Dataverse writes one inbound text makes, in change-set order, and their one change set (SMS-02, -16, -24)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectors.dataverse import DataverseClient
from dataverse_schema.names import SmsOptOut

#: Opt-out columns a keyword writes that an environment whose solution predates them lacks (X-01).
OPTIONAL_OPT_OUT = (SmsOptOut.NORMALISEDNUMBER,)


@dataclass(frozen=True)
class Write:
    """One PATCH of the change set: entity set, key segment, body."""

    entity_set: str
    key: str
    body: Mapping[str, Any]


@dataclass
class PlannedWrites:
    """The writes for one message and the notes (plain words) written on its activity.

    ``before`` holds records the activity points at (a lead it is regarding),
    written ahead of it; ``regarding`` (table, entity set, id) overrides the
    matched record as the activity's *Regarding*. ``starts_flow``: the
    activity owes its rule's flow (*Flow Due On* is set; SMS-16). ``sends_email``: the id of the
    answer e-mail written as a draft, sent once the change set is committed (SMS-07).
    """

    activity_id: str
    writes: list[Write] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    before: list[Write] = field(default_factory=list)
    regarding: tuple[str, str, str] | None = None
    starts_flow: bool = False
    sends_email: str | None = None


def commit(client: DataverseClient, writes: Sequence[Write]) -> None:
    """``writes`` in one change set: all stored or none. Where the environment lacks an opt-out column of
    :data:`OPTIONAL_OPT_OUT` (a host updated before the solution), the row is written without it, said once."""
    client.optional_columns.run(
        SmsOptOut.TABLE,
        OPTIONAL_OPT_OUT,
        lambda present: _send(client, writes, set(OPTIONAL_OPT_OUT) - set(present)),
        consequence="keyword opt-outs are stored without their Normalised Number (single sends match them as typed)",
    )


def _send(client: DataverseClient, writes: Sequence[Write], lacking: set[str]) -> None:
    batch = client.batch()
    with batch.changeset() as changeset:
        for write in writes:
            body = dict(write.body)
            if write.entity_set == SmsOptOut.SET:
                body = {column: value for column, value in body.items() if column not in lacking}
            changeset.add("PATCH", f"{write.entity_set}{write.key}", body)
    for result in client.execute(batch):
        result.raise_for_status("inbound_commit")
