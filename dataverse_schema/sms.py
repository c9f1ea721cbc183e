"""SMS tables: the SMS activity, bulk sends, templates, provider accounts, numbers, attempts,
keyword rules and the opt-out list.

Serves SMS-01..23. Users and flows send a text by creating an SMS activity with
status *Pending*; the cloud side sends it, records each attempt in an SMS
process row, and writes delivery reports back. Provider accounts carry a short
account key that scopes the provider's message ids: the SMS activity's
alternate key is (account key, provider message id), so an inbound message or
a delivery report replayed by the provider never duplicates a row.
"""

from __future__ import annotations

from dataverse_schema.columns import (
    REQUIRED,
    activity_table,
    boolean,
    choice,
    custom_table,
    decimal,
    integer,
    key,
    lookup,
    memo,
    phone,
    text,
    url,
    when,
)
from dataverse_schema.model import Area, Cascade, Ownership, choices

AREA_NAME = "sms"

DIRECTIONS = choices(("Outgoing", "ارسالی"), ("Incoming", "دریافتی"), default=0)
SMS_STATUS = choices(
    ("Draft", "پیش‌نویس"),
    ("Pending", "در صف ارسال"),
    ("Queued at provider", "در صف سرویس‌دهنده"),
    ("Sent to operator", "ارسال به اپراتور"),
    ("Delivered", "تحویل شده"),
    ("Failed", "ناموفق"),
    ("Received", "دریافت شده"),
    ("Cancelled", "لغو شده"),
    ("Sending", "در حال ارسال"),
    ("Outcome unknown", "نیازمند بررسی"),
    default=0,
)
ATTEMPT_STATUS = choices(
    ("Sending", "در حال ارسال"),
    ("Accepted by provider", "پذیرفته شده"),
    ("Sent to operator", "ارسال به اپراتور"),
    ("Delivered", "تحویل شده"),
    ("Failed", "ناموفق"),
    ("Outcome unknown", "نامشخص"),
    default=0,
)
BULK_STATE = choices(
    ("Draft", "پیش‌نویس"),
    ("Queued", "در صف"),
    ("Running", "در حال ارسال"),
    ("Paused", "متوقف"),
    ("Completed", "تکمیل شده"),
    ("Completed with errors", "تکمیل با خطا"),
    ("Cancelled", "لغو شده"),
    default=0,
)
VIEW_KINDS = choices(("System view", "نمای سیستمی"), ("Personal view", "نمای شخصی"))
CALENDARS = choices(("Gregorian", "میلادی"), ("Persian (Jalali)", "شمسی"), default=1)
PROVIDER_STATUS = choices(
    ("Unknown", "نامشخص"),
    ("Working", "فعال"),
    ("Authentication failed", "خطای احراز هویت"),
    ("Unreachable", "در دسترس نیست"),
    ("Out of credit", "اعتبار کافی نیست"),
    default=0,
)
RULE_ACTIONS = choices(
    ("Auto-reply", "پاسخ خودکار"),
    ("Create case", "ایجاد پرونده"),
    ("Update record", "به‌روزرسانی رکورد"),
    ("Start flow", "اجرای گردش کار"),
    ("Opt out", "لغو عضویت"),
    ("Opt back in", "عضویت دوباره"),
    ("Keyword service", "سرویس کلیدواژه"),
    ("Create lead", "ایجاد سرنخ"),
    ("Create task", "ایجاد کار"),
)
REPLY_CHANNELS = choices(("SMS", "پیامک"), ("Email", "ایمیل"), ("Fax", "فکس"), default=0)
MATCH_MODES = choices(("First word", "کلمه اول"), ("Any word", "هر کلمه"), ("Whole text", "کل متن"), default=0)
INBOUND_ROUTES = choices(
    ("Nobody", "هیچ‌کس"),
    ("Owner of matched record", "مالک رکورد"),
    ("Related person", "شخص مرتبط"),
    ("Queue", "صف"),
    default=0,
)
#: A keyword rule's *Inbound Goes To*: the line's choice, or one of the line's own options (SMS-24).
RULE_ROUTES = choices(
    ("As the line says", "طبق تنظیم خط"),
    ("Nobody", "هیچ‌کس"),
    ("Owner of matched record", "مالک رکورد"),
    ("Related person", "شخص مرتبط"),
    ("Queue", "صف"),
    default=0,
)
OPT_OUT_SOURCES = choices(
    ("Keyword SMS", "پیامک کلیدواژه"),
    ("Manual", "دستی"),
    ("Import", "ورود داده"),
    ("Provider report", "گزارش سرویس‌دهنده"),
    default=1,
)

