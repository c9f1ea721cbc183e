"""The standard Dynamics 365 tables the suite reads or writes, as far as it uses them.

Names follow Microsoft's entity reference (logical names, entity set names,
primary id and name, lengths). The suite never creates these tables; its own
columns on ``phonecall`` and ``fax`` are declared in ``telephony.py`` and
``fax.py`` and merged in by the registry.
"""

from __future__ import annotations

from dataverse_schema.columns import (
    PRIORITIES,
    REQUIRED,
    activity_columns,
    audit_columns,
    boolean,
    choice,
    email,
    integer,
    lookup,
    memo,
    owner,
    phone,
    reference,
    state,
    status,
    text,
    unique_id,
    url,
)
from dataverse_schema.model import (
    Area,
    Cascade,
    Column,
    ColumnType,
    ManyToManyRelationship,
    Option,
    OptionSet,
    Ownership,
    Relationship,
    Table,
)

#: Contact types (CALL-01, SMS-01, FAX-01): the tables whose phone numbers are matched.
CONTACT_TYPES = ("contact", "account", "lead", "systemuser")
REGARDING_TARGETS = ("account", "contact", "lead", "incident", "campaign", "systemuser", "queue")
PARTY_TARGETS = ("account", "contact", "lead", "systemuser", "queue")

DIRECTION = OptionSet((Option(0, "Incoming", "ورودی"), Option(1, "Outgoing", "خروجی")))


def _table(
    schema_name: str,
    entity_set: str,
    display: str,
    plural: str,
    primary_id: str,
    primary_name: str,
    columns: tuple[Column, ...],
    *,
    activity: bool = False,
    ownership: Ownership = Ownership.USER,
    fa: str | None = None,
    relationships: tuple[Relationship, ...] = (),
) -> Table:
    return Table(
        logical_name=schema_name.lower(),
        schema_name=schema_name,
        entity_set_name=entity_set,
        display_name=display,
        plural_display_name=plural,
        primary_id=primary_id,
        primary_name=primary_name,
        columns=columns,
        is_custom=False,
        is_activity=activity,
        ownership=ownership,
        has_notes=True,
        display_name_fa=fa,
        area="standard",
        relationships=relationships,
    )


def _phones(*schema_names: tuple[str, str], length: int = 50) -> tuple[Column, ...]:
    return tuple(phone(name, label, length=length) for name, label in schema_names)


def _do_not(*channels: str) -> tuple[Column, ...]:
    allow = OptionSet((Option(0, "Allow"), Option(1, "Do Not Allow")))
    return tuple(boolean(f"DoNot{c}", f"Do not allow {c}", labels=allow) for c in channels)


CONTACT = _table(
    "Contact",
    "contacts",
    "Contact",
    "Contacts",
    "contactid",
    "fullname",
    (
        unique_id("ContactId", "Contact"),
        text("FullName", "Full Name", length=160, fa="نام کامل"),
        text("FirstName", "First Name", length=50, fa="نام"),
        text("LastName", "Last Name", length=50, required=REQUIRED, fa="نام خانوادگی"),
        text("JobTitle", "Job Title", length=100, fa="سمت"),
        *_phones(
            ("Telephone1", "Business Phone"),
            ("Telephone2", "Home Phone"),
            ("Telephone3", "Telephone 3"),
            ("MobilePhone", "Mobile Phone"),
            ("Fax", "Fax"),
            ("Business2", "Business Phone 2"),
            ("Home2", "Home Phone 2"),
            ("Callback", "Callback Number"),
            ("AssistantPhone", "Assistant Phone"),
            ("ManagerPhone", "Manager Phone"),
            ("Pager", "Pager"),
            ("Company", "Company Phone"),
            ("Address1_Telephone1", "Address 1: Phone"),
        ),
        email("EMailAddress1", "Email"),
        reference("ParentCustomerId", "Company Name", ColumnType.CUSTOMER, ("account", "contact")),
        *_do_not("Phone", "Fax", "BulkEMail"),
        owner(),
        state(),
        status(),
        *audit_columns(),
    ),
    fa="مخاطب",
    relationships=(
        # Microsoft's names for the one-to-many relationships behind these lookups; each is also the
        # collection-valued navigation property of the referenced table (accounts(id)/contact_customer_accounts).
        Relationship(
            "contact_customer_accounts", "account", "contact", "parentcustomerid", navigation="parentcustomerid_account"
        ),
    ),
)

