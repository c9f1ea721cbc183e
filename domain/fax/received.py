"""A fax a server received, as a value (FAX-16, FAX-17)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class ReceivedFax:
    """One received fax as the server lists it.

    ``server_id`` is what ``fetch_received`` and ``mark_processed`` take (the
    HylaFAX file name ``faxNNNNNNNNN.tif``, the Windows message id, the cloud
    fax id). ``sender_tsi`` is the free text the sending machine announced
    (often blank or a company name); ``caller_number`` / ``caller_name`` are the
    line's caller id when the server has one: match on the caller number
    first, then on the TSI's digits (FAX-17). ``is_complete`` is False while
    the fax is still coming in.
    """

    server_id: str
    file_name: str
    received_at: datetime | None
    pages: int = 0
    sender_tsi: str = ""
    caller_number: str = ""
    caller_name: str = ""
    error_text: str = ""
    is_complete: bool = True


__all__ = ["ReceivedFax"]
