"""The two security roles CommSuite ships, and the column security on provider credentials (SMS-19, X-04).

Both roles add to the organisation's own roles (give users *Basic User* or a sales /
service role as well): they grant only what the suite needs. Reading customers stays with
those roles, so a caller pop-up never shows a record the agent could not open anyway
(CALL-03). Every table the suite owns has an entry in both roles, with the reason for what
is (or is not) granted; a test fails when a new table has none.

Privilege depths: BASIC = own rows, LOCAL = business unit, DEEP = unit and children,
GLOBAL = whole organisation (the only depth organisation-owned tables have).
"""

from __future__ import annotations

from solution.security import ALL_ACCESS, ORGANISATION_ACCESS, Grant, SecuredColumns, SecurityRole, rights
from solution.security import Access as A
from solution.security import Depth as D

_READ_CHOOSE = (A.READ, A.APPEND_TO)
_OWN_WORK = (A.CREATE, A.READ, A.WRITE, A.APPEND, A.APPEND_TO)

AGENT_GRANTS = (
    # Telephony settings: read so pop-ups, the phone panel and click-to-call can name and pick them.
    Grant("comms_telephonysystem", rights(D.GLOBAL, A.READ),
          "Pop-ups and call history show which branch's PBX took the call; changing systems is admin work."),
    Grant("comms_phoneline", rights(D.GLOBAL, *_READ_CHOOSE),
          "Agents choose the line for a click-to-call (CALL-24) and see which DID a call came in on (CALL-12)."),
    Grant("comms_extension", rights(D.GLOBAL, *_READ_CHOOSE),
          "Click-to-call rings the agent's own extension first (CALL-29); mapping extensions is admin work."),
    Grant("comms_clicktocall", rights(D.BASIC, *_OWN_WORK),
          "Agents ask for a call by creating a request and follow its status; they see only their own."),
    Grant("comms_callrecording", rights(D.BASIC, A.READ),
          "Agents listen to recordings of their own calls (CALL-28); the bridge creates them."),
    # SMS
    Grant("comms_smsprovider", rights(D.GLOBAL, *_READ_CHOOSE),
          "Agents may pick the provider account a message goes through (SMS-13); where its secret is kept is "
          "column-secured, and changing accounts is admin work."),
    Grant("comms_smsnumber", rights(D.GLOBAL, *_READ_CHOOSE),
          "Agents choose the sender number (SMS-04, SMS-17)."),
    Grant("comms_smstemplate", rights(D.GLOBAL, A.READ, A.APPEND_TO) + rights(D.BASIC, A.CREATE, A.WRITE,
                                                                                A.DELETE, A.APPEND),
          "Everyone uses the shared templates (SMS-11); agents may keep and edit templates of their own."),
    Grant("comms_smsbulk", rights(D.BASIC, A.READ),
          "Bulk sends reach whole lists, so starting one is an administrator's decision (SMS-19); agents see "
          "only sends assigned to them."),
    Grant("comms_sms", rights(D.BASIC, *_OWN_WORK),
          "Agents send and read their own messages (SMS-01, SMS-19); SMS shares the Activity privileges."),
    Grant("comms_smsprocess", rights(D.BASIC, A.READ),
          "Send attempts are written by the service; agents may read those of their own messages to see why "
          "one failed."),
    Grant("comms_keywordrule", rights(D.GLOBAL, A.READ),
          "Agents can see which keyword answers customers get (SMS-16); writing rules is admin work."),
    Grant("comms_smsoptout", rights(D.GLOBAL, A.CREATE, A.READ, A.APPEND),
          "Agents see why a number is blocked and record an opt-out a customer asks for by phone (SMS-15); "
          "lifting one is admin work."),
    # Fax settings
    Grant("comms_faxserver", rights(D.GLOBAL, *_READ_CHOOSE),
          "Agents choose the fax server per fax (FAX-08); its credential reference is column-secured."),
    Grant("comms_faxnumber", rights(D.GLOBAL, *_READ_CHOOSE),
          "Agents choose the sending number per fax (FAX-09)."),
    # Standard tables
    Grant("phonecall", rights(D.BASIC, *_OWN_WORK),
          "Agents' calls are logged and annotated as phone-call activities (CALL-07, CALL-18)."),
    Grant("fax", rights(D.BASIC, *_OWN_WORK),
          "Agents send and receive faxes as fax activities (FAX-01)."),
    Grant("contact", rights(D.LOCAL, A.APPEND_TO),
          "Set a call, SMS or fax regarding a customer of the agent's unit; reading customers stays with the "
          "organisation's roles (CALL-03)."),
    Grant("account", rights(D.LOCAL, A.APPEND_TO), "As for contacts."),
    Grant("lead", rights(D.LOCAL, A.APPEND_TO), "As for contacts."),
)

