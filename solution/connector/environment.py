"""The Dataverse environment a connector is built for: its host and Web API base path (X-02)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

#: The Web API version the connector's paths are written for (Dataverse online).
WEB_API_VERSION = "v9.2"


@dataclass(frozen=True)
class Environment:
    """An environment's organisation URL, e.g. ``https://contoso.crm4.dynamics.com``."""

    host: str
    scheme: str = "https"

    @property
    def base_path(self) -> str:
        """``/api/data/v9.2``: where the Web API's tables live, below the host."""
        return f"/api/data/{WEB_API_VERSION}"

    @property
    def origin(self) -> str:
        """``https://<host>``: the OAuth resource the connection signs in to."""
        return f"{self.scheme}://{self.host}"


def environment(org_url: str) -> Environment:
    """The environment of an organisation URL such as ``https://contoso.crm.dynamics.com/``.

    Raises ``ValueError`` in plain words for anything else: another scheme than https (Dataverse online
    answers https only), a path, a query, credentials in the URL, or no host.
    """
    text = org_url.strip()
    parts = urlsplit(text)
    if parts.scheme != "https":
        raise ValueError(
            f"the organisation URL {text!r} must start with https:// (e.g. https://contoso.crm.dynamics.com)"
        )
    if not parts.hostname:
        raise ValueError(f"the organisation URL {text!r} names no host")
    if parts.username or parts.password:
        raise ValueError("the organisation URL must not carry a user name or password")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(
            f"the organisation URL {text!r} must be the environment's root only (no /api/data/..., no query)"
        )
    return Environment(host=parts.netloc.lower())
