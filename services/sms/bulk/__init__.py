"""Bulk SMS sends to marketing lists and campaigns, resumable with no duplicate and no gap (SMS-08, -09, -10).

``BulkRunner(store, accounts, plan=..., clock=...)``: ``start(bulk_id)`` queues a
bulk (the send button), ``run(bulk_id, budget_s=...)`` sends its next steps,
``run_due(budget_s)`` continues every queued or running bulk (the timer).
"""

from services.sms.bulk.runner import BulkOptions, BulkRunner, RunReport
from services.sms.bulk.store import BulkStore

__all__ = [
    "BulkOptions",
    "BulkRunner",
    "BulkStore",
    "RunReport",
]
