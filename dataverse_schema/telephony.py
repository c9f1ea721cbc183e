"""Telephony tables: systems, lines, extensions, click-to-call, recordings, and phone-call columns.

Serves CALL-01..35. A telephony system row is the CRM side of one PBX or
caller-ID box the bridge watches; its key is shared with the bridge's local
config. Every phone call the suite logs carries that key and the PBX's own
call id, which together form the alternate key the bridge upserts by, so a
replayed event never duplicates a call.
"""

from __future__ import annotations

from dataverse_schema.columns import (
    REQUIRED,
    boolean,
    choice,
    custom_table,
    integer,
    key,
    lookup,
    memo,
    phone,
    relationships_of,
    text,
    when,
)
from dataverse_schema.model import Area, Cascade, Ownership, TableExtension, choices

AREA_NAME = "telephony"

SYSTEM_KINDS = choices(
    ("Asterisk (AMI)", "استریسک"),
    ("Panasonic SMDR", "پاناسونیک SMDR"),
    ("Caller-ID box", "دستگاه کالر آیدی"),
    ("Other (adapter)", "سایر"),
)
CONNECTION_KINDS = choices(("TCP", "شبکه"), ("Serial port (RS-232)", "پورت سریال"))
CALL_VISIBILITY = choices(
    ("Everyone", "همه کاربران"),
    ("Own extension only", "فقط داخلی کاربر"),
    ("Owner of the matched record", "مالک رکورد"),
    default=0,
)
LINK_STATUS = choices(
    ("Unknown", "نامشخص"),
    ("Connected", "متصل"),
    ("Disconnected", "قطع"),
    ("Login failed", "خطای ورود"),
    ("Error", "خطا"),
    default=0,
)
RECORDING_SOURCES = choices(
    ("None", "ندارد"),
    ("Asterisk monitor folder (SFTP)", "پوشه ضبط استریسک"),
    ("Recorder box folder", "پوشه دستگاه ضبط"),
    default=0,
)
CLICK_TO_CALL_STATUS = choices(
    ("Pending", "در انتظار"),
    ("Ringing extension", "زنگ داخلی"),
    ("Dialling", "در حال شماره‌گیری"),
    ("Connected", "برقرار"),
    ("Failed", "ناموفق"),
    ("Cancelled", "لغو شده"),
    default=0,
)
CALL_RESULTS = choices(
    ("Answered", "پاسخ داده شده"),
    ("No answer", "بی‌پاسخ"),
    ("Busy", "مشغول"),
    ("Rejected", "رد شده"),
    ("Failed", "ناموفق"),
    ("Voicemail", "پیام صوتی"),
)
MATCH_RESULTS = choices(
    ("Matched", "شناسایی شده"),
    ("Several matches", "چند رکورد"),
    ("Unknown number", "شماره ناشناس"),
    ("Not matched (internal or hidden)", "بدون تطبیق"),
)
RECORDING_STATUS = choices(
    ("Found", "یافت شد"),
    ("Attached", "پیوست شد"),
    ("Not found", "یافت نشد"),
    ("Failed", "ناموفق"),
    default=0,
)

SYSTEM_KEY_HELP = "Key shared with the bridge's local configuration; identifies this system on every call."

