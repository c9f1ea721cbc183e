"""Whether the bridge may install a release now (CALL-44): never older, no pre-release unless asked, an outbox
the release can read, and only inside the maintenance window.

The outbox (``bridge/outbox/sqlite_file.py``) is durable and survives an upgrade: every schema change so far is
additive (new tables and columns with defaults, migrated when the file opens), which is schema 1. A release that
changes the file in a way an older one cannot read bumps :data:`OUTBOX_SCHEMA` and lists the schemas it reads in
its manifest's ``outbox_schemas``; a release that does not list the running bridge's schema is not installed.
Unsent items are therefore no reason to wait: the new version sends them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from bridge.runtime.updates_manifest import Release, is_pre_release, version_key

#: The outbox file schema this bridge writes and reads (see the module docstring).
OUTBOX_SCHEMA = 1

_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class MaintenanceWindow:
    """``"02:00-04:00"`` in the host's local time; a window may run past midnight (``"23:30-01:00"``)."""

    start: time
    end: time

    def __contains__(self, moment: datetime) -> bool:
        now = moment.time().replace(second=0, microsecond=0)
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end


def parse_window(text: str) -> MaintenanceWindow:
    """The window ``HH:MM-HH:MM``; ``ValueError`` for anything else or an empty window."""
    match = _WINDOW.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"window {text!r} must be HH:MM-HH:MM in local time, such as 02:00-04:00")
    start, end = time(int(match[1]), int(match[2])), time(int(match[3]), int(match[4]))
    if start == end:
        raise ValueError(f"window {text!r} is empty")
    return MaintenanceWindow(start, end)


def is_wanted(release: Release, current: str, *, pre_releases: bool) -> bool:
    """Whether ``release`` is newer than ``current`` and final (or pre-releases are wanted)."""
    if is_pre_release(release.version) and not pre_releases:
        return False
    return version_key(release.version) > version_key(current)


def install_refusal(release: Release, current: str, *, pre_releases: bool) -> str:
    """Why ``release`` must not replace ``current`` (plain words), or ``""`` when it may."""
    if is_pre_release(release.version) and not pre_releases:
        return f"{release.version} is a pre-release and [updates] pre_releases is off"
    if version_key(release.version) <= version_key(current):
        return f"{release.version} is not newer than the running {current} (never a downgrade)"
    if release.outbox_schemas and OUTBOX_SCHEMA not in release.outbox_schemas:
        return f"{release.version} cannot read this bridge's outbox (schema {OUTBOX_SCHEMA}); upgrade by hand"
    if not any(artefact.name.endswith(".whl") for artefact in release.artefacts):
        return f"the manifest of {release.version} lists no wheel to install"
    return ""
