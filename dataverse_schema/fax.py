"""Fax tables: fax servers and their numbers, and the suite's columns on the standard fax activity.

Serves FAX-01..26. A user or a flow sends a fax by creating a fax activity
(with the document as a note); the bridge submits it to the chosen server,
retries per the server's settings until the give-up time, and writes the
detailed status back. The server key plus the server's job id form the fax's
alternate key, so a received fax or a status report replayed never duplicates.
"""

from __future__ import annotations

from dataclasses import replace

from dataverse_schema.columns import (
    REQUIRED,
    boolean,
    choice,
    custom_table,
    integer,
    key,
    lookup,
    phone,
    relationships_of,
    text,
    when,
)
from dataverse_schema.model import Area, Cascade, Ownership, TableExtension, choices
from dataverse_schema.sms import CALENDARS
from dataverse_schema.telephony import LINK_STATUS

AREA_NAME = "fax"

SERVER_KINDS = choices(("HylaFAX", "HylaFAX"), ("Windows Fax Server", "فکس سرور ویندوز"), ("MyFax", "MyFax"))
FAX_STATUS = choices(
    ("Draft", "پیش‌نویس"),
    ("Pending", "در صف ارسال"),
    ("Queued on server", "در صف سرور"),
    ("Sending", "در حال ارسال"),
    ("Sent", "ارسال شده"),
    ("Busy, will retry", "مشغول"),
    ("No answer, will retry", "بی‌پاسخ"),
    ("Failed", "ناموفق"),
    ("Gave up", "توقف ارسال"),
    ("Received", "دریافت شده"),
    ("Cancelled", "لغو شده"),
    ("Rejected: no fax number", "بدون شماره فکس"),
    ("Rejected: recipient allows no faxes", "گیرنده فکس نمی‌پذیرد"),
    default=0,
)

#: The SMS templates' calendars; a new fax server's header stays Gregorian, as headers were before the choice.
HEADER_CALENDARS = replace(CALENDARS, default=CALENDARS.value_of("Gregorian"))
HEADER_LANGUAGES = choices(("English", "انگلیسی"), ("Persian", "فارسی"), default=0)

SERVER_KEY_HELP = "Key shared with the bridge's local configuration; identifies this server on every fax."

FAX_SERVER = custom_table(
    "comms_FaxServer",
    "Fax Server",
    "Fax Servers",
    "A fax server the bridge (or the cloud, for MyFax) sends and receives through, with its retry and "
    "dialling settings (FAX-02, FAX-08, FAX-10, FAX-20..26).",
    fa="سرور فکس",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    has_notes=True,
    primary_name=text("comms_Name", "Name", "Name shown to users.", required=REQUIRED, fa="نام"),
    keys=(key("comms_faxserver_serverkey", "Server key", "comms_serverkey"),),
    columns=(
        text("comms_ServerKey", "Server Key", SERVER_KEY_HELP, length=50, required=REQUIRED, fa="کلید سرور"),
        choice(
            "comms_Kind",
            "Kind",
            SERVER_KINDS,
            "HylaFAX (Elastix/Issabel), Windows Fax Server or MyFax.",
            required=REQUIRED,
            fa="نوع",
        ),
        boolean(
            "comms_IsDefault", "Default", "Faxes that name no server go out through the default (FAX-10).", fa="پیش‌فرض"
        ),
        text(
            "comms_DialPrefix",
            "Dial Prefix",
            "Digits dialled first to reach an outside line, e.g. 9.",
            length=10,
            fa="پیش‌شماره",
        ),
        integer(
            "comms_ExtensionWaitSeconds",
            "Extension Wait (seconds)",
            "Seconds to wait after the number answers before dialling the extension behind its IVR (FAX-07).",
            maximum=120,
            fa="مکث قبل از داخلی",
        ),
        integer(
            "comms_RetryCount",
            "Retries",
            "Further attempts after a busy, unanswered or failed send (FAX-06).",
            maximum=50,
            fa="تعداد تلاش مجدد",
        ),
        integer(
            "comms_RetryIntervalMinutes",
            "Retry Interval (minutes)",
            "Wait between attempts.",
            minimum=1,
            maximum=1440,
            fa="فاصله تلاش",
        ),
        integer(
            "comms_StatusRefreshSeconds",
            "Status Refresh (seconds)",
            "How often the status of queued faxes is read.",
            minimum=5,
            maximum=3600,
        ),
        text(
            "comms_PageHeader",
            "Page Header",
            "Company name or header printed on every page sent (FAX-14).",
            length=200,
            fa="سربرگ صفحه",
        ),
        text(
            "comms_HeaderTimeZone",
            "Header Time Zone",
            "IANA time zone of the date and time in the page header, e.g. Asia/Tehran; empty: the host's SMS time "
            "zone setting, else UTC (FAX-14).",
            length=64,
            fa="منطقه زمانی سربرگ",
        ),
        choice(
            "comms_HeaderCalendar",
            "Header Calendar",
            HEADER_CALENDARS,
            "Calendar of the date in the page header: Gregorian or Persian (Jalali) (FAX-14, X-05).",
            fa="تقویم سربرگ",
        ),
        choice(
            "comms_HeaderLanguage",
            "Header Language",
            HEADER_LANGUAGES,
            "Words and digits of the page header: English, or Persian right to left with Persian digits "
            "(FAX-14, X-05); also the language of the subjects and notes written on this server's faxes.",
            fa="زبان سربرگ",
        ),
        boolean(
            "comms_ReceiveEnabled", "Receive Faxes", "Fetch received faxes from this server (FAX-16).", default=True
        ),
        text(
            "comms_CredentialReference",
            "Credential Reference",
            "For MyFax: Key Vault secret URI or app-setting name of the account key. Never the secret itself.",
            length=500,
        ),
        choice("comms_LinkStatus", "Link Status", LINK_STATUS, "The last report on the link to the server."),
        text("comms_LinkDetail", "Link Detail", "Plain-words detail of the last link problem.", length=500),
        when("comms_LastSeenOn", "Last Seen On", "When the server was last reached."),
        when(
            "comms_TestRequestedOn",
            "Test Requested On",
            "Set by the form's Test Connection command; the "
            "bridge serving this server logs in, logs out and writes the result (FAX-20).",
            fa="درخواست آزمون",
        ),
        when("comms_TestedOn", "Tested On", "When the bridge answered the last connection test.", fa="زمان آزمون"),
        text(
            "comms_TestResult",
            "Test Result",
            "The last connection test's outcome in plain words: the server's greeting, or why it could not be reached.",
            length=500,
            fa="نتیجه آزمون",
        ),
    ),
)