ACCOUNT = _table(
    "Account",
    "accounts",
    "Account",
    "Accounts",
    "accountid",
    "name",
    (
        unique_id("AccountId", "Account"),
        text("Name", "Account Name", length=160, required=REQUIRED, fa="نام حساب"),
        text("AccountNumber", "Account Number", length=20),
        *_phones(
            ("Telephone1", "Main Phone"),
            ("Telephone2", "Other Phone"),
            ("Telephone3", "Telephone 3"),
            ("Fax", "Fax"),
            ("Address1_Telephone1", "Address 1: Phone"),
        ),
        email("EMailAddress1", "Email"),
        url("WebSiteURL", "Website", length=200),
        lookup("PrimaryContactId", "Primary Contact", "contact"),
        lookup("ParentAccountId", "Parent Account", "account"),
        memo("Description", "Description"),
        *_do_not("Phone", "Fax", "BulkEMail"),
        owner(),
        state(),
        status(),
        *audit_columns(),
    ),
    fa="حساب",
    relationships=(
        Relationship(
            "account_primary_contact", "contact", "account", "primarycontactid", navigation="primarycontactid"
        ),
        Relationship("account_parent_account", "account", "account", "parentaccountid", navigation="parentaccountid"),
    ),
)

LEAD = _table(
    "Lead",
    "leads",
    "Lead",
    "Leads",
    "leadid",
    "fullname",
    (
        unique_id("LeadId", "Lead"),
        text("FullName", "Name", length=160),
        text("Subject", "Topic", length=300, required=REQUIRED),
        text("FirstName", "First Name", length=50),
        text("LastName", "Last Name", length=50, required=REQUIRED),
        text("CompanyName", "Company Name", length=100),
        text("JobTitle", "Job Title", length=100),
        *_phones(
            ("Telephone1", "Business Phone"),
            ("Telephone2", "Home Phone"),
            ("Telephone3", "Other Phone"),
            ("Fax", "Fax"),
            ("Address1_Telephone1", "Address 1: Phone"),
        ),
        phone("MobilePhone", "Mobile Phone", length=20),
        email("EMailAddress1", "Email"),
        lookup("ParentAccountId", "Parent Account for lead", "account"),
        lookup("ParentContactId", "Parent Contact for lead", "contact"),
        memo("Description", "Description"),
        *_do_not("Phone", "Fax", "BulkEMail"),
        owner(),
        state(OptionSet((Option(0, "Open"), Option(1, "Qualified"), Option(2, "Disqualified")), default=0)),
        status(
            OptionSet(
                (
                    Option(1, "New"),
                    Option(2, "Contacted"),
                    Option(3, "Qualified"),
                    Option(4, "Lost"),
                    Option(5, "Cannot Contact"),
                    Option(6, "No Longer Interested"),
                    Option(7, "Canceled"),
                ),
                default=1,
            )
        ),
        *audit_columns(),
    ),
    fa="سرنخ",
)

SYSTEMUSER = _table(
    "SystemUser",
    "systemusers",
    "User",
    "Users",
    "systemuserid",
    "fullname",
    (
        unique_id("SystemUserId", "User"),
        text("FullName", "Full Name", length=200),
        text("FirstName", "First Name", length=64),
        text("LastName", "Last Name", length=64),
        text("DomainName", "User Name", length=1024),
        email("InternalEMailAddress", "Primary Email"),
        phone("MobilePhone", "Mobile Phone", length=64),
        phone("Address1_Telephone1", "Main Phone", length=64),
        phone("HomePhone", "Home Phone"),
        boolean("IsDisabled", "Status", labels=OptionSet((Option(0, "Enabled"), Option(1, "Disabled")))),
        unique_id("AzureActiveDirectoryObjectId", "Azure AD Object ID"),
        unique_id("ApplicationId", "Application ID"),
        lookup("BusinessUnitId", "Business Unit", "businessunit", required=REQUIRED),
        lookup("QueueId", "Default Queue", "queue", "The user's own work queue (inbound SMS routing, SMS-24)."),
        *audit_columns(),
    ),
    ownership=Ownership.BUSINESS,
    fa="کاربر",
)

