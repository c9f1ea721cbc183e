"""Main forms of the fax tables (FAX-01, -05..-11, -20..-26; issue 13).

- **Fax Server**: the connection (key shared with the bridge, kind, default, receiving,
  where the secret is kept), dialling (prefix, wait before the extension), the page
  header (text / tag line, its time zone, calendar and language; FAX-14), retries and
  status refresh, and the last connection test with the link's state. The ribbon's
  *Test Connection* (``solution/fax_ribbon.py``) stamps *Test Requested On*; the bridge
  answers in *Test Result*.
- **Fax Number**: the number, its server, the station id shown to the far end, whether it
  sends, receives or is the server's default, and the user who owns faxes received on it.
- **CommSuite Fax** on the standard fax activity: a second main form beside Dynamics' own
  *Fax* form (a solution cannot add one section to a standard form without carrying the
  whole form, which would replace the organisation's layout on upgrade). It shows the
  fax, how it is sent (server, sending number, extension, send after, give up after) and
  where it stands (status, detail, attempts, times, what was dialled).

The forms use :class:`solution.forms.Form`, so their ids are name-based and stable.
"""

from __future__ import annotations

from solution.forms import Form, Section

FAX_SERVER_FORM = Form(
    key="comms_faxserver.main",
    table="comms_faxserver",
    english="Fax Server",
    persian="سرور فکس",
    description="CommSuite fax server: connection, dialling, retries and the connection test (FAX-20..26).",
    header=("comms_kind", "comms_isdefault", "comms_linkstatus", "statuscode"),
    layout=(
        (
            Section(
                "connection",
                "Connection",
                "اتصال",
                (
                    "comms_name",
                    "comms_serverkey",
                    "comms_kind",
                    "comms_isdefault",
                    "comms_receiveenabled",
                    "comms_credentialreference",
                ),
            ),
            Section(
                "dialling",
                "Dialling",
                "شماره‌گیری",
                ("comms_dialprefix", "comms_extensionwaitseconds"),
            ),
            Section(
                "header",
                "Page Header",
                "سربرگ صفحه",
                ("comms_pageheader", "comms_headertimezone", "comms_headercalendar", "comms_headerlanguage"),
            ),
        ),
        (
            Section(
                "retries",
                "Retries and Status",
                "تلاش مجدد و وضعیت",
                ("comms_retrycount", "comms_retryintervalminutes", "comms_statusrefreshseconds"),
            ),
            Section(
                "test",
                "Connection Test",
                "آزمون اتصال",
                (
                    "comms_testrequestedon",
                    "comms_testedon",
                    "comms_testresult",
                    "comms_linkstatus",
                    "comms_linkdetail",
                    "comms_lastseenon",
                ),
            ),
        ),
    ),
)

FAX_NUMBER_FORM = Form(
    key="comms_faxnumber.main",
    table="comms_faxnumber",
    english="Fax Number",
    persian="شماره فکس",
    description="CommSuite fax number: the server it belongs to, what it may do, who owns faxes received on it "
    "(FAX-09, FAX-10).",
    header=("comms_faxserverid", "comms_isdefault", "statuscode"),
    layout=(
        (
            Section(
                "number",
                "Number",
                "شماره",
                ("comms_name", "comms_number", "comms_faxserverid", "comms_serverkey", "comms_stationid"),
            ),
        ),
        (
            Section(
                "use", "Use", "کاربرد", ("comms_isdefault", "comms_cansend", "comms_canreceive", "comms_systemuserid")
            ),
        ),
    ),
)

FAX_FORM = Form(
    key="fax.main",
    table="fax",
    english="CommSuite Fax",
    persian="فکس CommSuite",
    description="CommSuite fax: the document's recipient and regarding, how it is sent and where it stands; "
    "Send Fax on the command bar hands it to the bridge (FAX-01, FAX-05..11).",
    header=("comms_faxstatus", "directioncode", "ownerid"),
    layout=(
        (
            Section(
                "fax",
                "Fax",
                "فکس",
                ("subject", "to", "from", "faxnumber", "comms_extension", "regardingobjectid", "description"),
            ),
        ),
        (
            Section(
                "sending",
                "Sending",
                "ارسال",
                ("comms_faxserverid", "comms_faxnumberid", "comms_sendafter", "comms_giveupafter"),
            ),
            Section(
                "status",
                "Status",
                "وضعیت",
                (
                    "comms_faxstatus",
                    "comms_statusdetail",
                    "comms_attempts",
                    "numberofpages",
                    "comms_lastattempton",
                    "comms_nextattempton",
                    "comms_dialstring",
                    "comms_remotestationid",
                ),
            ),
        ),
    ),
)

FAX_FORMS = (FAX_SERVER_FORM, FAX_NUMBER_FORM, FAX_FORM)