TELEPHONY_SYSTEM = custom_table(
    "comms_TelephonySystem",
    "Telephony System",
    "Telephony Systems",
    "One PBX or caller-ID box the bridge watches, with the settings it reads from the CRM (CALL-21, CALL-27).",
    fa="سامانه تلفنی",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    has_notes=True,
    primary_name=text("comms_Name", "Name", "Name shown to users, e.g. the branch.", required=REQUIRED, fa="نام"),
    keys=(key("comms_telephonysystem_systemkey", "System key", "comms_systemkey"),),
    columns=(
        text("comms_SystemKey", "System Key", SYSTEM_KEY_HELP, length=50, required=REQUIRED, fa="کلید سامانه"),
        choice("comms_Kind", "Kind", SYSTEM_KINDS, "How the bridge talks to this system.", required=REQUIRED, fa="نوع"),
        text("comms_PbxModel", "PBX Model", "Model and version, e.g. Issabel 4, KX-TDE600, KX-NS500.", fa="مدل"),
        choice(
            "comms_ConnectionKind",
            "Connection",
            CONNECTION_KINDS,
            "TCP (AMI, SMDR over TCP) or a serial port. Host, port and passwords stay in the bridge's file.",
        ),
        text("comms_SerialPort", "Serial Port", "COM port or device the bridge reads SMDR from, e.g. COM3.", length=50),
        integer("comms_BaudRate", "Baud Rate", "Serial speed, e.g. 9600.", minimum=300, maximum=921_600),
        text(
            "comms_DateFormat",
            "SMDR Date Format",
            "Date layout the PBX prints in SMDR lines, e.g. MM/DD/YY or DD/MM/YY.",
            length=20,
        ),
        text("comms_TimeZone", "PBX Time Zone", "IANA time zone of the PBX clock, e.g. Asia/Tehran.", length=64),
        text(
            "comms_CountryCode",
            "Country Code",
            "Country calling code used to normalise numbers, e.g. 98.",
            length=4,
            required=REQUIRED,
            fa="کد کشور",
        ),
        text(
            "comms_CityCode",
            "City Code",
            "Area code without the trunk prefix, e.g. 21 for Tehran.",
            length=6,
            fa="کد شهر",
        ),
        text(
            "comms_LineReleasePrefix",
            "Line-Release Prefix",
            "Digits dialled to seize an outside line (e.g. 9): stripped from logged numbers, added when "
            "dialling (CALL-23).",
            length=4,
            fa="پیش‌شماره خط",
        ),
        integer(
            "comms_MinimumDigits",
            "Minimum Digits to Log",
            "Numbers shorter than this are internal and not logged (CALL-13).",
            maximum=32,
        ),
        memo(
            "comms_HiddenExtensions",
            "Hidden Extensions",
            "Extensions whose calls are never logged or popped up (DISA, ring groups), comma-separated.",
            length=2000,
        ),
        boolean(
            "comms_AutoRegisterLines",
            "Auto-Register Lines",
            "Create a line row for each new trunk or DID the PBX reports (CALL-35).",
            default=True,
        ),
        boolean(
            "comms_AutoRegisterExtensions",
            "Auto-Register Extensions",
            "Create an extension row for each new extension the PBX reports (CALL-35).",
            default=True,
        ),
        choice(
            "comms_CallVisibility",
            "Call Visibility",
            CALL_VISIBILITY,
            "Who sees which calls: everyone, the user of the extension, or the matched record's owner (CALL-34).",
            fa="نمایش تماس‌ها",
        ),
        memo(
            "comms_ResponsibleColumns",
            "Responsible-Person Columns",
            "Lookup columns to users on a matched record whose users may read the call (CALL-41), e.g. "
            "contact: ownerid, comms_supportownerid; account: ownerid. Empty shares with nobody.",
            length=2000,
            fa="ستون‌های مسئولان",
        ),
        text(
            "comms_OriginateContext",
            "Originate Context",
            "Dialplan context click-to-call and the console's dialer place calls in; empty means the bridge's "
            "setting, else from-internal (CALL-40).",
            length=80,
        ),
        text(
            "comms_IvrVariable",
            "IVR Data Variable",
            "Channel variable that carries what the caller typed in the IVR (CALL-22).",
            length=100,
        ),
        choice(
            "comms_RecordingSource",
            "Recording Source",
            RECORDING_SOURCES,
            "Where recordings are fetched from (CALL-28).",
        ),
        text("comms_RecordingHost", "Recording Host", "SFTP host holding the recordings.", length=255),
        integer("comms_RecordingPort", "Recording Port", "SFTP port, normally 22.", minimum=1, maximum=65535),
        text(
            "comms_RecordingPath",
            "Recording Folder",
            "Folder pattern, e.g. /var/spool/asterisk/monitor/YYYY/MM/DD.",
            length=500,
        ),
        boolean(
            "comms_AttachRecordings",
            "Attach Recordings",
            "Attach the recording file to the phone call as a note, not only a reference.",
            default=True,
        ),
        boolean(
            "comms_NotifyMissedCalls",
            "Notify Missed Calls",
            "Send the extension's user an in-app notification for each missed call (CALL-03).",
            default=True,
        ),
        boolean(
            "comms_NotifyWaitingCalls",
            "Notify Waiting Callers",
            "Send the extension's user an in-app notification when a caller waits in a queue (CALL-05).",
            default=False,
        ),
        boolean(
            "comms_UnknownCallerEvents",
            "Events for Unknown Callers",
            "Send missed-call and waiting-caller notifications also for callers who match no record (CALL-43).",
            default=True,
        ),
        text(
            "comms_Language",
            "Subject Language",
            "Language of the phone-call subjects, the missed-call and waiting-caller notices and the "
            "call-recording notes the bridge writes: en or fa.",
            length=10,
        ),
        choice(
            "comms_LinkStatus",
            "Link Status",
            LINK_STATUS,
            "The bridge's last report on its link to the PBX.",
            fa="وضعیت اتصال",
        ),
        text("comms_LinkDetail", "Link Detail", "Plain-words detail of the last link problem.", length=500),
        when("comms_LastSeenOn", "Last Seen On", "When the bridge last reported on this system."),
    ),
)

