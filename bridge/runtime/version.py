"""The version of the running bridge (CALL-44): shown on ``/healthz``, sent to console pages, compared with the
release feed."""

from __future__ import annotations

import functools
from importlib import metadata

#: Reported when the code runs from a checkout that was never installed.
UNINSTALLED = "0+unknown"


@functools.cache
def bridge_version() -> str:
    """The installed ``commsuite`` distribution's version, :data:`UNINSTALLED` without one."""
    try:
        return metadata.version("commsuite")
    except metadata.PackageNotFoundError:
        return UNINSTALLED