ACCOUNT_KEY_HELP = (
    "Short stable key of the provider account; scopes provider message ids and names the account in webhook URLs."
)

SMS_PROVIDER = custom_table(
    "comms_SmsProvider",
    "SMS Provider Account",
    "SMS Provider Accounts",
    "An account with an SMS provider: which connector to use, where its secret is kept, the default flag, "
    "the last credit read and the price per part (SMS-13, SMS-14, SMS-18).",
    fa="حساب سرویس پیامک",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    primary_name=text("comms_Name", "Name", "Name shown to users.", required=REQUIRED, fa="نام"),
    keys=(key("comms_smsprovider_accountkey", "Account key", "comms_accountkey"),),
    columns=(
        text("comms_AccountKey", "Account Key", ACCOUNT_KEY_HELP, length=50, required=REQUIRED, fa="کلید حساب"),
        text(
            "comms_ProviderKind",
            "Provider Kind",
            "Connector kind as registered in the suite, e.g. kavenegar, smsir, magfa, twilio.",
            length=50,
            required=REQUIRED,
            fa="نوع سرویس‌دهنده",
        ),
        boolean(
            "comms_IsDefault",
            "Default",
            "Messages without a chosen account go out through the default (SMS-13).",
            fa="پیش‌فرض",
        ),
        url("comms_BaseUrl", "API Address", "Override of the provider's API address; empty uses the connector's."),
        text("comms_UserName", "User Name", "Account user name where the provider needs one (not secret).", length=200),
        text(
            "comms_CredentialReference",
            "Credential Reference",
            "Where the API key or password is kept: a "
            "Key Vault secret URI or an app-setting name. Never the secret itself.",
            length=500,
        ),
        memo("comms_Settings", "Other Settings", "Provider-specific settings as JSON (no secrets).", length=4000),
        memo(
            "comms_PanelDescription",
            "Panel Description",
            "For kind configurable: the panel's send, status, "
            "credit and inbound calls as JSON (see docs/sms-providers.md); checked when the account is built. "
            "Placeholders such as {password} name the secret; never paste the secret here.",
            length=65_536,
            fa="توصیف سامانه پیامک",
        ),
        decimal("comms_Balance", "Credit", "Remaining credit as the provider last reported it (SMS-14).", fa="اعتبار"),
        text("comms_BalanceUnit", "Credit Unit", "Unit of the credit, e.g. IRR, messages, USD.", length=20),
        decimal(
            "comms_PricePerPart",
            "Price per Part",
            "What one SMS part costs, in the credit unit. The SMS "
            "form shows a text's cost before it is sent; empty shows its parts only (SMS-06, issue 4).",
            minimum=0,
            fa="بهای هر بخش",
        ),
        when("comms_BalanceReadOn", "Credit Read On", "When the credit was last read.", fa="زمان خواندن اعتبار"),
        decimal("comms_LowBalanceThreshold", "Low-Credit Warning", "Warn administrators below this credit."),
        boolean(
            "comms_IsLowBalance",
            "Credit Low",
            "Set when the last credit read was at or below the low-credit warning (SMS-14).",
            fa="اعتبار کم",
        ),
        integer(
            "comms_PollIntervalSeconds",
            "Polling Interval (seconds)",
            "How often inbound messages and delivery reports are polled; 0 when the provider pushes them (SMS-21).",
            maximum=86_400,
        ),
        integer(
            "comms_MaxAttempts",
            "Send Attempts",
            "Attempts before a message is marked failed (SMS-22, SMS-23).",
            minimum=1,
            maximum=20,
        ),
        integer(
            "comms_RetryIntervalSeconds", "Retry Interval (seconds)", "Wait between send attempts.", maximum=86_400
        ),
        choice(
            "comms_ProviderStatus",
            "Provider Status",
            PROVIDER_STATUS,
            "Result of the last call to the provider.",
            fa="وضعیت",
        ),
        text("comms_StatusDetail", "Status Detail", "Plain-words detail of the last problem.", length=500),
        integer(
            "comms_WebhookGeneration",
            "Webhook Key Generation",
            "Raise by one to rotate this account's "
            "webhook URL tokens (delivery reports and inbound texts); the old URLs stop working at once. "
            "Column-secured: administrators only.",
            maximum=1_000_000,
        ),
    ),
)

