"""Navigation property names of Dataverse's polymorphic lookups, for ``@odata.bind``.

A single-target lookup the suite declares has its navigation property in
:mod:`dataverse_schema.names` (``<COLUMN>_NAV``). The standard polymorphic
lookups name one navigation property per target table, by a fixed pattern:

- an activity party's ``partyid`` → ``partyid_<target>``;
- an activity's ``regardingobjectid`` → ``regardingobjectid_<target>_<activity>``;
- a customer lookup (``customerid``, ``parentcustomerid``) → ``<lookup>_<target>``;
- a marketing list member's ``entityid`` → ``entityid_<target>``;
- a note's or a queue item's ``objectid`` → ``objectid_<target>``;
- ``ownerid`` is one navigation property whatever the owner's table.

An activity's parties are created with it through its collection-valued
navigation property ``<activity>_activity_parties``.
"""

from __future__ import annotations

OWNER = "ownerid"


def party(target_table: str) -> str:
    """``partyid_contact``: an activity party pointing at a ``target_table`` record."""
    return f"partyid_{target_table}"


def regarding(target_table: str, activity_table: str) -> str:
    """``regardingobjectid_contact_phonecall``: an activity regarding a ``target_table`` record."""
    return f"regardingobjectid_{target_table}_{activity_table}"


def customer(lookup: str, target_table: str) -> str:
    """``parentcustomerid_account``: a customer lookup pointing at an account or a contact."""
    return f"{lookup}_{target_table}"


def list_member(target_table: str) -> str:
    """``entityid_contact``: a marketing list member that is an account, a contact or a lead."""
    return f"entityid_{target_table}"


def activity_parties(activity_table: str) -> str:
    """``comms_sms_activity_parties``: the parties of an activity, written in the body that creates it."""
    return f"{activity_table}_activity_parties"


def objectid(target_table: str) -> str:
    """``objectid_phonecall``: a note (``annotation``) or a queue item holding a ``target_table`` record."""
    return f"objectid_{target_table}"