TEAM = _table(
    "Team",
    "teams",
    "Team",
    "Teams",
    "teamid",
    "name",
    (
        unique_id("TeamId", "Team"),
        text("Name", "Team Name", length=160, required=REQUIRED),
        choice(
            "TeamType",
            "Team Type",
            OptionSet(
                (Option(0, "Owner"), Option(1, "Access"), Option(2, "Security Group"), Option(3, "Office Group"))
            ),
        ),
        boolean("IsDefault", "Is Default"),
        unique_id("AzureActiveDirectoryObjectId", "Object Id for a group"),
        lookup("BusinessUnitId", "Business Unit", "businessunit", required=REQUIRED),
        lookup("AdministratorId", "Administrator", "systemuser", required=REQUIRED),
        lookup("QueueId", "Default Queue", "queue", "The team's work queue (inbound SMS routing, SMS-24)."),
        *audit_columns(),
    ),
    ownership=Ownership.BUSINESS,
    fa="تیم",
)

BUSINESSUNIT = _table(
    "BusinessUnit",
    "businessunits",
    "Business Unit",
    "Business Units",
    "businessunitid",
    "name",
    (
        unique_id("BusinessUnitId", "Business Unit"),
        text("Name", "Name", length=160, required=REQUIRED),
        lookup("ParentBusinessUnitId", "Parent Business", "businessunit"),
        boolean("IsDisabled", "Is Disabled"),
        *audit_columns(),
    ),
    ownership=Ownership.NONE,
)

PHONECALL = _table(
    "PhoneCall",
    "phonecalls",
    "Phone Call",
    "Phone Calls",
    "activityid",
    "subject",
    (
        *activity_columns(
            regarding=REGARDING_TARGETS,
            parties=("account", "contact", "lead", "systemuser"),
            statuses=OptionSet(
                (Option(1, "Open"), Option(2, "Made"), Option(3, "Canceled"), Option(4, "Received")), default=1
            ),
        ),
        phone("PhoneNumber", "Phone Number", length=200, fa="شماره تلفن"),
        boolean("DirectionCode", "Direction", default=True, labels=DIRECTION, fa="جهت"),
        boolean("LeftVoiceMail", "Left Voice Mail"),
        text("Category", "Category", length=250),
        text("Subcategory", "Sub-Category", length=250),
    ),
    activity=True,
    fa="تماس تلفنی",
)

FAX = _table(
    "Fax",
    "faxes",
    "Fax",
    "Faxes",
    "activityid",
    "subject",
    (
        *activity_columns(
            regarding=REGARDING_TARGETS,
            parties=("account", "contact", "lead", "systemuser", "queue"),
            statuses=OptionSet(
                (
                    Option(1, "Open"),
                    Option(2, "Completed"),
                    Option(3, "Sent"),
                    Option(4, "Received"),
                    Option(5, "Canceled"),
                ),
                default=1,
            ),
        ),
        phone("FaxNumber", "Fax Number", length=200, fa="شماره فکس"),
        integer("NumberOfPages", "Number of Pages", maximum=1_000_000_000, fa="تعداد صفحات"),
        text("CoverPageName", "Cover Page Name", length=100),
        text("BillingCode", "Billing Code", length=50),
        text("Tsid", "Transmitting Subscriber ID", length=20),
        boolean("DirectionCode", "Direction", default=True, labels=DIRECTION, fa="جهت"),
    ),
    activity=True,
    fa="فکس",
)

ANNOTATION = _table(
    "Annotation",
    "annotations",
    "Note",
    "Notes",
    "annotationid",
    "subject",
    (
        unique_id("AnnotationId", "Note"),
        text("Subject", "Title", length=500),
        memo("NoteText", "Description", length=100_000),
        text("FileName", "File Name", length=255),
        text("MimeType", "Mime Type", length=256),
        memo("DocumentBody", "Document", "The attached file, base64-encoded.", length=1_073_741_823),
        integer("FileSize", "File Size (Bytes)"),
        boolean("IsDocument", "Is Document"),
        reference(
            "ObjectId",
            "Regarding",
            ColumnType.LOOKUP,
            ("account", "contact", "lead", "incident", "phonecall", "fax", "comms_sms", "comms_callrecording"),
        ),
        text("ObjectTypeCode", "Object Type", "Logical name of the table the note belongs to.", length=64),
        owner(),
        *audit_columns(),
    ),
    fa="یادداشت",
    relationships=(
        # Microsoft's relationship behind a fax's notes; its name is the fax's collection-valued navigation
        # property (faxes(id)/Fax_Annotation), the one a deep insert creates notes through
        # (https://learn.microsoft.com/power-apps/developer/data-platform/reference/entities/fax#BKMK_Fax_Annotation).
        Relationship(
            "Fax_Annotation",
            "fax",
            "annotation",
            "objectid",
            cascade_delete=Cascade.CASCADE,
            cascade_assign=Cascade.CASCADE,
            navigation="objectid_fax",
        ),
    ),
)