SMS_NUMBER = custom_table(
    "comms_SmsNumber",
    "SMS Number",
    "SMS Numbers",
    "A sender number of a provider account, optionally dedicated to one user: recipients see it, and "
    "inbound messages to it belong to that user (SMS-04, SMS-17).",
    fa="شماره پیامک",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    primary_name=text("comms_Name", "Name", "Name shown to users.", required=REQUIRED, fa="نام"),
    keys=(key("comms_smsnumber_number", "Number", "comms_number"),),
    columns=(
        phone(
            "comms_Number",
            "Number",
            "The number as the provider expects it, e.g. 3000123456 or +14155550100.",
            required=REQUIRED,
            fa="شماره",
        ),
        lookup(
            "comms_SmsProviderId",
            "Provider Account",
            "comms_smsprovider",
            "Account this number is rented from.",
            required=REQUIRED,
            fa="حساب سرویس",
        ),
        lookup("comms_SystemUserId", "User", "systemuser", "User this number is dedicated to (SMS-04).", fa="کاربر"),
        boolean("comms_CanSend", "Can Send", "Messages may be sent from this number.", default=True),
        boolean("comms_CanReceive", "Can Receive", "Inbound messages arrive on this number.", default=True),
        boolean("comms_IsDefault", "Default for Account", "Used when a message names the account but no number."),
        choice(
            "comms_InboundRoute",
            "Inbound Goes To",
            INBOUND_ROUTES,
            "Whose work queue an inbound text lands "
            "in: the matched record's owner, the person its Related Person Column names, or the Queue "
            "(SMS-24). The Queue also takes texts no person can be found for.",
            fa="مقصد پیامک دریافتی",
        ),
        text(
            "comms_RelatedPersonColumn",
            "Related Person Column",
            "Logical name of the matched record's "
            "lookup to a user or team whose queue receives the text, e.g. comms_accountmanagerid.",
            length=100,
        ),
        lookup("comms_InboundQueueId", "Inbound Queue", "queue", "Queue for inbound texts (SMS-24)."),
        integer(
            "comms_RouteWithinMinutes",
            "Route Within (minutes)",
            "Longest time between receipt and the work queue; empty means 5 (SMS-24).",
            minimum=1,
            maximum=1440,
        ),
    ),
)

SMS_TEMPLATE = custom_table(
    "comms_SmsTemplate",
    "SMS Template",
    "SMS Templates",
    "Reusable text with placeholders such as {firstname} or {parentcustomerid.comms_debt} (SMS-01, SMS-09, "
    "SMS-11, SMS-12).",
    fa="قالب پیامک",
    area=AREA_NAME,
    primary_name=text("comms_Name", "Name", "Name shown to users.", required=REQUIRED, fa="نام"),
    columns=(
        memo(
            "comms_Body",
            "Text",
            "Message text; {column} and {lookup.column} placeholders are filled from the recipient record.",
            length=4000,
            required=REQUIRED,
            fa="متن",
        ),
        text(
            "comms_TargetTable",
            "Record Table",
            "Logical name of the table whose columns the placeholders name; empty for any.",
            length=100,
        ),
        choice(
            "comms_Calendar", "Date Calendar", CALENDARS, "Calendar used for dates filled into the text.", fa="تقویم"
        ),
        boolean(
            "comms_AllowSecuredColumns",
            "Allow Secured Columns",
            "Placeholders may name column-secured "
            "columns (still read with the sender's rights). Column-secured: administrators only.",
        ),
    ),
)