_FULL = "Administrators configure and run the whole suite; every right, organisation-wide."
_FULL_ORGANISATION = "Administrators keep the suite's settings; every right an organisation-owned table has."

ADMIN_CUSTOM_TABLES = (
    ("comms_telephonysystem", True), ("comms_phoneline", True), ("comms_extension", True),
    ("comms_clicktocall", False), ("comms_callrecording", False), ("comms_smsprovider", True),
    ("comms_smsnumber", True), ("comms_smstemplate", False), ("comms_smsbulk", False), ("comms_sms", False),
    ("comms_smsprocess", False), ("comms_keywordrule", True), ("comms_smsoptout", True),
    ("comms_faxserver", True), ("comms_faxnumber", True),
)

ADMIN_GRANTS = tuple(
    Grant(table, rights(D.GLOBAL, *(ORGANISATION_ACCESS if organisation_owned else ALL_ACCESS)),
          _FULL_ORGANISATION if organisation_owned else _FULL)
    for table, organisation_owned in ADMIN_CUSTOM_TABLES
) + (
    Grant("phonecall", rights(D.GLOBAL, *ALL_ACCESS), "Administrators review and correct logged calls."),
    Grant("fax", rights(D.GLOBAL, *ALL_ACCESS), "Administrators review and resend faxes."),
    Grant("contact", rights(D.GLOBAL, *_READ_CHOOSE),
          "Bulk sends and keyword rules read and point at customers (SMS-07, SMS-08)."),
    Grant("account", rights(D.GLOBAL, *_READ_CHOOSE), "As for contacts."),
    Grant("lead", rights(D.GLOBAL, *_READ_CHOOSE), "As for contacts."),
    Grant("list", rights(D.GLOBAL, *_READ_CHOOSE), "Bulk sends go to marketing lists (SMS-08)."),
    Grant("campaign", rights(D.GLOBAL, *_READ_CHOOSE), "Bulk sends go to campaigns (SMS-08)."),
    Grant("systemuser", rights(D.GLOBAL, *_READ_CHOOSE),
          "Dedicated numbers and extensions belong to users (SMS-04, CALL-29)."),
    Grant("team", rights(D.GLOBAL, *_READ_CHOOSE), "Keyword rules route cases to a team (SMS-16)."),
    Grant("queue", rights(D.GLOBAL, *_READ_CHOOSE), "Keyword rules route cases to a queue (SMS-16)."),
)

AGENT = SecurityRole(
    name="CommSuite Agent",
    id="e9f99ca2-22f6-5d63-8b26-34660e8cbf26",
    description="Sends SMS and faxes, places and logs calls; reads the suite's settings.",
    grants=AGENT_GRANTS,
)
ADMINISTRATOR = SecurityRole(
    name="CommSuite Administrator",
    id="5a074609-3eda-5af9-a554-e79e284e2a0f",
    description="Configures providers, fax servers, telephony systems and rules; full rights on suite tables.",
    grants=ADMIN_GRANTS,
)
ROLES = (AGENT, ADMINISTRATOR)

PROVIDER_CREDENTIALS = SecuredColumns(
    name="CommSuite Provider Credentials",
    id="05408e99-6fca-5382-a305-7deec045f82d",
    description="Who may see and change where provider and fax-server secrets are kept.",
    columns=(("comms_faxserver", "comms_credentialreference"), ("comms_smsprovider", "comms_credentialreference")),
)
SECURED_COLUMNS = (PROVIDER_CREDENTIALS,)
