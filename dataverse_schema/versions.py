"""What each Dynamics / Dataverse version can do: one feature-by-version table.

The client reads the server's version once (``RetrieveVersion()``, every server
from 8.0 on) and consults :class:`Features` before sending anything version-bound,
so no request the server cannot understand is ever sent; the emulator's
deployment profiles read the same table to refuse what their version lacks.

Sources (``docs/dataverse-client.md`` has the matrix with links): Microsoft's
on-premises developer documentation for Dynamics 365 Customer Engagement 9.x
(``web-api-versions``, ``use-change-tracking-synchronize-data-external-systems``,
``define-alternate-keys-entity``), the CRM 2016 SDK pages on ``$batch`` and the
8.2 release history, and the online Web API documentation. On-premises servers
stop at 9.1; 9.2 is Dataverse online only. Features X-01, X-03.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from functools import total_ordering

#: Characters that break GET and PATCH by alternate key on-premises ("define alternate keys").
ONPREM_KEY_UNSAFE = frozenset("<>*%&:\\")
#: At most this many alternate keys per table on-premises.
ONPREM_MAX_ALTERNATE_KEYS = 5

_VERSION = re.compile(r"^\s*(\d+)\.(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$")


@total_ordering
@dataclass(frozen=True)
class ServerVersion:
    """A server version as ``RetrieveVersion()`` reports it, e.g. ``9.1.0.17154``."""

    major: int
    minor: int
    build: int = 0
    revision: int = 0

    @classmethod
    def parse(cls, text: str) -> ServerVersion:
        """``"8.2.2.112"`` → ``ServerVersion(8, 2, 2, 112)``; ValueError for anything else."""
        match = _VERSION.match(str(text))
        if match is None:
            raise ValueError(f"not a Dynamics version: {str(text)[:40]!r}")
        return cls(*(int(part) if part else 0 for part in match.groups()))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ServerVersion):
            return NotImplemented
        return self._tuple() < other._tuple()

    def _tuple(self) -> tuple[int, int, int, int]:
        return (self.major, self.minor, self.build, self.revision)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.build}.{self.revision}"

    @property
    def is_online(self) -> bool:
        """9.2 and later exist only as Dataverse online; on-premises servers stop at 9.1."""
        return (self.major, self.minor) >= (9, 2)


class ChangeTracking(enum.Enum):
    """How a server offers change tracking through the Web API.

    The Web API has no ``RetrieveEntityChanges`` function: it offers that message as the
    ``Prefer: odata.track-changes`` preference, a ``@odata.deltaLink`` and ``$deletedEntity``
    rows. The CRM 2016 SDK's change-tracking page says Web API support for the message came
    with the December 2016 update (8.2), online and on-premises; 8.0 / 8.1 have only the
    organisation service's message.
    """

    NONE = "none"  # 8.0 / 8.1
    DELTA = "odata.track-changes"  # 8.2 and later: @odata.deltaLink


@dataclass(frozen=True)
class Features:
    """What one server version offers the Web API client (and what the emulator allows)."""

    version: ServerVersion
    #: The newest Web API root the server answers on, e.g. ``v8.2``.
    web_api_version: str
    #: ``CreateMultiple`` / ``UpdateMultiple`` / ``UpsertMultiple`` (online only).
    bulk_messages: bool
    #: ``Prefer: odata.continue-on-error`` in ``$batch`` (online only; 8.x stops at the first error).
    continue_on_error: bool
    #: ``Prefer: return=representation`` on POST and PATCH (8.2 and later).
    return_representation: bool
    change_tracking: ChangeTracking
    #: The ``appnotification`` table and ``SendAppNotification`` (online only).
    app_notifications: bool
    #: Service protection limits: 429 with ``Retry-After`` (online only).
    service_protection: bool
    #: Alternate keys per table (None: no documented limit below the online one).
    max_alternate_keys: int | None
    #: Characters an alternate-key value must not contain on this server.
    key_unsafe_characters: frozenset[str]

    @property
    def is_online(self) -> bool:
        return self.version.is_online

    def unsafe_in_key(self, value: str) -> str:
        """The characters of ``value`` that break key addressing here, in order ('' when none)."""
        return "".join(sorted({c for c in str(value) if c in self.key_unsafe_characters}))


def features_for(version: ServerVersion | str) -> Features:
    """The feature set of ``version`` (a ``ServerVersion`` or its text)."""
    if not isinstance(version, ServerVersion):
        version = ServerVersion.parse(version)
    if version.major < 8:
        raise ValueError(f"Dynamics CRM {version} has no Web API (it came with 8.0, CRM 2016)")
    online = version.is_online
    short = (version.major, version.minor)
    tracking = ChangeTracking.DELTA if short >= (8, 2) else ChangeTracking.NONE
    return Features(
        version=version,
        web_api_version=web_api_root(version),
        bulk_messages=online,
        continue_on_error=online,
        return_representation=short >= (8, 2),
        change_tracking=tracking,
        app_notifications=online,
        service_protection=online,
        max_alternate_keys=None if online else ONPREM_MAX_ALTERNATE_KEYS,
        key_unsafe_characters=frozenset() if online else ONPREM_KEY_UNSAFE,
    )


def web_api_root(version: ServerVersion) -> str:
    """The newest ``/api/data/vX.Y/`` root ``version`` answers on.

    8.x servers answer ``v8.0`` up to their own minor version; 9.0 and 9.1 answer
    ``v9.0`` (9.1 is documented to behave identically, and ``/v9.1/`` on an
    on-premises 9.1 server is not confirmed, so the client stays on ``v9.0``);
    online answers ``v9.2``.
    """
    if version.major == 8:
        return f"v8.{min(version.minor, 2)}"
    if version.is_online:
        return "v9.2"
    return "v9.0"


#: Online Dataverse as the suite targets it today; used when the sign-in kind says "online".
ONLINE = features_for("9.2.0.0")
