"""One bulk run's working state, and how a run stops before the bulk is done (SMS-08, -10, -22).

A :class:`BulkRun` is built when a run starts (:mod:`services.sms.bulk.preparation`)
and updated step by step: the counters, the rows finished, the numbers already
texted and the attempts made so far per row; it also holds what its template
reads (:class:`~domain.sms.bulk_related.TemplatePaths`). :class:`StopRun` ends a run early
with the reason and the state the bulk is left in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connectors.errors import ConnectorError
from domain.sms.bulk import Audience, BulkContent, BulkCounters, Member
from domain.sms.bulk_related import TemplatePaths
from services.sms import tables
from services.sms.bulk.store import BulkRecord
from services.sms.directory import ProviderAccount


class StopRun(Exception):
    """The run ends here: ``reason`` is written on the bulk, which is left in ``state``."""

    def __init__(self, reason: str, state: str = "Running"):
        super().__init__(reason)
        self.reason, self.state = reason, state


@dataclass
class BulkRun:
    """What one run of a bulk knows and has done so far."""

    bulk: BulkRecord
    account: ProviderAccount
    content: BulkContent
    audience: Audience
    sender: str | None
    counters: BulkCounters
    finished: set[str]
    numbers: set[str]
    members: list[Member] = field(default_factory=list)
    attempts: dict[str, int] = field(default_factory=dict)
    steps: int = 0
    paths: TemplatePaths = field(default_factory=TemplatePaths)

    def row_body(
        self,
        member: Member,
        to: str,
        text: str,
        segments: int,
        status: str,
        attempts: int,
        error: str | None = None,
    ) -> dict[str, Any]:
        """The SMS row this bulk writes for ``member``."""
        return tables.bulk_row_body(
            bulk_id=self.bulk.bulk_id,
            bulk_name=self.bulk.name,
            table=member.table,
            record_id=member.record_id,
            to=to,
            text=text or "-",
            segments=segments,
            status=status,
            attempts=attempts,
            sender=self.sender,
            account_id=self.account.record_id,
            regarding_member=self.bulk.regarding_member,
            error=error,
            owner=self.bulk.owner,
        )


def plain_reason(exc: ConnectorError) -> str:
    """The connector error's reason in words, or its class name when it gave none."""
    return getattr(exc, "reason", None) or type(exc).__name__
