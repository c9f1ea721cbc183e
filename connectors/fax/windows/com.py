"""The Fax Service Extended COM API's enums and errors, and the one place COM failures become our errors.

Every value below is from Microsoft Learn (pages listed in ``docs/fax.md``):

- ``FAX_JOB_STATUS_ENUM`` (bit flags; ``fjsPAUSED`` and ``fjsNOLINE`` are modifiers):
  https://learn.microsoft.com/en-us/windows/win32/api/faxcomex/ne-faxcomex-fax_job_status_enum
- ``FAX_JOB_EXTENDED_STATUS_ENUM`` (sequential from ``fjesNONE = 0``; ``fjesPROPRIETARY = 0x1000000``):
  https://learn.microsoft.com/en-us/windows/win32/api/faxcomex/ne-faxcomex-fax_job_extended_status_enum
- ``FAX_SCHEDULE_TYPE_ENUM`` and ``FAX_PRIORITY_TYPE_ENUM``:
  https://learn.microsoft.com/en-us/windows/win32/api/faxcomex/ne-faxcomex-fax_schedule_type_enum,
  https://learn.microsoft.com/en-us/windows/win32/api/faxcomex/ne-faxcomex-fax_priority_type_enum
- Errors: methods return HRESULTs; "methods that include RPC calls … can return any type of RPC
  error (Win32 error) disguised as an HRESULT", and the fax-specific ``FAX_E_*`` codes start at
  ``0x80041b59`` (https://learn.microsoft.com/en-us/previous-versions/windows/desktop/fax/-mfax-fax-error-codes).

pywin32 raises ``pywintypes.com_error`` with ``args == (hresult, text, excepinfo, argerror)``;
through ``IDispatch`` the real code usually arrives as ``DISP_E_EXCEPTION`` with the fax
service's code in ``excepinfo[5]`` (scode) and its message in ``excepinfo[2]``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Any, Literal

from connectors.errors import (
    AuthError,
    ConnectorError,
    NotSentError,
    OutcomeUnknownError,
    RejectedError,
    UnavailableError,
)

SYSTEM = "windows_fax"


class JobStatus(IntFlag):
    """``FAX_JOB_STATUS_ENUM``."""

    PENDING = 0x1
    INPROGRESS = 0x2
    FAILED = 0x8
    PAUSED = 0x10
    NOLINE = 0x20
    RETRYING = 0x40
    RETRIES_EXCEEDED = 0x80
    COMPLETED = 0x100
    CANCELED = 0x200
    CANCELING = 0x400
    ROUTING = 0x800


class ExtendedStatus(IntEnum):
    """``FAX_JOB_EXTENDED_STATUS_ENUM`` (filled in by the fax service provider, FSP)."""

    NONE = 0
    DISCONNECTED = 1
    INITIALIZING = 2
    DIALING = 3
    TRANSMITTING = 4
    ANSWERED = 5
    RECEIVING = 6
    LINE_UNAVAILABLE = 7
    BUSY = 8
    NO_ANSWER = 9
    BAD_ADDRESS = 10
    NO_DIAL_TONE = 11
    FATAL_ERROR = 12
    CALL_DELAYED = 13
    CALL_BLACKLISTED = 14
    NOT_FAX_CALL = 15
    PARTIALLY_RECEIVED = 16
    HANDLED = 17
    CALL_COMPLETED = 18
    CALL_ABORTED = 19
    PROPRIETARY = 0x1000000


class ScheduleType(IntEnum):
    """``FAX_SCHEDULE_TYPE_ENUM``."""

    NOW = 0
    SPECIFIC_TIME = 1
    DISCOUNT_PERIOD = 2


class Priority(IntEnum):
    """``FAX_PRIORITY_TYPE_ENUM`` (a new ``FaxDocument`` starts at 0, low)."""

    LOW = 0
    NORMAL = 1
    HIGH = 2


DISP_E_EXCEPTION = 0x80020009
E_ACCESSDENIED = 0x80070005
FAX_E_FIRST, FAX_E_LAST = 0x80041B59, 0x80041BFF
FAX_E_SRV_OUTOFMEMORY = 0x80041B59
#: The server was never reached: nothing happened there (Win32 RPC errors as HRESULTs).
_UNREACHED = {
    0x800706BA: "RPC server unavailable",
    0x800706BF: "RPC call failed and did not execute",
    0x800706D9: "no endpoints available from the endpoint mapper",
    0x80070035: "network path not found",
}
#: The call went out and the link broke: whatever was asked may have happened.
_BROKEN = {
    0x800706BE: "RPC call failed",
    0x80010108: "the object invoked has disconnected from its clients",
    0x800706BB: "RPC server too busy",
}
#: Refusals of what we asked (bad argument, missing file, unknown id).
_REFUSED = {
    0x80070057: "invalid argument",
    0x80070002: "file not found",
    0x80070003: "path not found",
    0x80070490: "element not found",
}

Phase = Literal["connect", "read", "write", "submit"]


@dataclass(frozen=True)
class ComBinding:
    """How to reach COM: ``dispatch(progid)`` builds an object, ``error`` is the COM error class.

    On Windows this is pywin32 (:func:`pywin32_binding`); tests pass a fake with the API's shape.
    """

    dispatch: Callable[[str], Any]
    error: type[BaseException]


def pywin32_binding() -> ComBinding:
    """pywin32's ``Dispatch`` and ``com_error``; imported here, so the module loads on Linux without pywin32."""
    try:
        import pywintypes  # type: ignore[import-not-found]
        import win32com.client  # type: ignore[import-not-found]
    except ImportError as exc:
        raise NotSentError(
            "pywin32 is not installed: the Windows Fax connector runs only on Windows with pywin32",
            system=SYSTEM,
            operation="connect",
        ) from exc
    return ComBinding(dispatch=win32com.client.Dispatch, error=pywintypes.com_error)