SMS_BULK = custom_table(
    "comms_SmsBulk",
    "SMS Bulk Send",
    "SMS Bulk Sends",
    "One send to every member of a marketing list, a campaign, a saved view or a FetchXML query, with "
    "progress counters; an interrupted run resumes from its cursor with no duplicate and no gap (SMS-08, "
    "SMS-10).",
    fa="ارسال گروهی پیامک",
    area=AREA_NAME,
    has_activities=True,
    primary_name=text("comms_Name", "Name", "Name shown to users.", length=200, required=REQUIRED, fa="نام"),
    columns=(
        lookup("comms_ListId", "Marketing List", "list", "List whose members receive the text.", fa="فهرست بازاریابی"),
        lookup("comms_CampaignId", "Campaign", "campaign", "Campaign whose lists receive the text.", fa="کمپین"),
        text(
            "comms_SavedViewId",
            "Saved View Id",
            "Id (GUID) of the system or personal view whose contacts, "
            "accounts or leads receive the text; set instead of a list, a campaign or a query.",
            length=38,
            fa="شناسه نما",
        ),
        choice(
            "comms_SavedViewKind",
            "Saved View Kind",
            VIEW_KINDS,
            "Whether the saved view id names a system view (savedquery) or a personal view (userquery).",
            fa="نوع نما",
        ),
        memo(
            "comms_FetchXml",
            "Audience Query (FetchXML)",
            "FetchXML selecting the contacts, accounts or leads "
            "that receive the text, one table and its filters; set instead of a list, a campaign or a view.",
            length=100_000,
            fa="پرس‌وجوی گیرندگان",
        ),
        lookup("comms_SmsTemplateId", "Template", "comms_smstemplate", "Template filled per recipient.", fa="قالب"),
        memo("comms_Message", "Text", "Text sent when no template is chosen.", length=4000, fa="متن"),
        lookup(
            "comms_SmsProviderId",
            "Provider Account",
            "comms_smsprovider",
            "Account to send through; empty means the default.",
        ),
        lookup("comms_SmsNumberId", "Sender Number", "comms_smsnumber", "Number recipients see."),
        text(
            "comms_RecipientColumns",
            "Phone Columns",
            "Phone columns tried in order for each member, e.g. mobilephone,telephone2.",
            length=500,
        ),
        boolean(
            "comms_CreateActivities", "Create SMS Activities", "Create an SMS activity per recipient.", default=True
        ),
        boolean(
            "comms_IsTransactional",
            "Transactional",
            "A service message (bill, outage notice): sent at "
            "any hour and without the opt-out notice. Marketing sends wait for the sending window "
            "(SMS-10).",
            fa="اطلاع‌رسانی خدماتی",
        ),
        when("comms_SendAfter", "Send After", "Do not start before this time."),
        choice("comms_BulkState", "Progress", BULK_STATE, "Where the send stands.", fa="وضعیت"),
        integer("comms_TotalCount", "Recipients", "Members found when the run started.", fa="تعداد گیرندگان"),
        integer("comms_SentCount", "Sent", "Messages accepted by the provider.", fa="ارسال شده"),
        integer("comms_DeliveredCount", "Delivered", "Messages confirmed delivered.", fa="تحویل شده"),
        integer("comms_FailedCount", "Failed", "Messages that failed after all attempts.", fa="ناموفق"),
        integer("comms_SkippedCount", "Skipped", "Members skipped: no number or opted out.", fa="رد شده"),
        text(
            "comms_Cursor", "Resume Point", "Id of the last member handled; a resumed run starts after it.", length=200
        ),
        when("comms_StartedOn", "Started On", "When the run started."),
        when("comms_CompletedOn", "Completed On", "When the run finished."),
        memo("comms_LastError", "Last Error", "The last problem met, in plain words."),
    ),
)