APPNOTIFICATION = _table(
    "appnotification",
    "appnotifications",
    "Notification",
    "Notifications",
    "appnotificationid",
    "title",
    (
        unique_id("AppNotificationId", "Notification"),
        text("Title", "Title", length=200),
        memo("Body", "Body", "Markdown subset: bold, italic, lists, links.", length=5000),
        choice(
            "IconType",
            "Icon Type",
            OptionSet(
                tuple(
                    Option(100_000_000 + i, label)
                    for i, label in enumerate(("Info", "Success", "Failure", "Warning", "Mention", "Custom"))
                ),
                default=100_000_000,
            ),
        ),
        choice(
            "ToastType",
            "Toast Type",
            OptionSet((Option(200_000_000, "Timed"), Option(200_000_001, "Hidden")), default=200_000_000),
        ),
        choice(
            "Priority",
            "Priority",
            OptionSet((Option(200_000_000, "Normal"), Option(200_000_001, "High")), default=200_000_000),
        ),
        integer("TtlInSeconds", "Expiry (seconds)"),
        memo("Data", "Data", "JSON string: actions (open a record) and an optional rich body.", length=5000),
        boolean("IsRead", "Read"),
        owner(),
        *audit_columns(),
    ),
)

#: Where ``appnotification`` does not exist (on-premises,
#: MicrosoftDocs/dynamics-365-customer-engagement:
#: ce/customerengagement/on-premises/developer/webapi/web-api-versions.md),
#: a call notice is a task
#: assigned to the user, an e-mail to the user, or a post on the caller's record (bridge ``[notices] kind``).
TASK = _table(
    "Task",
    "tasks",
    "Task",
    "Tasks",
    "activityid",
    "subject",
    tuple(
        column
        for column in activity_columns(regarding=REGARDING_TARGETS, parties=PARTY_TARGETS)
        if column.logical_name not in ("from", "to")
    ),
    activity=True,
    fa="کار",
)

#: The e-mail's statuses (email entity reference, Microsoft Learn): SendEmail leaves a sent e-mail Completed with
#: Pending Send (then Sent once delivered), or Sent when it only marks it so.
EMAIL_STATUSES = OptionSet(
    (
        Option(1, "Draft"),
        Option(2, "Completed"),
        Option(3, "Sent"),
        Option(4, "Received"),
        Option(5, "Canceled"),
        Option(6, "Pending Send"),
        Option(7, "Sending"),
        Option(8, "Failed"),
    ),
    default=1,
)

EMAIL = _table(
    "Email",
    "emails",
    "Email",
    "Emails",
    "activityid",
    "subject",
    (
        *activity_columns(regarding=REGARDING_TARGETS, parties=PARTY_TARGETS, statuses=EMAIL_STATUSES),
        boolean("DirectionCode", "Direction", default=True, labels=DIRECTION),
    ),
    activity=True,
    fa="ایمیل",
)

#: An activity-feed post; ``Source`` 1 is an automatic post, ``Type`` 7 a status post (post entity reference).
POST = _table(
    "Post",
    "posts",
    "Post",
    "Posts",
    "postid",
    "text",
    (
        unique_id("PostId", "Post"),
        memo("Text", "Text", "The post's text.", length=1000),
        choice("Source", "Source", OptionSet((Option(1, "Auto Post"), Option(2, "Manual Post")), default=2)),
        choice(
            "Type",
            "Type",
            OptionSet(
                tuple(
                    Option(i + 1, label)
                    for i, label in enumerate(
                        ("Check-in", "Idea", "News", "Private Message", "Question", "Re-post", "Status")
                    )
                ),
                default=7,
            ),
        ),
        reference("RegardingObjectId", "Regarding", ColumnType.LOOKUP, ("account", "contact", "lead")),
        *audit_columns(),
    ),
    ownership=Ownership.NONE,
)

#: Every activity of every type, read-only (the caller card lists a record's latest activities).
ACTIVITYPOINTER = _table(
    "ActivityPointer",
    "activitypointers",
    "Activity",
    "Activities",
    "activityid",
    "subject",
    (
        unique_id("ActivityId", "Activity"),
        text("Subject", "Subject", length=400),
        text("ActivityTypeCode", "Activity Type", "Logical name of the activity's table.", length=64),
        reference("RegardingObjectId", "Regarding", ColumnType.LOOKUP, REGARDING_TARGETS),
        owner(),
        state(),
        status(),
        *audit_columns(),
    ),
)

