"""The connector's actions: send an SMS, send a document by fax (or create / attach / send a fax), ask for a call
(X-02; SMS-05, FAX-04, CALL-16).

Each action creates or updates the row a person would on the form, in the state the senders pick up:

- **Send SMS** creates an outgoing SMS activity with *SMS Status* = Pending; the Functions app (or the
  on-premises daemon) sends it through the chosen or default provider account (docs/sms.md).
- **Send a document by fax** creates the fax already Pending together with its document notes in one
  request (a deep insert through the fax's ``Fax_Annotation`` navigation property): Dataverse writes the
  fax and its notes in one transaction, so the fax sender never sees the fax without its notes.
- **Create fax** → **Attach a document** → **Send fax** do the same in three steps: the fax is created as a
  Draft, its document is a note (``annotation``) on it, then it is set Pending. The bridge sends Pending
  faxes with the notes they carry; a fax set Pending before its note exists would fail "The fax has no
  attachment" (docs/fax.md).
- **Click-to-call** creates a Click-to-Call Request with status Pending; the bridge rings the user's
  extension, then dials the number (docs/click-to-call.md).
"""

from __future__ import annotations

from dataverse_schema.fax import FAX_STATUS
from dataverse_schema.names import Account, Annotation, ClickToCall, Contact, Fax, Incident, Lead, Sms, SystemUser
from dataverse_schema.sms import DIRECTIONS, SMS_STATUS
from dataverse_schema.telephony import CLICK_TO_CALL_STATUS, PARTY_TO_RECIPIENT
from solution.connector import fields
from solution.connector.fields import ADVANCED, IMPORTANT, Schema
from solution.connector.wire import (
    Operation,
    body,
    fixed_segment,
    operation,
    record_id,
    reply,
    return_representation,
    select,
    update_only,
)

#: Tables a flow may name as the SMS's or the fax's recipient (the senders read these numbers).
PERSON_TABLES = (Contact.TABLE, Account.TABLE, Lead.TABLE)
#: The request's optional lookups: which extension rings, on which line and telephony system.
_CALL_SETTINGS = (ClickToCall.EXTENSIONID, ClickToCall.PHONELINEID, ClickToCall.TELEPHONYSYSTEMID)
#: What a fax's create actions answer with.
_FAX_RETURNED = (Fax.ACTIVITYID, Fax.FAXSTATUS, Fax.CREATEDON)
#: Tables a flow may name as what the SMS or the fax is about.
REGARDING_TABLES = (Contact.TABLE, Account.TABLE, Lead.TABLE, Incident.TABLE)


def actions() -> tuple[Operation, ...]:
    """Every action of the connector, in the order the designer lists them."""
    return (send_sms(), send_document_by_fax(), create_fax(), attach_fax_document(), send_fax(), click_to_call())


def send_sms() -> Operation:
    """``POST /comms_smses``: an outgoing SMS, Pending, so the sender sends it (SMS-05)."""
    table = Sms.TABLE
    properties: dict[str, Schema] = {
        Sms.MESSAGE: fields.column(table, Sms.MESSAGE, visibility=IMPORTANT, description=_MESSAGE_HELP),
        Sms.PHONENUMBER: fields.column(table, Sms.PHONENUMBER, visibility=IMPORTANT, description=_NUMBER_HELP),
        **fields.regarding_binds(table, REGARDING_TABLES),
        fields.parties_key(table): fields.recipients(table, PERSON_TABLES + (SystemUser.TABLE,), PARTY_TO_RECIPIENT),
        Sms.SENDERNUMBER: fields.column(table, Sms.SENDERNUMBER, visibility=ADVANCED),
        **fields.binds(table, (Sms.SMSNUMBERID, Sms.SMSPROVIDERID, Sms.SMSTEMPLATEID), visibility=ADVANCED),
        Sms.SUBJECT: fields.column(table, Sms.SUBJECT, visibility=ADVANCED, description="Shown in views."),
        Sms.DIRECTION: fields.fixed(table, Sms.DIRECTION, DIRECTIONS.value_of("Outgoing"), description="Outgoing."),
        Sms.SMSSTATUS: fields.fixed(
            table, Sms.SMSSTATUS, SMS_STATUS.value_of("Pending"), description="Pending: the sender sends it."
        ),
    }
    spec = _create(
        (
            "SendSms",
            "Send SMS",
            "Creates an outgoing SMS (Pending); CommSuite sends it and writes every step back onto the row.",
        ),
        table,
        properties,
        required=[Sms.MESSAGE, Sms.SMSSTATUS],
        returned=(Sms.ACTIVITYID, Sms.SMSSTATUS, Sms.CREATEDON),
        what="The new SMS",
    )
    return Operation(f"/{Sms.SET}", "post", spec)


