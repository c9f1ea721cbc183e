"""A small contact table for the OData tests (independent of the real schema registry)."""

from __future__ import annotations

from dataverse_schema.model import Column, ColumnType, DateTimeFormat, Option, OptionSet, Table


def contact_table() -> Table:
    """``contact`` with one column of each kind the compiler treats differently."""
    return Table(
        logical_name="contact",
        schema_name="Contact",
        entity_set_name="contacts",
        display_name="Contact",
        plural_display_name="Contacts",
        primary_id="contactid",
        primary_name="fullname",
        is_custom=False,
        columns=(
            Column("contactid", "ContactId", ColumnType.UNIQUEIDENTIFIER, "Contact"),
            Column("fullname", "FullName", ColumnType.STRING, "Full Name", max_length=160),
            Column("lastname", "LastName", ColumnType.STRING, "Last Name", max_length=50),
            Column("description", "Description", ColumnType.MEMO, "Description", max_length=2000),
            Column("numberofchildren", "NumberOfChildren", ColumnType.INTEGER, "Children"),
            Column("creditlimit", "CreditLimit", ColumnType.MONEY, "Credit Limit"),
            Column("donotphone", "DoNotPhone", ColumnType.BOOLEAN, "Do not phone"),
            Column("birthdate", "BirthDate", ColumnType.DATETIME, "Birthday", datetime_format=DateTimeFormat.DATE_ONLY),
            Column("lastcalledon", "LastCalledOn", ColumnType.DATETIME, "Last called"),
            Column(
                "gendercode",
                "GenderCode",
                ColumnType.PICKLIST,
                "Gender",
                options=OptionSet((Option(1, "Male"), Option(2, "Female"))),
            ),
            Column(
                "parentcustomerid", "ParentCustomerId", ColumnType.CUSTOMER, "Company", targets=("account", "contact")
            ),
            Column("to", "To", ColumnType.PARTYLIST, "To"),
        ),
    )