INCIDENT = _table(
    "Incident",
    "incidents",
    "Case",
    "Cases",
    "incidentid",
    "title",
    (
        unique_id("IncidentId", "Case"),
        text("Title", "Case Title", length=200, required=REQUIRED, fa="عنوان"),
        text("TicketNumber", "Case Number", length=100),
        memo("Description", "Description", length=2000),
        reference("CustomerId", "Customer", ColumnType.CUSTOMER, ("account", "contact"), required=REQUIRED),
        choice(
            "CaseOriginCode",
            "Origin",
            OptionSet(
                (
                    Option(1, "Phone"),
                    Option(2, "Email"),
                    Option(3, "Web"),
                    Option(2483, "Facebook"),
                    Option(3986, "Twitter"),
                )
            ),
        ),
        choice(
            "PriorityCode", "Priority", OptionSet((Option(1, "High"), Option(2, "Normal"), Option(3, "Low")), default=2)
        ),
        owner(),
        state(OptionSet((Option(0, "Active"), Option(1, "Resolved"), Option(2, "Cancelled")), default=0)),
        status(
            OptionSet(
                (
                    Option(1, "In Progress"),
                    Option(2, "On Hold"),
                    Option(3, "Waiting for Details"),
                    Option(4, "Researching"),
                    Option(5, "Problem Solved"),
                    Option(6, "Cancelled"),
                ),
                default=1,
            )
        ),
        *audit_columns(),
    ),
    fa="پرونده",
)

ACTIVITYPARTY = _table(
    "ActivityParty",
    "activityparties",
    "Activity Party",
    "Activity Parties",
    "activitypartyid",
    "partyidname",
    (
        unique_id("ActivityPartyId", "Activity Party"),
        reference("ActivityId", "Activity", ColumnType.LOOKUP, ("phonecall", "fax", "comms_sms")),
        reference("PartyId", "Party", ColumnType.LOOKUP, PARTY_TARGETS),
        text("PartyIdName", "Party Name", length=4000),
        choice(
            "ParticipationTypeMask",
            "Participation Type",
            OptionSet(
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
                            "Chat Participant",
                            "Related",
                        ),
                        start=1,
                    )
                )
            ),
        ),
        text(
            "AddressUsed", "Address", "The phone number, fax number or e-mail address used for this party.", length=320
        ),
    ),
    ownership=Ownership.NONE,
)

LIST = _table(
    "List",
    "lists",
    "Marketing List",
    "Marketing Lists",
    "listid",
    "listname",
    (
        unique_id("ListId", "Marketing List"),
        text("ListName", "Name", length=128, required=REQUIRED, fa="فهرست بازاریابی"),
        choice(
            "CreatedFromCode", "Member Type", OptionSet((Option(1, "Account"), Option(2, "Contact"), Option(4, "Lead")))
        ),
        boolean("Type", "Type", labels=OptionSet((Option(0, "Static"), Option(1, "Dynamic")))),
        memo("Query", "Query", "FetchXML of a dynamic list.", length=1_048_576),
        integer("MemberCount", "Member Count"),
        owner(),
        state(),
        status(),
        *audit_columns(),
    ),
)

LISTMEMBER = _table(
    "ListMember",
    "listmembers",
    "Marketing List Member",
    "Marketing List Members",
    "listmemberid",
    "entityidname",
    (
        unique_id("ListMemberId", "Marketing List Member"),
        lookup("ListId", "List", "list"),
        reference("EntityId", "Member", ColumnType.LOOKUP, ("account", "contact", "lead")),
        text("EntityIdName", "Member Name", length=4000),
        *audit_columns(),
    ),
    ownership=Ownership.NONE,
)

CAMPAIGN = _table(
    "Campaign",
    "campaigns",
    "Campaign",
    "Campaigns",
    "campaignid",
    "name",
    (
        unique_id("CampaignId", "Campaign"),
        text("Name", "Name", length=128, required=REQUIRED, fa="کمپین"),
        text("CodeName", "Campaign Code", length=32),
        memo("Description", "Description"),
        owner(),
        state(),
        status(),
        *audit_columns(),
    ),
)

