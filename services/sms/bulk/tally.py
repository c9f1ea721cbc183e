"""The bulk record's Sent, Delivered and Failed counters, recounted from its SMS rows (SMS-08, SMS-20).

Delivery reports move bulk messages to *Delivered* or *Failed* long after the
run that sent them. Whenever reports with a final status are applied, the
bulks of those messages are recounted: three ``$count`` reads of the bulk's
SMS rows (delivered, still sent, failed) and one update of the bulk record.
A recount, never an increment, so a report applied twice, late or out of
order cannot count a message twice, and a recount lost to a Dataverse
failure is repaired by the next one. Sent and Failed follow the run's own
rule (``BulkStore.existing_rows``): a message the operator later reports
failed moves from Sent to Failed, and Delivered counts messages within Sent.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from connectors.dataverse import DataverseClient, odata
from dataverse_schema.names import Sms, SmsBulk
from services.sms import tables
from services.sms.bulk.store import chunked

#: SMS ids per read of their bulks: about 4 KB of filter, well inside a URL.
IDS_PER_READ = 100
_FAILED = (tables.STATUS["Failed"], tables.STATUS["Outcome unknown"])


@dataclass(frozen=True)
class BulkOutcomes:
    """A bulk's outcome counters as its SMS rows stand now."""

    sent: int
    delivered: int
    failed: int

    def body(self) -> dict[str, int]:
        return {SmsBulk.SENTCOUNT: self.sent, SmsBulk.DELIVEREDCOUNT: self.delivered, SmsBulk.FAILEDCOUNT: self.failed}


class BulkTally:
    """Recounts bulk records' outcome counters; built once per worker with the Dataverse client."""

    def __init__(self, client: DataverseClient) -> None:
        self._client = client

    def recount_for(self, sms_ids: Iterable[str]) -> int:
        """Recount every bulk one of ``sms_ids`` belongs to (the delivery tracker's hook); returns how many."""
        bulk_ids = self.bulks_of(sms_ids)
        for bulk_id in sorted(bulk_ids):
            self.recount(bulk_id)
        return len(bulk_ids)

    def bulks_of(self, sms_ids: Iterable[str]) -> set[str]:
        """The bulks that any of ``sms_ids`` was sent by; single messages have none."""
        wanted = sorted({str(i).lower() for i in sms_ids})
        found: set[str] = set()
        for chunk in chunked(wanted, IDS_PER_READ):
            where = odata.and_(odata.in_(Sms.ID, [uuid.UUID(i) for i in chunk]), odata.ne(Sms.SMSBULKID_VALUE, None))
            found.update(
                str(r[Sms.SMSBULKID_VALUE]).lower()
                for r in self._client.query(Sms.SET, select=[Sms.SMSBULKID_VALUE], filter=where)
            )
        return found

    def recount(self, bulk_id: str) -> BulkOutcomes:
        """Count the bulk's SMS rows by outcome and write the three counters in one update."""
        outcomes = BulkOutcomes(
            sent=self._count(bulk_id, tables.SENT_STATUSES),
            delivered=self._count(bulk_id, (tables.STATUS["Delivered"],)),
            failed=self._count(bulk_id, _FAILED),
        )
        self._client.update(SmsBulk.SET, bulk_id, outcomes.body())
        return outcomes

    def _count(self, bulk_id: str, statuses: Iterable[int]) -> int:
        return self._client.count(
            Sms.SET,
            odata.and_(odata.eq(Sms.SMSBULKID_VALUE, uuid.UUID(bulk_id)), odata.in_(Sms.SMSSTATUS, sorted(statuses))),
        )
