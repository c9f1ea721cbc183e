"""Which URLs the client talks to: the environment's base URL, and links that stay on its host."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def checked_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash; ``ValueError`` unless it is https (http only on loopback)."""
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("base_url must be an http(s) URL such as https://org.crm4.dynamics.com")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise ValueError("base_url must use https (plain http only for a local emulator)")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def same_origin(url: str, base_url: str) -> bool:
    """Whether ``url`` has the scheme and host of ``base_url`` (a server link the client may follow)."""
    a, b = urlsplit(url), urlsplit(base_url)
    return (a.scheme, a.netloc.lower()) == (b.scheme, b.netloc.lower())


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
