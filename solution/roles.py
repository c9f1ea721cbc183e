"""The security roles CommSuite ships, and the column security on provider credentials (SMS-19, X-04).

Every role adds to the organisation's own roles (give users *Basic User* or a sales /
service role as well): it grants only what the suite needs. Reading customers stays with
those roles, so a caller pop-up never shows a record the agent could not open anyway
(CALL-03). Every table the suite owns has an entry in every role, with the reason for what
is (or is not) granted; a test fails when a new table has none.

| role | for | SMS it may create / read | bulk sends |
|---|---|---|---|
| Agent | calls, faxes and single SMS | own / own | none |
| SMS Sender | single SMS only | own / own | none |
| SMS Bulk Sender | single SMS and bulk sends | own / business unit | own: create, start, read |
| SMS Viewer | supervisors, reporting (SMS-06) | none / business unit | read, business unit |
| Administrator | set-up, the Functions app's user | all / all | all |

The grants a role shares with another (the SMS sending set, the customer links) are
defined once below and reused, so a reason is written once and two roles cannot drift.

Dataverse has no privileges of its own for an activity table: phone calls, faxes and the
suite's SMS all use ``prv<Right>Activity`` (``solution/security.py``). So an SMS right is a
right on every activity (calls, faxes, e-mails, tasks) at that depth, and a role cannot
tell SMS apart from calls. The bulk send is an ordinary user-owned table with its own
privileges, which is what keeps bulk sending apart.

Messages of a bulk send and every send attempt are created, and owned, by the Functions
app's application user (``services/sms/tables.py`` sets no owner). A user-depth read
therefore never shows them; whoever must see them needs business-unit read, with the app
user in the same business unit.

Privilege depths: BASIC = own rows, LOCAL = business unit, DEEP = unit and children,
GLOBAL = whole organisation (the only depth organisation-owned tables have).

Role ids never change: upgrades update a role in place. The ids of the roles added in
SMS-19 are name-based, ``uuid5(uuid5(NAMESPACE_URL, "https://commsuite.invalid/solution/roles"),
key)`` with keys ``sms-sender``, ``sms-bulk-sender``, ``sms-viewer``, written out here;
tests pin every id.
"""

from __future__ import annotations

from solution.security import ALL_ACCESS, ORGANISATION_ACCESS, Grant, SecuredColumns, SecurityRole, rights
from solution.security import Access as A
from solution.security import Depth as D

_READ_CHOOSE = (A.READ, A.APPEND_TO)
_OWN_WORK = (A.CREATE, A.READ, A.WRITE, A.APPEND, A.APPEND_TO)


def _none(table: str, reason: str) -> Grant:
    """A considered "no rights" entry: the table is left to another role, and why."""
    return Grant(table, (), reason)


# -- calls and faxes: the Agent's alone -------------------------------------------------------
CALL_AND_FAX_SETTINGS = (
    Grant(
        "comms_telephonysystem",
        rights(D.GLOBAL, A.READ),
        "Pop-ups and call history show which branch's PBX took the call; changing systems is admin work.",
    ),
    Grant(
        "comms_phoneline",
        rights(D.GLOBAL, *_READ_CHOOSE),
        "Agents choose the line for a click-to-call (CALL-24) and see which DID a call came in on (CALL-12).",
    ),
    Grant(
        "comms_extension",
        rights(D.GLOBAL, *_READ_CHOOSE),
        "Click-to-call rings the agent's own extension first (CALL-29); mapping extensions is admin work.",
    ),
    Grant(
        "comms_clicktocall",
        rights(D.BASIC, *_OWN_WORK),
        "Agents ask for a call by creating a request and follow its status; they see only their own.",
    ),
    Grant(
        "comms_callrecording",
        rights(D.BASIC, A.READ),
        "Agents listen to recordings of their own calls (CALL-28); the bridge creates them.",
    ),
    Grant(
        "comms_faxserver",
        rights(D.GLOBAL, *_READ_CHOOSE),
        "Agents choose the fax server per fax (FAX-08); its credential reference is column-secured.",
    ),
    Grant("comms_faxnumber", rights(D.GLOBAL, *_READ_CHOOSE), "Agents choose the sending number per fax (FAX-09)."),
)
CALL_AND_FAX_ACTIVITIES = (
    Grant(
        "phonecall",
        rights(D.BASIC, *_OWN_WORK),
        "Agents' calls are logged and annotated as phone-call activities (CALL-07, CALL-18).",
    ),
    Grant(
        "fax",
        rights(D.BASIC, *_OWN_WORK),
        "Agents send and receive faxes as fax activities (FAX-01): create a fax (New Fax), set it Pending "
        "(Send Fax) and follow its status; the fax servers' settings and Test Connection are admin work.",
    ),
    Grant(
        "annotation",
        rights(D.BASIC, A.CREATE, A.READ, A.WRITE, A.APPEND),
        "A fax's document is a note on it: agents attach their own and read them (FAX-01); reading the "
        "received faxes' notes follows the fax's owner.",
    ),
)
_NOT_CALLS = tuple(
    _none(grant.table, "Calls and faxes are the CommSuite Agent's; an SMS-only user needs nothing here.")
    for grant in CALL_AND_FAX_SETTINGS
)

