"""Which server the client talks to: its Web API root and, from its version, its features.

Online (Entra ID sign-in, or a ``v9.2`` root, which only online serves) the
features are known without asking. On-premises the client asks once, on its
first request: ``GET <root>/RetrieveVersion()`` answers ``{"Version": "8.2.2.112"}``
on every server from 8.0 (CRM 2016) on. Without a pinned root it asks on
``v9.0`` (Dynamics 365 9.x) and, when that root does not exist (an 8.x server),
on ``v8.0``; then it moves to the newest root the version offers
(:func:`dataverse_schema.versions.web_api_root`). Feature X-01.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

import requests

from connectors.dataverse.errors import BadResponseError, NotFoundError, ValidationError
from dataverse_schema.versions import ONLINE, Features, ServerVersion, features_for

log = logging.getLogger(__name__)

#: Roots tried, in order, when none is pinned (on-premises).
PROBE_ROOTS = ("v9.0", "v8.0")

#: ``send(absolute_url) -> response`` on the client's transport (auth, timeouts, typed errors).
Getter = Callable[[str], requests.Response]


class ServerInfo:
    """The root and features of one server, shared by a client and its ``as_caller`` copies."""

    def __init__(self, base_url: str, api_version: str | None, *, online: bool | None):
        self.base_url = base_url
        self.pinned = api_version is not None
        self.api_version = api_version or PROBE_ROOTS[0]
        self.features: Features | None = None
        if online or (online is None and api_version == "v9.2"):
            self.features = ONLINE
        self._lock = threading.Lock()

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/data/{self.api_version}/"

    @property
    def is_online_known(self) -> bool:
        """True when the features are known to be online Dataverse's (nothing to read)."""
        return self.features is not None and self.features.is_online

    @property
    def is_settled(self) -> bool:
        """True once the root can no longer move (pinned, or the version was read)."""
        return self.pinned or self.features is not None

    def resolve(self, get: Getter) -> Features:
        """The features, reading the server's version on first use (one request, two on an 8.x probe)."""
        with self._lock:
            if self.features is None:
                self.features = self._read(get)
                if not self.pinned:
                    self.api_version = self.features.web_api_version
                log.info("dataverse server version %s; Web API %s", self.features.version, self.api_version)
            return self.features

    def _read(self, get: Getter) -> Features:
        roots = (self.api_version,) if self.pinned else PROBE_ROOTS
        for index, root in enumerate(roots):
            try:
                response = get(f"{self.base_url}/api/data/{root}/RetrieveVersion()")
            except (NotFoundError, ValidationError) as exc:
                # An 8.x server has no v9.0 root (404; UNCONFIRMED whether some builds answer 400).
                if index + 1 < len(roots) and (exc.status in (400, 404)):
                    continue
                raise
            return features_for(_version_of(response))
        raise BadResponseError("no Web API root answered RetrieveVersion()", operation="retrieve_version")


def _version_of(response: requests.Response) -> ServerVersion:
    try:
        document = json.loads(response.content)
        return ServerVersion.parse(document["Version"])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise BadResponseError(
            "RetrieveVersion() reply has no Version", raw=response.content[:200], operation="retrieve_version"
        ) from None