PHONE_LINE = custom_table(
    "comms_PhoneLine",
    "Phone Line",
    "Phone Lines",
    "An outside line, trunk or DID of a telephony system; one may be the default for outbound calls "
    "(CALL-12, CALL-24).",
    fa="خط تلفن",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    primary_name=text("comms_Name", "Name", "Name shown to users, e.g. Sales DID.", required=REQUIRED, fa="نام"),
    keys=(key("comms_phoneline_systemline", "System and line", "comms_systemkey", "comms_lineid"),),
    cascades={"comms_telephonysystemid": Cascade.CASCADE},
    columns=(
        lookup(
            "comms_TelephonySystemId",
            "Telephony System",
            "comms_telephonysystem",
            "The system this line belongs to.",
            required=REQUIRED,
            fa="سامانه تلفنی",
        ),
        text("comms_SystemKey", "System Key", SYSTEM_KEY_HELP, length=50, required=REQUIRED),
        text(
            "comms_LineId",
            "PBX Line Id",
            "The line as the PBX reports it: trunk name, CO line number or DID.",
            required=REQUIRED,
        ),
        phone("comms_Number", "Number", "The public number or DID callers dial.", fa="شماره"),
        boolean(
            "comms_IsDefault",
            "Default for Outbound",
            "Click-to-call uses this line unless another is chosen (CALL-24).",
            fa="پیش‌فرض",
        ),
        text("comms_DialPrefix", "Route Prefix", "Digits that select this line when dialling out.", length=10),
        boolean("comms_AutoRegistered", "Auto-Registered", "Created automatically from PBX traffic."),
    ),
)

EXTENSION = custom_table(
    "comms_Extension",
    "Extension",
    "Extensions",
    "An internal extension of a telephony system and the user who answers it (CALL-03, CALL-29).",
    fa="داخلی",
    area=AREA_NAME,
    ownership=Ownership.ORGANIZATION,
    primary_name=text("comms_Name", "Name", "Name shown to users, e.g. 201 Reception.", required=REQUIRED, fa="نام"),
    keys=(key("comms_extension_systemnumber", "System and extension", "comms_systemkey", "comms_number"),),
    cascades={"comms_telephonysystemid": Cascade.CASCADE},
    columns=(
        lookup(
            "comms_TelephonySystemId",
            "Telephony System",
            "comms_telephonysystem",
            "The system this extension belongs to.",
            required=REQUIRED,
            fa="سامانه تلفنی",
        ),
        text("comms_SystemKey", "System Key", SYSTEM_KEY_HELP, length=50, required=REQUIRED),
        text(
            "comms_Number",
            "Extension Number",
            "The extension as dialled internally, e.g. 201.",
            length=20,
            required=REQUIRED,
            fa="شماره داخلی",
        ),
        lookup(
            "comms_SystemUserId",
            "User",
            "systemuser",
            "The user who answers this extension; gets its pop-ups and may click-to-call from it.",
            fa="کاربر",
        ),
        text("comms_Channel", "Device", "PBX device used to ring it for click-to-call, e.g. PJSIP/201.", length=100),
        boolean(
            "comms_CanOriginate",
            "May Click-to-Call",
            "Whether click-to-call may ring this extension (CALL-29).",
            default=True,
        ),
        boolean("comms_AutoRegistered", "Auto-Registered", "Created automatically from PBX traffic."),
    ),
)

