"""Tables every Dataverse organisation has, as far as the emulator needs them, and its app user.

``systemuser``/``team``/``businessunit`` exist so ``ownerid``, ``createdby``
and ``@odata.bind`` to users resolve; ``activityparty`` holds the ``from``/
``to`` parties of activities (reference §4.6); ``role`` holds the security roles users are
given through ``systemuserroles_association`` (:mod:`emulator.server.security`), starting with
*System Administrator*, which the application user holds. A schema that describes any of
these tables more fully extends them when installed.
"""

from __future__ import annotations

import uuid

from dataverse_schema.model import Column, ColumnType, ManyToManyRelationship, Option, OptionSet, Ownership, Table

_NAMESPACE = uuid.UUID("5f0c0a52-4e0e-4c4b-9a55-0c0d1e4d5a11")
#: The emulator's application user, its business unit and organisation (stable across runs).
APP_USER_ID = str(uuid.uuid5(_NAMESPACE, "systemuser"))
BUSINESS_UNIT_ID = str(uuid.uuid5(_NAMESPACE, "businessunit"))
ORGANIZATION_ID = str(uuid.uuid5(_NAMESPACE, "organization"))
APP_USER_NAME = "# CommSuite Emulator"
#: The System Administrator role of the emulator's root business unit.
SYSTEM_ADMINISTRATOR_ID = str(uuid.uuid5(_NAMESPACE, "role:System Administrator"))
SYSTEM_ADMINISTRATOR = "System Administrator"
#: Microsoft's own relationship between users and their roles (intersect ``systemuserroles``); the
#: application user holds System Administrator through it.
USER_ROLES = ManyToManyRelationship(
    "systemuserroles_association", "systemuser", "role", "systemuserroles", is_custom=False
)

PARTICIPATION_TYPES = OptionSet(
    tuple(
        Option(value, label)
        for value, label in enumerate(
            (
                "Sender",
                "To Recipient",
                "CC Recipient",
                "BCC Recipient",
                "Required attendee",
                "Optional attendee",
                "Organizer",
                "Regarding",
                "Owner",
                "Resource",
                "Customer",
                "Chat participant",
                "Related",
            ),
            start=1,
        )
    )
)


def _table(logical: str, entity_set: str, primary_name: str, *columns: Column, **extra) -> Table:
    primary_id = f"{logical}id"
    return Table(
        logical_name=logical,
        schema_name=logical.capitalize(),
        entity_set_name=entity_set,
        display_name=logical,
        plural_display_name=entity_set,
        primary_id=primary_id,
        primary_name=primary_name,
        columns=(Column(primary_id, primary_id, ColumnType.UNIQUEIDENTIFIER, primary_id), *columns),
        is_custom=False,
        **extra,
    )


def _string(name: str, length: int) -> Column:
    return Column(name, name, ColumnType.STRING, name, max_length=length)


def builtin_tables() -> tuple[Table, ...]:
    """The system tables the emulator always installs."""
    return (
        _table("businessunit", "businessunits", "name", _string("name", 160), ownership=Ownership.ORGANIZATION),
        _table(
            "systemuser",
            "systemusers",
            "fullname",
            _string("fullname", 200),
            _string("domainname", 1024),
            _string("internalemailaddress", 100),
            Column("applicationid", "ApplicationId", ColumnType.UNIQUEIDENTIFIER, "Application"),
            Column("businessunitid", "BusinessUnitId", ColumnType.LOOKUP, "Business Unit", targets=("businessunit",)),
            ownership=Ownership.ORGANIZATION,
        ),
        _table("team", "teams", "name", _string("name", 160), ownership=Ownership.ORGANIZATION),
        _table(
            "role",
            "roles",
            "name",
            _string("name", 100),
            Column("businessunitid", "BusinessUnitId", ColumnType.LOOKUP, "Business Unit", targets=("businessunit",)),
            ownership=Ownership.BUSINESS,
            change_tracking=False,
        ),
        _table(
            "activityparty",
            "activityparties",
            "partyid",
            Column("activityid", "ActivityId", ColumnType.LOOKUP, "Activity"),
            Column(
                "partyid",
                "PartyId",
                ColumnType.LOOKUP,
                "Party",
                targets=("account", "contact", "systemuser", "queue", "lead"),
            ),
            Column(
                "participationtypemask",
                "ParticipationTypeMask",
                ColumnType.PICKLIST,
                "Participation",
                options=PARTICIPATION_TYPES,
            ),
            _string("addressused", 320),
            ownership=Ownership.ORGANIZATION,
            change_tracking=False,
        ),
    )


def seed_rows() -> dict[str, dict[str, object]]:
    """Storage values of the rows every organisation starts with, by table logical name."""
    return {
        "businessunit": {"businessunitid": BUSINESS_UNIT_ID, "name": "CommSuite Emulator"},
        "systemuser": {
            "systemuserid": APP_USER_ID,
            "fullname": APP_USER_NAME,
            "domainname": "commsuite-emulator",
            "businessunitid": BUSINESS_UNIT_ID,
            "businessunitid$type": "businessunit",
        },
        "role": {
            "roleid": SYSTEM_ADMINISTRATOR_ID,
            "name": SYSTEM_ADMINISTRATOR,
            "businessunitid": BUSINESS_UNIT_ID,
            "businessunitid$type": "businessunit",
        },
    }
