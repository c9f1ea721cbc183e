"""The bridge announces a newer release (CALL-44): a signed release feed, checked now and then.

``[updates] feed_url`` names a JSON document (HTTPS, or a local file for an offline site)::

    {"manifest": "<base64 of the manifest's JSON bytes>", "signature": "<base64 Ed25519 signature of them>"}

The manifest says ``{"version": "1.4.0", "url": "<where to download it>", "sha256": "<hex>", "notes": "..."}``.
The signature is checked with ``[updates] public_key`` (the release key's 32 raw Ed25519 bytes, base64) before
a single field is read, so a feed served from a compromised host or over a proxy cannot announce anything.
The result is shown on ``/healthz`` and in the console's health bar. Nothing is downloaded or installed: an
administrator upgrades the bridge (``docs/bridge.md``, Updates); the console and CIF pages then reload
themselves because the bridge's version comes with their event stream.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import re
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, field_validator

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 64 * 1024
_RELEASE = re.compile(r"\d{1,6}(?:\.\d{1,6}){0,3}")
FETCH_TIMEOUT_S = 20.0


class UntrustedFeedError(ValueError):
    """The feed is malformed, its signature does not verify, or its manifest is not a release."""


class UpdateSettings(BaseModel):
    """``[updates]``: where the release feed is, the key it is signed with, how often to look."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feed_url: str = Field(min_length=1, max_length=2000, pattern=r"^(https://|file:)")
    public_key: str = Field(min_length=40, max_length=100)
    check_interval_s: float = Field(default=6 * 3600, ge=300, le=7 * 86400)

    @field_validator("public_key")
    @classmethod
    def _is_a_key(cls, value: str) -> str:
        release_key(value)
        return value


def release_number(version: str) -> tuple[int, ...]:
    """``"1.4.0"`` → ``(1, 4)``, comparable; ``ValueError`` unless it is a final release (digits and dots).

    A local part (``0.1.0+dev``, a build from a checkout) is ignored: such a build is compared by its release.
    """
    release = version.split("+", 1)[0].strip()
    if not _RELEASE.fullmatch(release):
        raise ValueError(f"{version!r} is not a release number such as 1.4.0")
    parts = [int(part) for part in release.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


@dataclass(frozen=True)
class Release:
    """A verified manifest."""

    version: str
    url: str
    sha256: str
    notes: str = ""


def release_key(text: str) -> Ed25519PublicKey:
    """The Ed25519 public key from its base64 raw bytes; ``ValueError`` otherwise."""
    try:
        raw = base64.b64decode(text, validate=True)
        return Ed25519PublicKey.from_public_bytes(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("public_key must be the release key's 32 raw Ed25519 bytes in base64") from exc


def verify_feed(document: bytes, key: Ed25519PublicKey) -> Release:
    """The release the feed announces, once its signature verifies; :class:`UntrustedFeedError` otherwise."""
    try:
        outer = json.loads(document)
        manifest = base64.b64decode(outer["manifest"], validate=True)
        signature = base64.b64decode(outer["signature"], validate=True)
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise UntrustedFeedError("the release feed is not {manifest, signature} in base64") from exc
    try:
        key.verify(signature, manifest)
    except InvalidSignature:
        raise UntrustedFeedError("the release feed's signature does not verify with the configured key") from None
    try:
        fields = json.loads(manifest)
        version = str(fields["version"])
        release_number(version)
        release = Release(version, str(fields["url"]), str(fields["sha256"]), str(fields.get("notes", "")))
    except (ValueError, KeyError, TypeError) as exc:
        raise UntrustedFeedError("the signed manifest has no valid version, url and sha256") from exc
    if not release.url.startswith("https://") or len(release.sha256) != 64:
        raise UntrustedFeedError("the signed manifest's url must be https and its sha256 64 hex digits")
    return release


def read_feed(url: str) -> bytes:
    """The feed document (at most :data:`MAX_FEED_BYTES`)."""
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as reply:  # noqa: S310 (https:// or file: only)
        body = reply.read(MAX_FEED_BYTES + 1)
    if len(body) > MAX_FEED_BYTES:
        raise UntrustedFeedError(f"the release feed is over {MAX_FEED_BYTES} bytes")
    return body


class UpdateChecker:
    """Checks the feed and keeps what it last learnt; :meth:`status` is what health and the console show."""

    def __init__(
        self,
        settings: UpdateSettings,
        current: str,
        *,
        fetch: Callable[[str], bytes] = read_feed,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings, self._key = settings, release_key(settings.public_key)
        self._current, self._fetch, self._clock = current, fetch, clock
        self._current_number = release_number(current)
        self._latest: Release | None = None
        self._checked_at: datetime | None = None
        self._problem = ""

    def check(self) -> None:
        """Read and verify the feed once (blocking); a failure is kept as the status's problem, not raised."""
        try:
            self._latest = verify_feed(self._fetch(self._settings.feed_url), self._key)
            self._problem = ""
        except (OSError, UntrustedFeedError) as exc:
            self._problem = (
                str(exc) if isinstance(exc, UntrustedFeedError) else f"feed unreachable ({type(exc).__name__})"
            )
            log.warning("release feed not read: %s", self._problem)
        self._checked_at = self._clock()
        if self.available:
            log.info("CommSuite %s is available (this bridge runs %s)", self._latest.version, self._current)

    @property
    def available(self) -> bool:
        return self._latest is not None and release_number(self._latest.version) > self._current_number

    def status(self) -> dict[str, Any]:
        """``{current, latest, available, url, notes, checked_at, problem}``."""
        latest = self._latest
        return {
            "current": self._current,
            "latest": latest.version if latest else None,
            "available": self.available,
            "url": latest.url if latest and self.available else None,
            "notes": latest.notes if latest and self.available else "",
            "checked_at": self._checked_at.isoformat() if self._checked_at else None,
            "problem": self._problem,
        }

    async def run(self) -> None:
        """Check at once, then every ``check_interval_s``, until cancelled."""
        while True:
            await asyncio.to_thread(self.check)
            await asyncio.sleep(self._settings.check_interval_s)