def send_document_by_fax() -> Operation:
    """``POST /faxes`` with ``Fax_Annotation``: an outgoing fax, Pending, created with its documents (FAX-04).

    One deep insert: the fax and its notes are written in one transaction, so the fax sender, which sends a
    Pending fax with the notes it has at that moment, never finds the fax without them.
    """
    table = Fax.TABLE
    notes = fields.related_rows(table, Annotation.TABLE, Annotation.OBJECTID)
    documents: Schema = {
        "type": "array",
        "minItems": 1,
        "x-ms-summary": "Documents",
        "description": "The files to fax; each becomes a note on the fax. Notes created together have no set order.",
        "x-ms-visibility": IMPORTANT,
        "items": {
            "type": "object",
            "required": [Annotation.FILENAME, Annotation.DOCUMENTBODY],
            "properties": _document_properties(),
        },
    }
    properties = {
        **_fax_properties(FAX_STATUS.value_of("Pending"), "Pending: the bridge sends it with its documents."),
        notes: documents,
    }
    spec = _create(
        (
            "SendDocumentByFax",
            "Send a document by fax",
            "Creates an outgoing fax with its documents in one step (Pending); the bridge sends it.",
        ),
        table,
        properties,
        required=[Fax.FAXSTATUS, Fax.DIRECTIONCODE, notes],
        returned=_FAX_RETURNED,
        what="The new fax",
        path_parameters=[fixed_segment("faxSet", Fax.SET, "The faxes' entity set (Create fax posts to the same URL).")],
    )
    return Operation("/{faxSet}", "post", spec)


def create_fax() -> Operation:
    """``POST /faxes``: an outgoing fax as a Draft, to attach its document to (FAX-04)."""
    table = Fax.TABLE
    properties = _fax_properties(FAX_STATUS.value_of("Draft"), "Draft until Send fax.")
    spec = _create(
        ("CreateFax", "Create fax", "Creates an outgoing fax as a Draft. Attach its document next, then Send fax."),
        table,
        properties,
        required=[Fax.FAXSTATUS, Fax.DIRECTIONCODE],
        returned=_FAX_RETURNED,
        what="The new fax",
    )
    return Operation(f"/{Fax.SET}", "post", spec)


def _fax_properties(status: int, status_help: str) -> dict[str, Schema]:
    """An outgoing fax's fields, its *Fax Status* fixed to ``status``."""
    table = Fax.TABLE
    return {
        Fax.FAXNUMBER: fields.column(table, Fax.FAXNUMBER, visibility=IMPORTANT, description=_FAX_NUMBER_HELP),
        **fields.regarding_binds(table, REGARDING_TABLES),
        fields.parties_key(table): fields.recipients(table, PERSON_TABLES, PARTY_TO_RECIPIENT),
        Fax.SUBJECT: fields.column(table, Fax.SUBJECT, visibility=ADVANCED, description=_FAX_SUBJECT_HELP),
        Fax.EXTENSION: fields.column(table, Fax.EXTENSION, visibility=ADVANCED),
        **fields.binds(table, (Fax.FAXSERVERID, Fax.FAXNUMBERID), visibility=ADVANCED),
        Fax.SENDAFTER: fields.column(table, Fax.SENDAFTER, visibility=ADVANCED),
        Fax.GIVEUPAFTER: fields.column(table, Fax.GIVEUPAFTER, visibility=ADVANCED),
        Fax.DIRECTIONCODE: fields.fixed(table, Fax.DIRECTIONCODE, True, description="Outgoing."),
        Fax.FAXSTATUS: fields.fixed(table, Fax.FAXSTATUS, status, description=status_help),
    }


def _document_properties() -> dict[str, Schema]:
    """A document note's fields: the file's name and content (base64), its type and a title."""
    table = Annotation.TABLE
    return {
        Annotation.FILENAME: fields.column(table, Annotation.FILENAME, visibility=IMPORTANT, description=_FILE_HELP),
        Annotation.DOCUMENTBODY: {
            **fields.column(table, Annotation.DOCUMENTBODY, visibility=IMPORTANT, description=_CONTENT_HELP),
            "format": "byte",
        },
        Annotation.MIMETYPE: fields.column(table, Annotation.MIMETYPE, visibility=ADVANCED),
        Annotation.SUBJECT: fields.column(table, Annotation.SUBJECT, visibility=ADVANCED),
    }