SMS = activity_table(
    "comms_Sms",
    "SMS",
    "SMS Messages",
    "A text message sent or received, on the timeline of the record it concerns (SMS-01..SMS-06, SMS-20).",
    fa="پیامک",
    area=AREA_NAME,
    regarding=("account", "contact", "lead", "incident", "campaign", "comms_smsbulk"),
    parties=("account", "contact", "lead", "systemuser"),
    keys=(key("comms_sms_providermessage", "Provider message", "comms_provideraccountkey", "comms_providermessageid"),),
    columns=(
        choice("comms_Direction", "Direction", DIRECTIONS, "Sent by us or received.", fa="جهت"),
        choice(
            "comms_SmsStatus",
            "SMS Status",
            SMS_STATUS,
            "Where the message stands: pending → queued → sent to operator → delivered, or failed (SMS-20).",
            fa="وضعیت پیامک",
        ),
        phone(
            "comms_PhoneNumber",
            "Phone Number",
            "The other party's number, normalised.",
            required=REQUIRED,
            fa="شماره تلفن",
        ),
        phone("comms_SenderNumber", "Our Number", "Our number the message was sent from or to."),
        memo("comms_Message", "Text", "The message text exactly as sent or received.", length=4000, fa="متن"),
        lookup(
            "comms_SmsProviderId",
            "Provider Account",
            "comms_smsprovider",
            "Account used; empty means the default.",
            fa="حساب سرویس",
        ),
        lookup("comms_SmsNumberId", "Sender Number", "comms_smsnumber", "Our number, when registered."),
        lookup("comms_SmsTemplateId", "Template", "comms_smstemplate", "Template the text came from."),
        lookup("comms_SmsBulkId", "Bulk Send", "comms_smsbulk", "Bulk send this message belongs to."),
        text("comms_ProviderAccountKey", "Provider Account Key", ACCOUNT_KEY_HELP, length=50),
        text(
            "comms_ProviderMessageId",
            "Provider Message Id",
            "The provider's id of the message; with the account key it is the idempotency key.",
        ),
        integer("comms_Segments", "Parts", "Number of SMS parts the text needs.", maximum=255),
        integer("comms_Attempts", "Attempts", "Send attempts so far (SMS-22).", maximum=1000),
        when("comms_SentOn", "Sent On", "When the provider accepted the message."),
        when("comms_DeliveredOn", "Delivered On", "When delivery to the handset was confirmed."),
        when("comms_ReceivedOn", "Received On", "When an inbound message reached the provider."),
        when(
            "comms_RouteDueOn",
            "Route Due On",
            "Latest time an inbound text is to be in a work queue (SMS-24); empty when its line routes nowhere.",
        ),
        when("comms_QueuedOn", "Queued On", "When the inbound text was put in a work queue (SMS-24)."),
        when(
            "comms_FlowDueOn",
            "Flow Due On",
            "Set when the matched rule starts a flow; cleared once the flow accepted or refused the text (SMS-16).",
        ),
        when(
            "comms_FlowStartedOn",
            "Flow Started On",
            "When the matched rule's flow accepted this text; a text starts its flow once (SMS-16).",
        ),
        lookup(
            "comms_KeywordRuleId",
            "Matched Rule",
            "comms_keywordrule",
            "The keyword rule that matched this inbound text, written with the text; its routing applies (SMS-16, "
            "SMS-24).",
        ),
        memo("comms_Error", "Error", "Why the message failed, in plain words.", fa="خطا"),
        when(
            "comms_OperatorOn",
            "Sent to Operator On",
            "When the provider handed the message to the mobile operator (SMS-20).",
        ),
        when("comms_FailedOn", "Failed On", "When the message was given up as failed (SMS-20, SMS-22)."),
        when(
            "comms_NextAttemptOn",
            "Next Attempt On",
            "When a failed send is tried again (SMS-22); empty means as soon as possible.",
        ),
        when(
            "comms_ClaimedOn",
            "Send Claimed On",
            "When a sender took the message; a claim older than a few "
            "minutes belongs to a sender that stopped and is taken over.",
        ),
    ),
)