def hresult_of(exc: BaseException) -> tuple[int, str]:
    """The unsigned HRESULT and message of a ``com_error``-shaped exception (the scode inside
    ``DISP_E_EXCEPTION`` when there is one)."""
    args = exc.args
    code = args[0] if args and isinstance(args[0], int) else 0
    text = args[1] if len(args) > 1 and isinstance(args[1], str) else ""
    info = args[2] if len(args) > 2 else None
    code &= 0xFFFFFFFF
    if code == DISP_E_EXCEPTION and isinstance(info, tuple) and len(info) >= 6:
        if isinstance(info[5], int) and info[5]:
            code = info[5] & 0xFFFFFFFF
        if isinstance(info[2], str) and info[2]:
            text = info[2]
    return code, text.strip()


def classify(code: int, text: str, phase: Phase, operation: str, key: str | None) -> ConnectorError:
    """Our error for a COM failure ``code`` during ``phase`` (see the table in ``docs/fax.md``)."""
    context = {"system": SYSTEM, "operation": operation, "key": key}
    what = f"0x{code:08X} {text}".strip()
    if code == E_ACCESSDENIED:
        return AuthError(f"access denied ({what}): check the account's fax rights", **context)
    if code in _UNREACHED:
        return NotSentError(f"fax server not reached: {_UNREACHED[code]} ({what})", **context)
    if code in _BROKEN:
        if phase == "submit":
            return OutcomeUnknownError(f"link broke during submit: {_BROKEN[code]} ({what})", **context)
        return UnavailableError(f"{_BROKEN[code]} ({what})", **context)
    if code == FAX_E_SRV_OUTOFMEMORY:
        return UnavailableError(f"fax server out of memory ({what})", **context)
    if code in _REFUSED or FAX_E_FIRST <= code <= FAX_E_LAST:
        reason = _REFUSED.get(code, "fax service error")
        return RejectedError(f"{reason} ({what})", code=f"0x{code:08X}", reason=f"{reason}: {text}", **context)
    if phase == "submit":
        return OutcomeUnknownError(f"unexpected failure during submit ({what})", **context)
    if phase == "connect":
        return NotSentError(f"cannot connect to the fax service ({what})", **context)
    if phase == "read":
        return UnavailableError(f"unexpected failure ({what})", **context)
    return RejectedError(f"unexpected failure ({what})", code=f"0x{code:08X}", **context)


@contextmanager
def translating(binding: ComBinding, phase: Phase, operation: str, key: str | None = None) -> Iterator[None]:
    """Turn COM errors raised inside the block into our errors, chained to the original."""
    try:
        yield
    except ConnectorError:
        raise
    except binding.error as exc:
        code, text = hresult_of(exc)
        raise classify(code, text, phase, operation, key) from exc


__all__ = [
    "SYSTEM",
    "ComBinding",
    "ExtendedStatus",
    "JobStatus",
    "Priority",
    "ScheduleType",
    "classify",
    "hresult_of",
    "pywin32_binding",
    "translating",
]