def attach_fax_document() -> Operation:
    """``POST /annotations``: the document as a note on the fax, as the fax sender reads it."""
    table = Annotation.TABLE
    fax_key, fax_bind = fields.bind(table, Annotation.OBJECTID, Fax.TABLE, visibility=IMPORTANT)
    properties: dict[str, Schema] = {
        fax_key: {**fax_bind, "x-ms-summary": "Fax", "description": "The fax as /faxes(<id>) (Create fax's id)."},
        **_document_properties(),
    }
    spec = _create(
        (
            "AttachFaxDocument",
            "Attach a document to a fax",
            "Adds a file (PDF, TIFF, an image, an office document) to a fax, as a note. Several may be attached.",
        ),
        table,
        properties,
        required=[fax_key, Annotation.FILENAME, Annotation.DOCUMENTBODY],
        returned=(Annotation.ANNOTATIONID, Annotation.FILENAME, Annotation.FILESIZE),
        what="The note",
    )
    return Operation(f"/{Annotation.SET}", "post", spec)


def send_fax() -> Operation:
    """``PATCH /faxes(<id>)``: the fax becomes Pending; the bridge sends it with its notes."""
    spec = operation(
        "SendFax",
        "Send fax",
        "Sets a fax with its document attached to Pending; the bridge sends it (server, retries, status).",
        parameters=[
            record_id("faxId", "Fax", "The fax's id (from Create fax)."),
            update_only(),
            body(
                {
                    "type": "object",
                    "required": [Fax.FAXSTATUS],
                    "properties": {
                        Fax.FAXSTATUS: fields.fixed(
                            Fax.TABLE, Fax.FAXSTATUS, FAX_STATUS.value_of("Pending"), description="Pending."
                        )
                    },
                }
            ),
        ],
        responses={"204": {"description": "The fax is Pending"}},
    )
    return Operation(f"/{Fax.SET}({{faxId}})", "patch", spec)


def click_to_call() -> Operation:
    """``POST /comms_clicktocalls``: the user's extension rings, then the number is dialled (CALL-16)."""
    table = ClickToCall.TABLE
    user_key, user_bind = fields.bind(table, ClickToCall.SYSTEMUSERID, visibility=IMPORTANT)
    properties: dict[str, Schema] = {
        ClickToCall.NUMBER: fields.column(table, ClickToCall.NUMBER, visibility=IMPORTANT, description=_DIAL_HELP),
        user_key: {**user_bind, "description": "Whose extension rings first, as /systemusers(<id>)."},
        **fields.binds(table, _CALL_SETTINGS, visibility=ADVANCED),
        ClickToCall.REGARDINGTABLE: fields.column(table, ClickToCall.REGARDINGTABLE, visibility=ADVANCED),
        ClickToCall.REGARDINGID: fields.column(table, ClickToCall.REGARDINGID, visibility=ADVANCED),
        ClickToCall.STATUS: fields.fixed(
            table, ClickToCall.STATUS, CLICK_TO_CALL_STATUS.value_of("Pending"), description="Pending."
        ),
    }
    spec = _create(
        (
            "ClickToCall",
            "Click-to-call",
            "Asks the bridge to ring the user's extension and, once answered, dial the number.",
        ),
        table,
        properties,
        required=[ClickToCall.NUMBER, user_key, ClickToCall.STATUS],
        returned=(ClickToCall.CLICKTOCALLID, ClickToCall.STATUS, ClickToCall.CREATEDON),
        what="The new request",
    )
    return Operation(f"/{ClickToCall.SET}", "post", spec)


def _create(
    names: tuple[str, str, str],
    table: str,
    properties: dict[str, Schema],
    *,
    required: list[str],
    returned: tuple[str, ...],
    what: str,
    path_parameters: list[Schema] | None = None,
) -> Schema:
    """A create action's operation: ``names`` (id, summary, description), the body of ``properties`` with
    ``required``, and the 201 reply of the ``returned`` columns (``Prefer: return=representation``)."""
    operation_id, summary, description = names
    return operation(
        operation_id,
        summary,
        description,
        parameters=[
            *(path_parameters or []),
            return_representation(),
            select(returned),
            body({"type": "object", "required": required, "properties": properties}),
        ],
        responses={"201": reply(what, _read(table, returned))},
    )


def _read(table: str, columns: tuple[str, ...]) -> dict[str, Schema]:
    return {name: fields.column(table, name) for name in columns}


_MESSAGE_HELP = "The text; {firstname}-style placeholders are filled from the recipient (docs/sms-rules.md)."
_NUMBER_HELP = "A mobile number; when empty, the recipient's or the regarding record's mobile is used."
_FAX_NUMBER_HELP = (
    "The number to fax. Left empty, the bridge dials the To recipient's Fax column (and refuses a recipient "
    "whose Do not allow Faxes is set)."
)
_FAX_SUBJECT_HELP = "When empty, the bridge writes 'Fax from <user> to <recipient>'."
_FILE_HELP = "The file's name with its extension, e.g. offer.pdf."
_CONTENT_HELP = "The file's content (base64), e.g. a previous step's file content."
_DIAL_HELP = "The number to dial, as written on the record (prefixes are added by the bridge)."
