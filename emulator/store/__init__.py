"""The emulator's storage engine: Dataverse tables and record semantics over SQLite.

The server calls :class:`Store`; pages come back as :class:`QueryPage` and
:class:`ChangePage`.
"""

from __future__ import annotations

from emulator.store.builtin import APP_USER_ID, BUSINESS_UNIT_ID, ORGANIZATION_ID
from emulator.store.queries import MAX_PAGE_SIZE, ChangePage, QueryPage
from emulator.store.store import Store

__all__ = ["APP_USER_ID", "BUSINESS_UNIT_ID", "MAX_PAGE_SIZE", "ORGANIZATION_ID", "ChangePage", "QueryPage", "Store"]