CAMPAIGNITEM = _table(
    "CampaignItem",
    "campaignitems",
    "Campaign Item",
    "Campaign Items",
    "campaignitemid",
    "entityidname",
    (
        unique_id("CampaignItemId", "Campaign Item"),
        lookup("CampaignId", "Campaign", "campaign"),
        reference("EntityId", "Item", ColumnType.LOOKUP, ("list",)),
        text("EntityIdName", "Item Name", length=4000),
        integer("EntityType", "Item Type", "Object type code of the item (4300 for a marketing list)."),
    ),
    ownership=Ownership.NONE,
)

QUEUE = _table(
    "Queue",
    "queues",
    "Queue",
    "Queues",
    "queueid",
    "name",
    (
        unique_id("QueueId", "Queue"),
        text("Name", "Queue Name", length=400, required=REQUIRED, fa="صف"),
        email("EMailAddress", "Incoming Email"),
        choice("PriorityCode", "Priority", PRIORITIES),
        owner(),
        state(),
        status(),
        *audit_columns(),
    ),
    fa="صف",
)

#: Queue items: an inbound SMS put in a user's or a queue's work queue (SMS-24). ``objectid`` names the
#: queued activity; ``workerid`` the user working it.
QUEUEITEM = _table(
    "QueueItem",
    "queueitems",
    "Queue Item",
    "Queue Items",
    "queueitemid",
    "title",
    (
        unique_id("QueueItemId", "Queue Item"),
        text("Title", "Title", length=300),
        lookup("QueueId", "Queue", "queue", required=REQUIRED),
        reference(
            "ObjectId",
            "Object",
            ColumnType.LOOKUP,
            ("comms_sms", "phonecall", "fax", "incident", "task", "lead"),
            required=REQUIRED,
        ),
        reference("WorkerId", "Worked By", ColumnType.LOOKUP, ("systemuser", "team")),
        state(),
        *audit_columns(),
    ),
    ownership=Ownership.ORGANIZATION,
)

#: Saved views: the bulk sender reads a view's FetchXML as its audience (SMS-08). System views are
#: organisation-owned ``savedquery`` rows, personal views user-owned ``userquery`` rows.
SAVEDQUERY = _table(
    "SavedQuery",
    "savedqueries",
    "View",
    "Views",
    "savedqueryid",
    "name",
    (
        unique_id("SavedQueryId", "View"),
        text("Name", "Name", length=200, required=REQUIRED),
        text("ReturnedTypeCode", "Table", "Logical name of the table the view returns.", length=64),
        memo("FetchXml", "Query", "The view's FetchXML.", length=1_048_576),
        integer("QueryType", "Query Type", "0 for an ordinary public view."),
        memo("Description", "Description"),
        state(),
        status(),
        *audit_columns(),
    ),
    ownership=Ownership.ORGANIZATION,
)

USERQUERY = _table(
    "UserQuery",
    "userqueries",
    "Saved View",
    "Saved Views",
    "userqueryid",
    "name",
    (
        unique_id("UserQueryId", "Saved View"),
        text("Name", "Name", length=200, required=REQUIRED),
        text("ReturnedTypeCode", "Table", "Logical name of the table the view returns.", length=64),
        memo("FetchXml", "Query", "The view's FetchXML.", length=1_048_576),
        integer("QueryType", "Query Type", "0 for an ordinary personal view."),
        memo("Description", "Description"),
        owner(),
        state(),
        status(),
        *audit_columns(),
    ),
)

#: Microsoft's own many-to-many relationship between users and teams: the intersect table
#: ``teammembership`` holds ``systemuserid`` and ``teamid``; both navigation properties carry the
#: relationship's name (Web API reference: systemuser and team EntityTypes).
TEAM_MEMBERSHIP = ManyToManyRelationship(
    "teammembership_association", "systemuser", "team", "teammembership", is_custom=False
)

AREA = Area(
    name="standard",
    tables=(
        CONTACT,
        ACCOUNT,
        LEAD,
        SYSTEMUSER,
        TEAM,
        BUSINESSUNIT,
        PHONECALL,
        FAX,
        ANNOTATION,
        APPNOTIFICATION,
        TASK,
        EMAIL,
        POST,
        INCIDENT,
        ACTIVITYPOINTER,
        ACTIVITYPARTY,
        LIST,
        LISTMEMBER,
        CAMPAIGN,
        CAMPAIGNITEM,
        QUEUE,
        QUEUEITEM,
        SAVEDQUERY,
        USERQUERY,
    ),
    many_to_many=(TEAM_MEMBERSHIP,),
)
