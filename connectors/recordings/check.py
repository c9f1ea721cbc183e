"""The recording store's part of ``commsuite bridge check`` (CALL-28).

Proves what a fetch needs, before the first call ends: the store answers, the
host key matches ``known_hosts``, the login works, the root folder is
readable, and the CRM's folder pattern lies inside that root.
"""

from __future__ import annotations

from connectors.recordings.base import RecordingStore
from connectors.recordings.naming import ensure_inside, pattern_root


def check_recording_store(store: RecordingStore, pattern: str | None = None) -> str:
    """One line saying what was proven; raises the store's connector errors (see
    :mod:`connectors.recordings.base`) or :class:`~connectors.recordings.base.UnsafePathError` when
    ``pattern`` (the telephony system's recording folder) is outside the store's root."""
    if pattern:
        ensure_inside(store.root, pattern_root(pattern))
    proven = store.check()
    return f"{proven}; folder pattern {pattern} inside it" if pattern else proven
