"""What makes bulk writes slow on the real service: server time per record and the request timeout.

Dataverse runs ``CreateMultiple`` / ``UpdateMultiple`` / ``UpsertMultiple`` as one
transaction whose duration grows with the number of targets. The emulator models that
time (``ms_per_record``) and really spends it in the request's thread, so a client that
sends one huge request waits for all of it while one that sends chunks in parallel does
not. The time counts against the execution-time budget (:mod:`emulator.server.faults`)
like any request's duration.

Default 10 ms a record: Microsoft's own bulk-operation sample reports "Created 100 records
in 1 seconds" with ``CreateMultipleRequest`` on a plain custom table
(https://learn.microsoft.com/power-apps/developer/data-platform/org-service/samples/create-update-multiple).
Synchronous plug-ins make it longer; set it per run.

A request whose modelled time exceeds ``request_timeout_s`` (2 minutes, the limit
Microsoft documents for a synchronous operation:
https://learn.microsoft.com/power-apps/developer/data-platform/optimize-performance-create-update)
is answered after that time with the SQL time-out error Microsoft lists for a bulk
request whose batch is too large, and nothing of it is written
(https://learn.microsoft.com/power-apps/developer/data-platform/bulk-operations#troubleshooting-common-errors).

``dop_hint`` is sent on every response as ``x-ms-dop-hint``, the recommended degree of
parallelism (https://learn.microsoft.com/power-apps/developer/data-platform/send-parallel-requests).
Microsoft gives no fixed value (it depends on the environment's web servers); 8 is the
emulator's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from emulator.errors import ODataError

SQL_TIMEOUT_CODE = "0x80044151"  # -2147204783, "Sql error: SQL timeout expired."
DOP_HINT_HEADER = "x-ms-dop-hint"


@dataclass(frozen=True)
class ServerModel:
    """Modelled server work; the defaults are documented in this module."""

    ms_per_record: float = 10.0
    request_timeout_s: float = 120.0
    dop_hint: int = 8

    @classmethod
    def instant(cls) -> ServerModel:
        """No modelled server time (the request timeout and the hint stay)."""
        return cls(ms_per_record=0.0)

    def headers(self) -> dict[str, str]:
        return {DOP_HINT_HEADER: str(self.dop_hint)}


def server_model_from_json(value: Any, current: ServerModel) -> ServerModel:
    """Apply ``{"ms_per_record": 25, "request_timeout_s": 120, "dop_hint": 4}`` to ``current``."""
    if not isinstance(value, dict):
        raise ValueError("'server' must be an object")
    known = asdict(current)
    unknown = set(value) - set(known)
    if unknown:
        raise ValueError(f"unknown server settings {sorted(unknown)}")
    for name, number in value.items():
        if not isinstance(number, int | float) or isinstance(number, bool) or number < 0:
            raise ValueError(f"server setting {name!r} must be a non-negative number")
    if "dop_hint" in value and (not isinstance(value["dop_hint"], int) or value["dop_hint"] < 1):
        raise ValueError("server setting 'dop_hint' must be a positive integer")
    if value.get("request_timeout_s", 1) <= 0:
        raise ValueError("server setting 'request_timeout_s' must be positive")
    return ServerModel(**{**known, **value})


def spend_bulk_time(model: ServerModel, records: int, sleep: Callable[[float], None]) -> None:
    """Spend the modelled time of a bulk request of ``records`` targets, before it writes.

    Raises the SQL time-out error (after waiting out the timeout) when the request would
    run longer than ``request_timeout_s``; the caller then writes nothing.
    """
    seconds = records * model.ms_per_record / 1000
    if seconds > model.request_timeout_s:
        sleep(model.request_timeout_s)
        raise ODataError(
            500,
            SQL_TIMEOUT_CODE,
            f"Sql error: SQL timeout expired. The request with {records} targets ran past the "
            f"{_seconds(model.request_timeout_s)}-second limit and was rolled back; send fewer "
            f"targets per request.",
        )
    if seconds > 0:
        sleep(seconds)


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)