# -- texting one customer: shared by the Agent, the SMS Sender and the SMS Bulk Sender --------
SMS_SETTINGS = (
    Grant(
        "comms_smsprovider",
        rights(D.GLOBAL, *_READ_CHOOSE),
        "Senders may pick the provider account a message goes through (SMS-13) and the form prices a text "
        "with its Price per Part (SMS-06); where its secret is kept is column-secured (no role opens it), "
        "and changing accounts is admin work.",
    ),
    Grant("comms_smsnumber", rights(D.GLOBAL, *_READ_CHOOSE), "Senders choose the sender number (SMS-04, SMS-17)."),
    Grant(
        "comms_smstemplate",
        rights(D.GLOBAL, A.READ, A.APPEND_TO) + rights(D.BASIC, A.CREATE, A.WRITE, A.DELETE, A.APPEND),
        "Everyone uses the shared templates (SMS-11); senders may keep and edit templates of their own.",
    ),
    Grant(
        "comms_keywordrule",
        rights(D.GLOBAL, A.READ),
        "Senders can see which keyword answers customers get (SMS-16); writing rules is admin work.",
    ),
    Grant(
        "comms_smsoptout",
        rights(D.GLOBAL, A.CREATE, A.READ, A.APPEND),
        "Senders see why a number is blocked and record an opt-out a customer asks for (SMS-15); "
        "lifting one is admin work.",
    ),
)
OWN_SMS = Grant(
    "comms_sms",
    rights(D.BASIC, *_OWN_WORK),
    "Senders create, send and read their own messages (SMS-01, SMS-19); SMS shares the Activity "
    "privileges, so this is the same right as on their own calls and faxes.",
)
NO_ATTEMPTS = _none(
    "comms_smsprocess",
    "Send attempts are created and owned by the Functions app's user, so a user-depth read would "
    "show none; the SMS itself carries Attempts and Error.",
)
NO_BULK = _none(
    "comms_smsbulk",
    "Bulk sends reach whole lists: creating, starting and reading them is the SMS Bulk Sender's (SMS-19).",
)
CUSTOMER_LINKS = (
    Grant(
        "contact",
        rights(D.LOCAL, A.APPEND_TO),
        "Set a call, SMS or fax regarding a customer of the user's unit; reading customers stays with the "
        "organisation's roles (CALL-03).",
    ),
    Grant("account", rights(D.LOCAL, A.APPEND_TO), "As for contacts."),
    Grant("lead", rights(D.LOCAL, A.APPEND_TO), "As for contacts."),
)
SMS_SENDER_GRANTS = SMS_SETTINGS + (OWN_SMS, NO_ATTEMPTS, NO_BULK) + _NOT_CALLS + CUSTOMER_LINKS
AGENT_GRANTS = (
    CALL_AND_FAX_SETTINGS + SMS_SETTINGS + (OWN_SMS, NO_ATTEMPTS, NO_BULK) + CALL_AND_FAX_ACTIVITIES + CUSTOMER_LINKS
)