CLICK_TO_CALL = custom_table(
    "comms_ClickToCall",
    "Click-to-Call Request",
    "Click-to-Call Requests",
    "A user's request to ring their extension and then dial a number; the bridge carries it out and writes "
    "the outcome back (CALL-16, CALL-17, CALL-29).",
    fa="درخواست تماس",
    area=AREA_NAME,
    primary_name=text("comms_Name", "Name", "Generated: the number and the requesting user.", length=200, fa="عنوان"),
    columns=(
        lookup("comms_SystemUserId", "User", "systemuser", "Who asked for the call.", required=REQUIRED, fa="کاربر"),
        phone("comms_Number", "Number", "Number to call, as chosen on the record.", required=REQUIRED, fa="شماره"),
        phone("comms_DialledNumber", "Dialled Number", "What the PBX was asked to dial, prefixes included."),
        lookup(
            "comms_PhoneLineId", "Line", "comms_phoneline", "Line to call out on; empty means the default.", fa="خط"
        ),
        lookup(
            "comms_ExtensionId",
            "Extension",
            "comms_extension",
            "Extension rung first; empty means the user's own.",
            fa="داخلی",
        ),
        lookup(
            "comms_TelephonySystemId", "Telephony System", "comms_telephonysystem", "The system that places the call."
        ),
        choice("comms_Status", "Request Status", CLICK_TO_CALL_STATUS, "Where the request stands.", fa="وضعیت"),
        memo("comms_Error", "Error", "Why the call could not be placed, in plain words.", length=2000, fa="خطا"),
        text(
            "comms_RegardingTable", "Record Table", "Logical name of the record the call was started from.", length=100
        ),
        text("comms_RegardingId", "Record Id", "Id of the record the call was started from.", length=36),
        lookup("comms_PhoneCallId", "Phone Call", "phonecall", "The phone call logged for this request."),
        when("comms_CompletedOn", "Completed On", "When the request reached its final status."),
    ),
)

CALL_RECORDING = custom_table(
    "comms_CallRecording",
    "Call Recording",
    "Call Recordings",
    "Where the recording of a call lives and whether it was attached to the phone call (CALL-28).",
    fa="ضبط مکالمه",
    area=AREA_NAME,
    has_notes=True,
    primary_name=text("comms_Name", "Name", "Generated: the file name.", length=200, fa="عنوان"),
    keys=(
        key(
            "comms_callrecording_file", "System, call and file", "comms_systemkey", "comms_pbxcallid", "comms_filename"
        ),
    ),
    cascades={"comms_phonecallid": Cascade.CASCADE},
    columns=(
        lookup("comms_PhoneCallId", "Phone Call", "phonecall", "The call that was recorded.", fa="تماس"),
        lookup(
            "comms_TelephonySystemId", "Telephony System", "comms_telephonysystem", "The system that recorded the call."
        ),
        text("comms_SystemKey", "System Key", SYSTEM_KEY_HELP, length=50, required=REQUIRED),
        text("comms_PbxCallId", "PBX Call Id", "The PBX's id of the recorded call.", required=REQUIRED),
        text("comms_FileName", "File Name", "Recording file name on the recorder.", length=200, required=REQUIRED),
        text("comms_SourcePath", "Source Path", "Full path of the file on the recorder.", length=1000),
        text("comms_MimeType", "MIME Type", "e.g. audio/wav.", length=100),
        integer("comms_SizeBytes", "Size (bytes)", "File size in bytes."),
        integer("comms_DurationSeconds", "Duration (seconds)", "Length of the recording in seconds."),
        when("comms_RecordedOn", "Recorded On", "When the recording started."),
        choice(
            "comms_Status", "Recording Status", RECORDING_STATUS, "Whether the file was found and attached.", fa="وضعیت"
        ),
        text("comms_NoteId", "Note Id", "Id of the note on the phone call that holds the file.", length=36),
        memo("comms_Error", "Error", "Why the recording could not be fetched, in plain words."),
    ),
)

