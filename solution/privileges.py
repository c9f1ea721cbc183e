"""The names Dataverse gives the privileges of the standard tables CommSuite's roles refer to (SMS-19, issue 10).

A privilege is named ``prv<Right><Base>``. For a custom table the base is the table's schema
name (``prvReadcomms_SmsProvider``); for a standard table it is a name of Dataverse's own
that is often *not* the table's schema name: the user table's privileges are ``prvReadUser``,
``prvAppendToUser`` (no ``prvReadSystemUser`` exists), a note's ``prvReadNote``, a system
view's ``prvReadQuery``, every activity's ``prvReadActivity``. An import refuses a role that
names a privilege the environment does not have, so a wrong base breaks the whole solution.

Where each base comes from (all read with the search tool; see docs/solution.md):

- the security-role editor's privilege map, SimorC/DynamicsCRM-Security-Roles-Checker:
  ``json/Privileges_Mapping.js`` (entity → ``PrivilegeBase``: Account, Contact, Lead, Activity,
  Marketing List → List, Campaign, Queue, Team, User, Business Unit → BusinessUnit,
  Case → Incident, Note, View → Query, Saved View → UserQuery);
- Microsoft's privilege tables, MicrosoftDocs/dynamics-365-customer-engagement:
  ``ce/outlook-app/table.md`` (``prvReadActivity``, ``prvAppendToActivity``, ``prvReadContact``,
  ``prvAssignContact``, ...);
- Dynamics 365 Customer Service docs (Microsoft Learn, "ongoing conversations" dashboard):
  representatives need ``prvReadAppNotification``.

Which rights a base has follows the table's ownership: user- or team-owned tables have all
eight, organisation- and business-owned ones have no Assign or Share
(``solution/security.py`` refuses a grant that asks otherwise).
"""

from __future__ import annotations

#: Standard table (logical name) → the base of its privilege names.
STANDARD_PRIVILEGE_BASES = {
    "account": "Account",
    "activitypointer": "Activity",
    "annotation": "Note",
    "appnotification": "AppNotification",
    "businessunit": "BusinessUnit",
    "campaign": "Campaign",
    "contact": "Contact",
    "incident": "Incident",
    "lead": "Lead",
    "list": "List",
    "queue": "Queue",
    "savedquery": "Query",
    "systemuser": "User",
    "team": "Team",
    "userquery": "UserQuery",
}
