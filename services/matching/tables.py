"""Which tables and columns a number is matched against, declared once from the schema (CALL-02, -04, SMS-07).

The schema already marks every column that holds a number: ``string_format``
is :attr:`~dataverse_schema.model.StringFormat.PHONE`. Dynamics keeps fax
numbers in phone-format columns too (``fax`` on contact, account and lead),
so a caller asks for the numbers of one :class:`NumberUse`: ``PHONE`` (calls
and texts: every phone-format column but the fax ones) or ``FAX`` (the fax
receiver, FAX-17). The default tables are the contact types of
``dataverse_schema.standard`` in the schema's order (contact, account, lead,
systemuser), which is also the tie-break order of the index; a site may
override tables and columns (the bridge's ``[matching]``), as OCA's
``base_phone`` lets each model declare its phone fields.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

import dataverse_schema
from dataverse_schema.model import ColumnType, Ownership, StringFormat, Table
from dataverse_schema.names import Account, Contact, Lead
from dataverse_schema.standard import CONTACT_TYPES

#: Named alike on every user-owned table the suite matches.
OWNER_COLUMN = Contact.OWNERID_VALUE
MODIFIED_ON = Contact.MODIFIEDON
#: The phone-format columns that hold fax numbers.
FAX_COLUMNS = frozenset({Contact.FAX, Account.FAX, Lead.FAX})


class NumberUse(enum.Enum):
    """What a matched number is for: calls and texts, or faxes."""

    PHONE = "phone"
    FAX = "fax"


@dataclass(frozen=True)
class MatchedTable:
    """A table whose number columns are matched (CALL-02), in priority order when listed.

    ``name_column`` is shown in subjects and pop-ups; ``owner_column`` is the
    lookup value of the owner (``None`` for tables no user owns, such as
    ``systemuser``); ``track_changes`` is off for tables without change tracking.
    """

    name: str
    entity_set: str
    primary_id: str
    columns: tuple[str, ...]
    name_column: str | None = None
    owner_column: str | None = OWNER_COLUMN
    track_changes: bool = True

    def select(self) -> list[str]:
        """The columns one read of the table asks for."""
        wanted = [self.primary_id, *self.columns, self.name_column, self.owner_column, MODIFIED_ON]
        return list(dict.fromkeys(c for c in wanted if c))


def number_columns(table: Table, use: NumberUse = NumberUse.PHONE) -> tuple[str, ...]:
    """The table's phone-format columns that hold numbers for ``use``, in the schema's order."""
    phones = [
        c.logical_name for c in table.columns if c.type is ColumnType.STRING and c.string_format is StringFormat.PHONE
    ]
    return tuple(c for c in phones if (c in FAX_COLUMNS) == (use is NumberUse.FAX))


def matched_table(table: Table, use: NumberUse = NumberUse.PHONE, columns: Sequence[str] = ()) -> MatchedTable:
    """``table`` as matched for ``use``: ``columns`` when given, else all of :func:`number_columns`."""
    owned = table.ownership in (Ownership.USER, Ownership.TEAM)
    return MatchedTable(
        table.logical_name,
        table.entity_set_name,
        table.primary_id,
        tuple(columns) or number_columns(table, use),
        table.primary_name or None,
        OWNER_COLUMN if owned else None,
        table.change_tracking,
    )


def default_tables(use: NumberUse = NumberUse.PHONE) -> tuple[MatchedTable, ...]:
    """Every contact type (contact, account, lead, systemuser), each with all its columns for ``use``."""
    tables = (matched_table(dataverse_schema.table(name), use) for name in CONTACT_TYPES)
    return tuple(t for t in tables if t.columns)


#: Calls and texts: contacts win ties over accounts, then leads, then users.
DEFAULT_TABLES = default_tables(NumberUse.PHONE)