SMS_PROCESS = custom_table(
    "comms_SmsProcess",
    "SMS Process",
    "SMS Processes",
    "One attempt to send an SMS: our id sent to the provider, the provider's message id, status, error and "
    "timestamps (SMS-20, SMS-22).",
    fa="فرآیند ارسال پیامک",
    area=AREA_NAME,
    primary_name=text("comms_Name", "Name", "Generated: message and attempt number.", length=200),
    keys=(key("comms_smsprocess_attemptkey", "Attempt key", "comms_attemptkey"),),
    cascades={"comms_smsid": Cascade.CASCADE},
    columns=(
        lookup("comms_SmsId", "SMS", "comms_sms", "The message this attempt sends.", required=REQUIRED, fa="پیامک"),
        integer("comms_Attempt", "Attempt", "1 for the first attempt.", minimum=1, maximum=1000),
        text(
            "comms_AttemptKey",
            "Attempt Key",
            "Our own id of the attempt, sent to the provider where it "
            "accepts one, so a retry after a crash never texts twice.",
            length=100,
            required=REQUIRED,
        ),
        lookup("comms_SmsProviderId", "Provider Account", "comms_smsprovider", "Account used."),
        text("comms_ProviderMessageId", "Provider Message Id", "The provider's id of the message."),
        choice("comms_AttemptStatus", "Attempt Status", ATTEMPT_STATUS, "Outcome of the attempt.", fa="وضعیت"),
        text("comms_ErrorCode", "Provider Code", "The provider's status or error code.", length=50),
        memo("comms_Error", "Error", "Provider's reason in plain words."),
        when("comms_RequestedOn", "Requested On", "When the request was sent to the provider."),
        when("comms_AcceptedOn", "Accepted On", "When the provider accepted it."),
        when("comms_DeliveredOn", "Delivered On", "When delivery was confirmed."),
        when("comms_StatusCheckedOn", "Status Checked On", "When the status was last read."),
        integer(
            "comms_StatusBadReplies",
            "Unreadable Status Replies",
            "How many status replies in a row about this message could not be read; each doubles the wait "
            "before it is asked again (SMS-20).",
            minimum=0,
            maximum=1000,
        ),
        when(
            "comms_StatusRetryOn",
            "Status Retry On",
            "After an unreadable status reply: when this message is asked about again (the other messages of "
            "the account are polled as usual).",
        ),
        when(
            "comms_ReconciledOn",
            "Reconciled On",
            "When an attempt whose outcome was unknown was looked up at the provider by our id.",
        ),
    ),
)