FAX_NUMBER = custom_table(
    "comms_FaxNumber",
    "Fax Number",
    "Fax Numbers",
    "A number a fax server sends from and receives on; one per fax may be chosen (FAX-09).",
    fa="شماره فکس",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    primary_name=text("comms_Name", "Name", "Name shown to users.", required=REQUIRED, fa="نام"),
    keys=(key("comms_faxnumber_servernumber", "Server and number", "comms_serverkey", "comms_number"),),
    cascades={"comms_faxserverid": Cascade.CASCADE},
    columns=(
        lookup(
            "comms_FaxServerId",
            "Fax Server",
            "comms_faxserver",
            "Server this number belongs to.",
            required=REQUIRED,
            fa="سرور فکس",
        ),
        text("comms_ServerKey", "Server Key", SERVER_KEY_HELP, length=50, required=REQUIRED),
        phone("comms_Number", "Number", "The fax number.", required=REQUIRED, fa="شماره"),
        text("comms_StationId", "Station Id", "TSID/CSID shown to the other side.", length=20),
        boolean("comms_IsDefault", "Default for Server", "Used when a fax names the server but no number."),
        boolean("comms_CanSend", "Can Send", "Faxes may be sent from this number.", default=True),
        boolean("comms_CanReceive", "Can Receive", "Faxes arrive on this number.", default=True),
        lookup("comms_SystemUserId", "User", "systemuser", "User who owns faxes received on this number."),
    ),
)

_FAX_COLUMNS = (
    lookup(
        "comms_FaxServerId",
        "Fax Server",
        "comms_faxserver",
        "Server to send through; empty means the default (FAX-08).",
        fa="سرور فکس",
    ),
    lookup(
        "comms_FaxNumberId",
        "Sending Number",
        "comms_faxnumber",
        "Our number the fax goes out from (FAX-09).",
        fa="شماره ارسال",
    ),
    text("comms_ServerKey", "Server Key", SERVER_KEY_HELP, length=50),
    text(
        "comms_JobId",
        "Server Job Id",
        "The fax server's job id; with the server key it is the fax's idempotency key.",
        fa="شناسه کار",
    ),
    when("comms_SendAfter", "Send After", "Do not send before this time (FAX-05).", fa="ارسال پس از"),
    when("comms_GiveUpAfter", "Give Up After", "Stop retrying after this time (FAX-05).", fa="توقف پس از"),
    integer("comms_Attempts", "Attempts", "Dial attempts made so far (FAX-06).", maximum=1000, fa="تلاش‌ها"),
    choice("comms_FaxStatus", "Fax Status", FAX_STATUS, "Where the fax stands (FAX-11).", fa="وضعیت فکس"),
    text(
        "comms_StatusDetail",
        "Status Detail",
        "The server's detailed status in plain words: busy, no answer, pages sent (FAX-11).",
        length=500,
        fa="جزئیات وضعیت",
    ),
    text("comms_Extension", "Extension", "Extension to dial after the number answers (FAX-07).", length=20, fa="داخلی"),
    phone("comms_DialString", "Dialled", "Exactly what was dialled: prefix, number, pause, extension.", length=100),
    text("comms_RemoteStationId", "Remote Station Id", "TSID/CSID the other machine reported.", length=50),
    when("comms_LastAttemptOn", "Last Attempt On", "When the last attempt ended."),
    when("comms_NextAttemptOn", "Next Attempt On", "When the next attempt is due."),
)

FAX_EXTENSION = TableExtension(
    table="fax",
    columns=_FAX_COLUMNS,
    keys=(key("comms_fax_serverjob", "Server job", "comms_serverkey", "comms_jobid"),),
    relationships=relationships_of("fax", _FAX_COLUMNS),
)

AREA = Area(name=AREA_NAME, tables=(FAX_SERVER, FAX_NUMBER), extensions=(FAX_EXTENSION,))
