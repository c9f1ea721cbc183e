"""``POST emails(<id>)/Microsoft.Dynamics.CRM.SendEmail``: the e-mail activity's bound send action.

The action (Web API reference, CRM 2016 and later:
https://learn.microsoft.com/en-us/previous-versions/dynamicscrm-2016/developers-guide/mt608061(v=crm.8);
today https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/reference/sendemail)
takes ``IssueSend`` (send it, or only mark it sent) and ``TrackingToken`` and answers
``SendEmailResponse {Subject}``. What it does to the record follows the organisation service's
``SendEmailRequest``: only a draft outgoing e-mail with at least one recipient is sent; it becomes
*Completed* (statecode 1) with status *Pending Send* (6) when ``IssueSend`` is true, for server-side
synchronisation to deliver, or *Sent* (3) when false. The refusals' words follow XrmMockup's model of
the message (delegateas/XrmMockup, ``SendEmailRequestHandler``); the error codes a real server puts
beside them are UNCONFIRMED. The sender check that model also makes is not played (the suite's
notices name one anyway). Every profile serves it: the action exists from CRM 2016 (8.0) on.
"""

from __future__ import annotations

from emulator.errors import ODataError, bad_request
from emulator.odata import parse_query_options, parse_record_ref
from emulator.server.context import Service
from emulator.server.wire import ApiRequest, ApiResponse, Segment, json_response

ACTION = "Microsoft.Dynamics.CRM.SendEmail"
STATE_COMPLETED = 1
STATUS_DRAFT, STATUS_SENT, STATUS_PENDING_SEND = 1, 3, 6
RECIPIENT_MASKS = (2, 3, 4)  # To, CC, BCC
_INVALID = "0x80040203"  # UNCONFIRMED for these refusals


def matches(segments: list[Segment]) -> bool:
    """True for ``emails(<id>)/Microsoft.Dynamics.CRM.SendEmail``."""
    return (
        len(segments) == 2
        and segments[0].name == "emails"
        and segments[0].ref is not None
        and segments[1].ref is None
        and segments[1].name == ACTION
    )


def route(service: Service, request: ApiRequest, segments: list[Segment]) -> ApiResponse:
    if request.method != "POST":
        raise ODataError(405, "0x80060888", "SendEmail is an action: POST it with a JSON body.")
    body = request.json_object()
    issue_send = body.get("IssueSend")
    if not isinstance(issue_send, bool):
        raise bad_request("SendEmail needs the parameter 'IssueSend' (true or false).")
    unexpected = sorted(set(body) - {"IssueSend", "TrackingToken"})
    if unexpected:
        raise bad_request(f"Unexpected parameter(s) {', '.join(unexpected)}; SendEmail takes IssueSend, TrackingToken.")
    ref = parse_record_ref(str(segments[0].ref))
    columns = "activityid,subject,statuscode,directioncode"
    email = service.store.retrieve("emails", ref, parse_query_options({"$select": columns}))
    if email.get("statuscode") != STATUS_DRAFT:
        raise ODataError(400, _INVALID, "Email must be in Draft status to send")
    if email.get("directioncode") is False:
        raise ODataError(400, _INVALID, "Cannot send incoming email messages")
    if not _has_recipient(service, str(email["activityid"])):
        raise ODataError(400, _INVALID, "The email must have at least one recipient before it can be sent")
    status = STATUS_PENDING_SEND if issue_send else STATUS_SENT
    service.store.update("emails", ref, {"statecode": STATE_COMPLETED, "statuscode": status}, must_exist=True)
    return json_response(
        200,
        {
            "@odata.context": f"{request.service_root}$metadata#Microsoft.Dynamics.CRM.SendEmailResponse",
            "Subject": email.get("subject"),
        },
    )


def _has_recipient(service: Service, activity_id: str) -> bool:
    options = parse_query_options(
        {"$select": "participationtypemask", "$filter": f"_activityid_value eq {activity_id}"}
    )
    page = service.store.query("activityparties", options, page_size=50, skiptoken=None)
    return any(row.get("participationtypemask") in RECIPIENT_MASKS for row in page.rows)
