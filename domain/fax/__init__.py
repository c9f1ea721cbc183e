"""Faxes as values: outgoing jobs, their status, received faxes and dial strings (FAX-01..-26).

Pure: no I/O and no clock reads; the connectors in ``connectors/fax/`` speak to the servers.
"""

from domain.fax.dialstring import (
    DEFAULT_COMMA_PAUSE_S,
    DialParts,
    DialStringError,
    DialStyle,
    build_dial_string,
    display_number,
)
from domain.fax.jobs import (
    DocumentKind,
    FailureReason,
    FaxDocument,
    FaxInputError,
    FaxJobState,
    FaxJobStatus,
    OutgoingFax,
    RetryPolicy,
    SubmitReceipt,
)
from domain.fax.received import ReceivedFax

__all__ = [
    "DEFAULT_COMMA_PAUSE_S",
    "DialParts",
    "DialStringError",
    "DialStyle",
    "DocumentKind",
    "FailureReason",
    "FaxDocument",
    "FaxInputError",
    "FaxJobState",
    "FaxJobStatus",
    "OutgoingFax",
    "ReceivedFax",
    "RetryPolicy",
    "SubmitReceipt",
    "build_dial_string",
    "display_number",
]
