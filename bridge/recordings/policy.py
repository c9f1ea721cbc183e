"""The recording fetcher's timings and limits, per telephony system (CALL-28, CALL-37)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from connectors.recordings.recorder_names import RecorderNaming

#: How long past the longest give-up window a taken file is remembered: a call may last hours, and its
#: time-and-number window runs from its start to its end.
TAKEN_MARGIN_S = 24 * 3600.0


@dataclasses.dataclass(frozen=True)
class RecordingPolicy:
    """Timings (seconds) and limits of the fetcher.

    ``attach_limit_bytes`` is the largest file attached as a note: Dataverse's
    default attachment limit is 5 MB (an admin can raise it, up to 128 MB, in
    the environment's e-mail settings). ``match_window_s`` is how far from the
    call a file's time stamp may be when it is matched by time and number.
    ``max_parallel`` caps concurrent fetches (each holds a thread). ``recorder``: the system's recordings come
    from a per-line recorder box (CALL-37) whose names follow its pattern and whose line N is the call's line N.
    """

    first_delay_s: float = 5.0
    retry_base_s: float = 10.0
    retry_max_s: float = 120.0
    give_up_after_s: float = 600.0
    stable_wait_s: float = 2.0
    attach_limit_bytes: int = 5 * 1024 * 1024
    match_window_s: float = 120.0
    max_parallel: int = 2
    recorder: RecorderNaming | None = None

    def __post_init__(self) -> None:
        if min(self.first_delay_s, self.retry_base_s, self.stable_wait_s, self.give_up_after_s) < 0:
            raise ValueError("recording timings must not be negative")
        if self.retry_max_s < self.retry_base_s or self.attach_limit_bytes < 1 or self.max_parallel < 1:
            raise ValueError("retry_max_s must be at least retry_base_s; limits must be positive")


def taken_horizon_s(policies: Iterable[RecordingPolicy]) -> float:
    """How long a taken file is remembered: the longest look of any system, plus :data:`TAKEN_MARGIN_S`."""
    return max(p.first_delay_s + p.give_up_after_s + p.match_window_s for p in policies) + TAKEN_MARGIN_S