# -- bulk sends: the SMS Sender's rights plus the bulk ------------------------------------------
BULK_SENDER_GRANTS = (
    SMS_SETTINGS
    + (
        Grant(
            "comms_sms",
            rights(D.BASIC, A.CREATE, A.WRITE, A.APPEND, A.APPEND_TO) + rights(D.LOCAL, A.READ),
            "Bulk senders send single messages as SMS Senders do and read every message of their unit: a bulk's "
            "messages are owned by the Functions app's user and Dataverse has no read-by-parent, so seeing them "
            "takes unit-wide read, which is read of the unit's activities (SMS-08, SMS-19).",
        ),
        NO_ATTEMPTS,
        Grant(
            "comms_smsbulk",
            rights(D.BASIC, *_OWN_WORK),
            "Bulk senders create their own sends, choose audience, text, account and number, start one by "
            "setting Progress to Queued and follow its counters (SMS-08, SMS-19); they see and change only "
            "their own, and deleting a send's history is admin work.",
        ),
    )
    + _NOT_CALLS
    + CUSTOMER_LINKS
    + (
        Grant(
            "list",
            rights(D.LOCAL, *_READ_CHOOSE),
            "A bulk send is aimed at a marketing list of the sender's unit (SMS-08); its members are read by the "
            "Functions app, not by the sender.",
        ),
        Grant("campaign", rights(D.LOCAL, *_READ_CHOOSE), "As for marketing lists: a send may go to a campaign."),
    )
)

# -- supervisors and reporting: read, nothing else --------------------------------------------
_VIEWER_NOTHING = "Viewers only read messages and bulk sends (SMS-06); settings and sending are other roles'."
VIEWER_GRANTS = (
    Grant(
        "comms_sms",
        rights(D.LOCAL, A.READ),
        "Supervisors read every message of their business unit, with the status views and charts (SMS-06); "
        "SMS shares the Activity privileges, so this is read of the unit's calls, faxes and other "
        "activities too.",
    ),
    Grant(
        "comms_smsbulk",
        rights(D.LOCAL, A.READ),
        "Supervisors follow the bulk sends of their unit and their Sent / Delivered / Failed counters (SMS-06).",
    ),
) + tuple(_none(grant.table, _VIEWER_NOTHING) for grant in (*CALL_AND_FAX_SETTINGS, *SMS_SETTINGS, NO_ATTEMPTS))

# -- administrators and the Functions app's user: everything ------------------------------------
_FULL = "Administrators configure and run the whole suite; every right, organisation-wide."
_FULL_ORGANISATION = "Administrators keep the suite's settings; every right an organisation-owned table has."

ADMIN_CUSTOM_TABLES = (
    ("comms_telephonysystem", True),
    ("comms_phoneline", True),
    ("comms_extension", True),
    ("comms_clicktocall", False),
    ("comms_callrecording", False),
    ("comms_smsprovider", True),
    ("comms_smsnumber", True),
    ("comms_smstemplate", False),
    ("comms_smsbulk", False),
    ("comms_sms", False),
    ("comms_smsprocess", False),
    ("comms_keywordrule", True),
    ("comms_smsoptout", True),
    ("comms_faxserver", True),
    ("comms_faxnumber", True),
)

ADMIN_GRANTS = tuple(
    Grant(
        table,
        rights(D.GLOBAL, *(ORGANISATION_ACCESS if organisation_owned else ALL_ACCESS)),
        _FULL_ORGANISATION if organisation_owned else _FULL,
    )
    for table, organisation_owned in ADMIN_CUSTOM_TABLES
) + (
    Grant("phonecall", rights(D.GLOBAL, *ALL_ACCESS), "Administrators review and correct logged calls."),
    Grant("fax", rights(D.GLOBAL, *ALL_ACCESS), "Administrators review and resend faxes."),
    Grant(
        "contact",
        rights(D.GLOBAL, *_READ_CHOOSE),
        "Bulk sends and keyword rules read and point at customers (SMS-07, SMS-08).",
    ),
    Grant("account", rights(D.GLOBAL, *_READ_CHOOSE), "As for contacts."),
    Grant("lead", rights(D.GLOBAL, *_READ_CHOOSE), "As for contacts."),
    Grant("list", rights(D.GLOBAL, *_READ_CHOOSE), "Bulk sends go to marketing lists (SMS-08)."),
    Grant("campaign", rights(D.GLOBAL, *_READ_CHOOSE), "Bulk sends go to campaigns (SMS-08)."),
    Grant(
        "systemuser",
        rights(D.GLOBAL, *_READ_CHOOSE),
        "Dedicated numbers and extensions belong to users (SMS-04, CALL-29).",
    ),
    Grant("team", rights(D.GLOBAL, *_READ_CHOOSE), "Keyword rules route cases to a team (SMS-16)."),
    Grant("queue", rights(D.GLOBAL, *_READ_CHOOSE), "Keyword rules route cases to a queue (SMS-16)."),
)

