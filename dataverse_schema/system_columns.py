"""The system columns Dataverse creates with every custom table, as a solution export lists them.

The model lists only the system columns the suite reads or writes (owner, state, status,
created on, modified on); an export of a custom table carries the rest as well, and
``customizations.xml`` does too, so the solution describes a table the way the environment
will have it. Facts from a real export, Tactec-Inc/dev-powerapps:``XML_1_1/customizations.xml``
(the user-owned table ``cr97b_Project``: ``CreatedBy``, ``CreatedOnBehalfBy``, ``ModifiedBy``,
``ModifiedOnBehalfBy``, ``ImportSequenceNumber``, ``OverriddenCreatedOn``, ``OwningBusinessUnit``,
``OwningTeam``, ``OwningUser``, ``TimeZoneRuleVersionNumber``, ``UTCConversionTimeZoneCode``);
an organisation-owned table has ``OrganizationId`` instead of the owning columns.
"""

from __future__ import annotations

from dataverse_schema.columns import INT_MAX, integer, lookup, when
from dataverse_schema.model import Column, Ownership, Table


def _common() -> tuple[Column, ...]:
    return (
        lookup("CreatedBy", "Created By", "systemuser", "User who created the record."),
        lookup("CreatedOnBehalfBy", "Created By (Delegate)", "systemuser", "Delegate user who created the record."),
        lookup("ModifiedBy", "Modified By", "systemuser", "User who last changed the record."),
        lookup(
            "ModifiedOnBehalfBy", "Modified By (Delegate)", "systemuser", "Delegate user who last changed the record."
        ),
        integer(
            "ImportSequenceNumber",
            "Import Sequence Number",
            "Sequence number of the import that created this record.",
            minimum=-INT_MAX - 1,
        ),
        when("OverriddenCreatedOn", "Record Created On", "Date and time that the record was migrated.", date_only=True),
        integer("TimeZoneRuleVersionNumber", "Time Zone Rule Version Number", "For internal use only.", minimum=-1),
        integer(
            "UTCConversionTimeZoneCode",
            "UTC Conversion Time Zone Code",
            "Time zone code that was in use when the record was created.",
            minimum=-1,
        ),
    )


def _ownership(ownership: Ownership) -> tuple[Column, ...]:
    if ownership is Ownership.ORGANIZATION:
        return (lookup("OrganizationId", "Organization", "organization", "Unique identifier for the organization."),)
    return (
        lookup(
            "OwningBusinessUnit",
            "Owning Business Unit",
            "businessunit",
            "Unique identifier for the business unit that owns the record.",
        ),
        lookup("OwningTeam", "Owning Team", "team", "Unique identifier for the team that owns the record."),
        lookup("OwningUser", "Owning User", "systemuser", "Unique identifier for the user that owns the record."),
    )


def system_columns(table: Table) -> tuple[Column, ...]:
    """The system columns ``table`` gets from Dataverse that its model does not list (none for a standard table)."""
    if not table.is_custom:
        return ()
    return tuple(c for c in _common() + _ownership(table.ownership) if not table.has_column(c.logical_name))
