"""Bulk SMS sends to marketing lists and campaigns, resumable with no duplicate and no gap (SMS-08, -09, -10).

``BulkRunner(store, accounts, plan=..., clock=...)``: ``start(bulk_id)`` queues a
bulk (the send button), ``run(bulk_id, budget_s=...)`` sends its next steps,
``run_due(budget_s)`` continues every queued or running bulk (the timer).
"""

from functions.sms_bulk.accounts import (
    AccountDirectory,
    CrmAccountDirectory,
    ProviderAccount,
    RegistryAccountDirectory,
    StaticAccountDirectory,
)
from functions.sms_bulk.runner import BulkOptions, BulkRunner, RunReport
from functions.sms_bulk.store import BulkStore

__all__ = [
    "AccountDirectory",
    "BulkOptions",
    "BulkRunner",
    "BulkStore",
    "CrmAccountDirectory",
    "ProviderAccount",
    "RegistryAccountDirectory",
    "RunReport",
    "StaticAccountDirectory",
]