AGENT = SecurityRole(
    name="CommSuite Agent",
    id="e9f99ca2-22f6-5d63-8b26-34660e8cbf26",
    description="Places and logs calls, sends faxes and single SMS; reads the suite's settings.",
    grants=AGENT_GRANTS,
)
SMS_SENDER = SecurityRole(
    name="CommSuite SMS Sender",
    id="5b8abf7a-5e8f-5a26-9434-2455d1f3e9a0",
    description="Sends single SMS and reads their own; no calls, faxes or bulk sends.",
    grants=SMS_SENDER_GRANTS,
)
SMS_BULK_SENDER = SecurityRole(
    name="CommSuite SMS Bulk Sender",
    id="a616ea01-e7f9-5581-9297-78f85e05805f",
    description="Everything an SMS Sender may do, plus creating and starting own bulk sends to marketing lists "
    "and campaigns and reading the business unit's SMS.",
    grants=BULK_SENDER_GRANTS,
)
SMS_VIEWER = SecurityRole(
    name="CommSuite SMS Viewer",
    id="69f36abf-f9fb-5c29-a5e1-735085d8637d",
    description="Reads the business unit's SMS and bulk sends for supervision and reports; changes nothing.",
    grants=VIEWER_GRANTS,
)
ADMINISTRATOR = SecurityRole(
    name="CommSuite Administrator",
    id="5a074609-3eda-5af9-a554-e79e284e2a0f",
    description="Configures providers, fax servers, telephony systems and rules; full rights on suite tables.",
    grants=ADMIN_GRANTS,
)
_RECEIVED_ONLY = "Received Calls Viewers only read phone calls (CALL-41); settings and sending are other roles'."
RECEIVED_CALLS_VIEWER = SecurityRole(
    name="CommSuite Received Calls Viewer",
    id="a9e87306-aaec-53aa-a349-fe8ef1fa26b4",
    description="Reads own phone calls and the calls shared with the user as a responsible person of the "
    "caller's record (sales, support or other owner; CALL-41); changes nothing.",
    grants=(
        Grant(
            "phonecall",
            rights(D.BASIC, A.READ),
            'The "view received calls" permission (CALL-41): user-depth read shows the user\'s own calls and '
            "every call the bridge shared with them (GrantAccess, services/calls/responsible_access.py) because "
            "they are responsible for the matched record. Activity privileges are shared, so this is user-depth "
            "read of every activity type; nothing wider.",
        ),
    )
    + tuple(_none(table, _RECEIVED_ONLY) for table, _ in ADMIN_CUSTOM_TABLES),
)
ROLES = (AGENT, SMS_SENDER, SMS_BULK_SENDER, SMS_VIEWER, ADMINISTRATOR, RECEIVED_CALLS_VIEWER)

PROVIDER_CREDENTIALS = SecuredColumns(
    name="CommSuite Provider Credentials",
    id="05408e99-6fca-5382-a305-7deec045f82d",
    description="Who may see and change where provider and fax-server secrets are kept, rotate webhook URLs "
    "and let SMS templates read secured columns.",
    columns=(
        ("comms_faxserver", "comms_credentialreference"),
        ("comms_smsprovider", "comms_credentialreference"),
        ("comms_smsprovider", "comms_webhookgeneration"),
        ("comms_smstemplate", "comms_allowsecuredcolumns"),
    ),
)
SECURED_COLUMNS = (PROVIDER_CREDENTIALS,)
