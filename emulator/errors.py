"""The one error the emulator's engine raises: an OData error with Dataverse's code and wording.

The server turns an :class:`ODataError` into the wire shape Dataverse uses
(``{"error": {"code": "0x8004...", "message": "..."}}``, see
https://learn.microsoft.com/power-apps/developer/data-platform/webapi/compose-http-requests-handle-errors). The
constructors below carry the
codes and message shapes the reference documents, so callers never spell a
hex code twice.
"""

from __future__ import annotations

#: Malformed or unsupported request syntax (Dataverse's generic OData exception code).
BAD_REQUEST = "0x80060888"
#: Resource not found for a URL segment (unknown entity set).
SEGMENT_NOT_FOUND = "0x8006088a"
#: ObjectDoesNotExist: no record with that id.
NOT_FOUND = "0x80040217"
#: RecordNotFoundByEntityKey: no record with those alternate-key values.
NOT_FOUND_BY_KEY = "0x80060891"
#: DuplicateRecord / "Cannot insert duplicate key".
DUPLICATE = "0x80040237"
#: DuplicateRecordEntityKey: an alternate key's values are already taken.
DUPLICATE_KEY = "0x80060892"
#: ConcurrencyVersionMismatch: If-Match etag differs from the record's version.
VERSION_MISMATCH = "0x80060882"
#: A validation error (string too long, number out of range).
VALIDATION = "0x80044331"
#: A choice value outside the column's options.
CHOICE_OUT_OF_RANGE = "0x8004431a"
#: InvalidArgument.
INVALID_ARGUMENT = "0x80040203"


class ODataError(Exception):
    """An error the server returns as an OData error body with ``status``.

    ``code`` is Dataverse's hex error code (``"0x80040217"``), ``message`` the
    human text, worded as Dataverse words it wherever the reference records it.
    """

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict:
        """The JSON error body Dataverse sends."""
        return {"error": {"code": self.code, "message": self.message}}

    def __repr__(self) -> str:
        return f"ODataError({self.status}, {self.code!r}, {self.message!r})"


def bad_request(message: str) -> ODataError:
    """400 for a malformed request (bad syntax, unknown property, wrong type)."""
    return ODataError(400, BAD_REQUEST, message)


def not_supported(message: str) -> ODataError:
    """501 for valid OData the emulator deliberately does not implement."""
    return ODataError(501, BAD_REQUEST, f"The Dataverse emulator does not support {message}.")


def unknown_property(name: str, logical_name: str) -> ODataError:
    """400 for a property named in a query that the table does not have."""
    return bad_request(f"Could not find a property named '{name}' on type 'Microsoft.Dynamics.CRM.{logical_name}'.")


def not_found(logical_name: str, record_id: str) -> ODataError:
    """404 for a record id that does not exist."""
    return ODataError(404, NOT_FOUND, f"{logical_name} With Id = {record_id} Does Not Exist")


def not_found_by_key(logical_name: str) -> ODataError:
    """404 for alternate-key values no record has."""
    return ODataError(
        404, NOT_FOUND_BY_KEY, f"A record with the specified key values does not exist in {logical_name} entity"
    )


def segment_not_found(segment: str) -> ODataError:
    """404 for an entity set the service does not have."""
    return ODataError(404, SEGMENT_NOT_FOUND, f"Resource not found for the segment '{segment}'.")