KEYWORD_RULE = custom_table(
    "comms_KeywordRule",
    "SMS Keyword Rule",
    "SMS Keyword Rules",
    "What to do when an inbound text contains a keyword: reply, open a case, update a record, start a flow or "
    "opt the sender out (SMS-02, SMS-07, SMS-15, SMS-16).",
    fa="قانون کلیدواژه",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    primary_name=text("comms_Name", "Name", "Name shown to users.", required=REQUIRED, fa="نام"),
    columns=(
        text(
            "comms_Keywords",
            "Keywords",
            "Keywords that trigger the rule, comma-separated; matched without "
            "regard to case or Persian/Arabic letter variants.",
            length=500,
            required=REQUIRED,
            fa="کلیدواژه‌ها",
        ),
        text(
            "comms_Separators",
            "Separators",
            "Characters that split the text into words; empty means space, comma, Persian comma and semicolon.",
            length=50,
        ),
        choice("comms_MatchMode", "Match", MATCH_MODES, "Which words of the text are compared."),
        integer("comms_Order", "Order", "Rules are tried in ascending order; the first match wins.", maximum=100_000),
        choice("comms_Action", "Action", RULE_ACTIONS, "What the rule does.", required=REQUIRED, fa="عملیات"),
        lookup(
            "comms_ReplyTemplateId",
            "Reply Template",
            "comms_smstemplate",
            "Text of the automatic answer.",
            fa="قالب پاسخ",
        ),
        choice(
            "comms_ReplyChannel",
            "Reply By",
            REPLY_CHANNELS,
            "How the answer is sent (SMS-07): SMS to the sender; Email or Fax to the matched contact, account or lead.",
        ),
        lookup("comms_TeamId", "Target Team", "team", "Team that owns the case created."),
        lookup(
            "comms_QueueId",
            "Target Queue",
            "queue",
            "Queue the created case, lead or task is put in; with Inbound Goes To = Queue, the text too.",
        ),
        text(
            "comms_CaseTitle",
            "Case Title",
            "Title of the created case; the rest of the text becomes its description.",
            length=200,
        ),
        text("comms_TargetTable", "Table to Update", "Logical name of the table an update rule changes.", length=100),
        text("comms_TargetColumn", "Column to Update", "Logical name of the column an update rule sets.", length=100),
        url("comms_FlowUrl", "Flow Address", "HTTP trigger of the flow a start-flow rule calls.", length=1000),
        text(
            "comms_Service",
            "Keyword Service",
            "Name of the lookup a keyword-service rule calls, e.g. balance or usage (SMS-07).",
            length=100,
        ),
        text(
            "comms_Value",
            "Value to Set",
            "Value an update rule writes, or the argument passed to the keyword service.",
            length=500,
        ),
        choice(
            "comms_InboundRoute",
            "Inbound Goes To",
            RULE_ROUTES,
            "Whose work queue a text this rule matched lands in; As the line says keeps the line's choice (SMS-24).",
        ),
        text(
            "comms_RelatedPersonColumn",
            "Related Person Column",
            "Logical name of the matched record's lookup to the user or team whose queue receives the text.",
            length=100,
        ),
        integer(
            "comms_RouteWithinMinutes",
            "Route Within (minutes)",
            "Longest time between receipt and the work queue; empty means the line's (SMS-24).",
            minimum=1,
            maximum=1440,
        ),
        lookup(
            "comms_SmsNumberId",
            "Only for Number",
            "comms_smsnumber",
            "Applies only to texts to this number; empty for all.",
        ),
    ),
)

SMS_OPT_OUT = custom_table(
    "comms_SmsOptOut",
    "SMS Opt-Out",
    "SMS Opt-Outs",
    "A number that asked not to receive SMS; active rows are never sent to (SMS-15).",
    fa="لغو دریافت پیامک",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    primary_name=text(
        "comms_PhoneNumber",
        "Phone Number",
        "The opted-out number as it was written (a keyword writes it in E.164; a user may type any spelling).",
        length=50,
        required=REQUIRED,
        fa="شماره تلفن",
    ),
    keys=(key("comms_smsoptout_phonenumber", "Phone number", "comms_phonenumber"),),
    columns=(
        when("comms_OptedOutOn", "Opted Out On", "When the opt-out was received.", fa="زمان لغو"),
        choice("comms_Source", "Source", OPT_OUT_SOURCES, "How the opt-out arrived."),
        text("comms_Keyword", "Keyword", "Keyword the customer texted.", length=100),
        lookup("comms_SmsId", "Inbound SMS", "comms_sms", "The message that asked for the opt-out."),
        text(
            "comms_NormalisedNumber",
            "Normalised Number",
            "The phone number in E.164, written by the suite (a keyword opt-out, else the SMS sweep); "
            "'not a number' when the phone number is none. Single sends look opt-outs up by it (SMS-15).",
            length=50,
            fa="شماره استاندارد",
        ),
    ),
)

AREA = Area(
    name=AREA_NAME,
    tables=(SMS_PROVIDER, SMS_NUMBER, SMS_TEMPLATE, SMS_BULK, SMS, SMS_PROCESS, KEYWORD_RULE, SMS_OPT_OUT),
)