_PHONECALL_COLUMNS = (
    text(
        "comms_PbxCallId",
        "PBX Call Id",
        "The PBX's own id of the call (AMI Linkedid, SMDR line key); with "
        "the system key it is the call's idempotency key.",
        fa="شناسه تماس",
    ),
    text("comms_SystemKey", "System Key", SYSTEM_KEY_HELP, length=50),
    lookup(
        "comms_TelephonySystemId",
        "Telephony System",
        "comms_telephonysystem",
        "The system that reported the call.",
        fa="سامانه تلفنی",
    ),
    lookup(
        "comms_PhoneLineId",
        "Line",
        "comms_phoneline",
        "Line or DID the call came in or went out on (CALL-12).",
        fa="خط",
    ),
    lookup(
        "comms_ExtensionId", "Extension", "comms_extension", "Extension that answered or placed the call.", fa="داخلی"
    ),
    phone(
        "comms_RawNumber",
        "Number as Reported",
        "The other party's number exactly as the PBX sent it; the phone number column holds it normalised.",
        length=100,
    ),
    phone("comms_LineNumber", "Line Number as Reported", "Line, trunk or DID exactly as the PBX sent it."),
    text("comms_ExtensionNumber", "Extension as Reported", "Extension exactly as the PBX sent it.", length=20),
    boolean("comms_Answered", "Answered", "False for missed or rejected calls (CALL-08).", fa="پاسخ داده شد"),
    choice("comms_CallResult", "Call Result", CALL_RESULTS, "How the call ended.", fa="نتیجه تماس"),
    integer("comms_RingSeconds", "Ring Time (seconds)", "Seconds from first ring to answer or hang-up.", fa="مدت زنگ"),
    integer(
        "comms_TalkSeconds",
        "Talk Time (seconds)",
        "Seconds from answer to hang-up, time on hold excluded (CALL-07).",
        fa="مدت مکالمه",
    ),
    integer(
        "comms_HoldSeconds",
        "Hold Time (seconds)",
        "Seconds the answered call spent on hold; talk time plus hold time is the time it was connected.",
        fa="مدت انتظار",
    ),
    when("comms_AnsweredOn", "Answered On", "When the call was answered."),
    text(
        "comms_IvrData",
        "IVR Data",
        "What the caller entered in the IVR, e.g. a customer code (CALL-22).",
        length=500,
        fa="داده IVR",
    ),
    text("comms_Queue", "PBX Queue", "PBX queue the call waited in (CALL-05).", length=100),
    choice(
        "comms_MatchResult",
        "Caller Match",
        MATCH_RESULTS,
        "Whether the number matched a record (CALL-04, CALL-11).",
        fa="تطبیق",
    ),
)

PHONECALL_EXTENSION = TableExtension(
    table="phonecall",
    columns=_PHONECALL_COLUMNS,
    keys=(key("comms_phonecall_pbxcall", "PBX call", "comms_systemkey", "comms_pbxcallid"),),
    relationships=relationships_of("phonecall", _PHONECALL_COLUMNS),
)

AREA = Area(
    name=AREA_NAME,
    tables=(TELEPHONY_SYSTEM, PHONE_LINE, EXTENSION, CLICK_TO_CALL, CALL_RECORDING),
    extensions=(PHONECALL_EXTENSION,),
)


# Logical names the bridge writes and reads (bridge/calls/logger.py, bridge/crm/settings.py,
# connectors/crm/phone_call.py): kept here so no other layer spells a Dataverse name itself.
PHONECALL_KEY_COLUMNS = ("comms_systemkey", "comms_pbxcallid")
PHONECALL_PARTIES = "phonecall_activity_parties"
#: Tables an activity party may point at
#: (MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/activityparty-entity.md); others are kept by
#: address only.
PHONECALL_PARTY_TABLES = ("account", "contact", "lead", "systemuser")
#: An activity party's ``participationtypemask``: Sender 1, To recipient 2
#: (MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/activityparty-entity.md).
PARTY_SENDER = 1
PARTY_TO_RECIPIENT = 2
PHONECALL_STATE_COMPLETED = 1
PHONECALL_STATUS_MADE = 2
PHONECALL_STATUS_RECEIVED = 4
SYSTEM_KEY_COLUMNS = ("comms_systemkey",)
LINE_KEY_COLUMNS = ("comms_systemkey", "comms_lineid")
EXTENSION_KEY_COLUMNS = ("comms_systemkey", "comms_number")
