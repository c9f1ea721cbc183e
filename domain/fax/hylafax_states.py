"""HylaFAX's job states and status texts in our words (FAX-11).

States: the qfile number 1..8, the ``JPARM STATE`` name and the ``%a``
listing letter ``"?TPSBWRDF"[state]`` are three spellings of one value
(``ifax/HylaFAX:man/sendq.4f``, ``ifax/HylaFAX:hfaxd/Jobs.c++``). A job killed
on request ends FAILED with the status ``Job aborted by request``; we call
that CANCELLED. Status texts are the exact strings the fax daemon writes
(``ifax/HylaFAX:faxd/ClassModem.c++`` callStatus, ``faxd/STATUS.txt``);
HylaFAX's own scripts classify them by prefix (``util/notify-4.2.sh.in``).
"""

from __future__ import annotations

from domain.fax.jobs import FailureReason, FaxJobState

_BY_NUMBER = {
    0: FaxJobState.UNKNOWN,
    1: FaxJobState.SUSPENDED,
    2: FaxJobState.PENDING,
    3: FaxJobState.SLEEPING,
    4: FaxJobState.BLOCKED,
    5: FaxJobState.READY,
    6: FaxJobState.SENDING,
    7: FaxJobState.DONE,
    8: FaxJobState.FAILED,
}
_LETTERS = "?TPSBWRDF"
_NAMES = ("UNDEFINED", "SUSPENDED", "PENDING", "SLEEPING", "BLOCKED", "READY", "ACTIVE", "DONE", "FAILED")

#: Status text prefixes (case-insensitive) → reason, most specific first.
_REASON_PREFIXES: tuple[tuple[str, FailureReason], ...] = (
    ("blocked by concurrent", FailureReason.NONE),  # waiting behind a call to the same number, not a failure
    ("busy signal", FailureReason.BUSY),
    ("no answer", FailureReason.NO_ANSWER),
    ("ringback detected", FailureReason.NO_ANSWER),
    ("no carrier", FailureReason.NO_CARRIER),
    ("no local dialtone", FailureReason.NO_DIAL_TONE),
    ("invalid dialing command", FailureReason.BAD_NUMBER),
    ("job aborted by request", FailureReason.CANCELLED),
    ("kill time expired", FailureReason.EXPIRED),
    ("reject: job expiration time", FailureReason.EXPIRED),
    ("reject:", FailureReason.DOCUMENT),
    ("document conversion failed", FailureReason.DOCUMENT),
    ("can not convert", FailureReason.DOCUMENT),
    ("no receiver protocol", FailureReason.PROTOCOL),
    ("no sender protocol", FailureReason.PROTOCOL),
    ("remote fax disconnected", FailureReason.PROTOCOL),
    ("unable to transmit page", FailureReason.PROTOCOL),
    ("failure to train", FailureReason.PROTOCOL),
    ("remote cannot receive", FailureReason.PROTOCOL),
)


def state_from_letter(letter: str) -> FaxJobState:
    """The state of a ``%a`` listing letter (``?TPSBWRDF``); anything else is UNKNOWN."""
    index = _LETTERS.find(letter) if len(letter) == 1 else -1
    return _BY_NUMBER[index] if index >= 0 else FaxJobState.UNKNOWN


def state_from_number(number: int) -> FaxJobState:
    """The state of a qfile ``state:`` number (1..8); anything else is UNKNOWN."""
    return _BY_NUMBER.get(number, FaxJobState.UNKNOWN)


def state_from_name(name: str) -> FaxJobState:
    """The state of a ``JPARM STATE`` reply (``SLEEPING``, ``DONE``...); anything else is UNKNOWN."""
    upper = name.strip().upper()
    return _BY_NUMBER[_NAMES.index(upper)] if upper in _NAMES else FaxJobState.UNKNOWN


def reason_from_status(text: str) -> FailureReason:
    """Why the last attempt failed, from HylaFAX's status text; empty text is NONE, unknown text OTHER."""
    lowered = text.strip().lower()
    if not lowered:
        return FailureReason.NONE
    for prefix, reason in _REASON_PREFIXES:
        if lowered.startswith(prefix):
            return reason
    return FailureReason.OTHER


def settle(state: FaxJobState, reason: FailureReason) -> FaxJobState:
    """A failed job that was killed on request is CANCELLED; every other state stands."""
    if state is FaxJobState.FAILED and reason is FailureReason.CANCELLED:
        return FaxJobState.CANCELLED
    return state


__all__ = ["reason_from_status", "settle", "state_from_letter", "state_from_name", "state_from_number"]
