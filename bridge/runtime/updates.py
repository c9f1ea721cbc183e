"""The bridge learns of newer releases (CALL-44): ``[updates]`` and a checker that reads the signed feed now and then.

The feed and its manifest are :mod:`bridge.runtime.updates_manifest`; the signature is checked with ``public_key``
before a single field is read, so a feed served from a compromised host or over a proxy cannot announce anything.
The result is shown on ``/healthz``, ``/metrics`` and in the console's health bar. With ``install = "auto"`` the
plug-in (:mod:`bridge.plugins.updates`) then installs it inside ``window``
(:mod:`bridge.runtime.updates_install`); ``commsuite bridge update`` does the same on demand. The console and CIF
pages reload themselves because the bridge's version comes with their event stream.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bridge.runtime.updates_manifest import (
    Release,
    UntrustedFeedError,
    release_key,
    verify_feed,
    version_key,
)
from bridge.runtime.updates_policy import parse_window

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 64 * 1024
FETCH_TIMEOUT_S = 20.0


class UpdateSettings(BaseModel):
    """``[updates]``: where the release feed is, the key it is signed with, how often to look, and whether the
    bridge installs what it finds (``install = "auto"``, inside ``window``) or only announces it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    feed_url: str = Field(min_length=1, max_length=2000, pattern=r"^(https://|file:)")
    public_key: str = Field(min_length=40, max_length=100)
    check_interval_s: float = Field(default=6 * 3600, ge=300, le=7 * 86400)
    install: Literal["announce", "auto"] = "announce"
    window: str = "02:00-04:00"
    pre_releases: bool = False
    #: The folder holding ``venvs/<version>`` and the ``current`` link; default: found from the running venv.
    install_root: str | None = Field(default=None, min_length=1, max_length=1000)
    max_artefact_bytes: int = Field(default=200 * 1024 * 1024, ge=1024 * 1024, le=2 * 1024 * 1024 * 1024)

    @field_validator("public_key")
    @classmethod
    def _is_a_key(cls, value: str) -> str:
        release_key(value)
        return value

    @field_validator("window")
    @classmethod
    def _is_a_window(cls, value: str) -> str:
        parse_window(value)
        return value


def read_feed(url: str) -> bytes:
    """The feed document (at most :data:`MAX_FEED_BYTES`)."""
    with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT_S) as reply:  # noqa: S310 (https:// or file: only)
        body = reply.read(MAX_FEED_BYTES + 1)
    if len(body) > MAX_FEED_BYTES:
        raise UntrustedFeedError(f"the release feed is over {MAX_FEED_BYTES} bytes")
    return body


def read_release(settings: UpdateSettings, fetch: Callable[[str], bytes] = read_feed) -> Release:
    """Read and verify the feed once; :class:`UntrustedFeedError` or ``OSError`` when it cannot be trusted / read."""
    document = fetch(settings.feed_url)
    return verify_feed(
        document, release_key(settings.public_key), base_url=settings.feed_url, pre_releases=settings.pre_releases
    )


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
        self._settings, self._fetch, self._clock = settings, fetch, clock
        self._current = current
        self._current_key = version_key(current)
        self._latest: Release | None = None
        self._checked_at: datetime | None = None
        self._problem = ""
        self._install_problem = ""

    def note_install_failure(self, version: str, reason: str) -> None:
        """Show on ``/healthz`` and in the console that ``version`` was not installed, and why."""
        self._install_problem = f"{version} was not installed: {reason}"

    def check(self) -> None:
        """Read and verify the feed once (blocking); a failure is kept as the status's problem, not raised."""
        try:
            self._latest = read_release(self._settings, self._fetch)
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
    def latest(self) -> Release | None:
        """The release the feed last announced (verified), newer or not."""
        return self._latest

    @property
    def available(self) -> bool:
        return self._latest is not None and version_key(self._latest.version) > self._current_key

    def status(self) -> dict[str, Any]:
        """``{current, latest, available, url, notes, checked_at, problem}``; ``problem`` is the feed's, else why
        the newer release was not installed."""
        latest = self._latest
        return {
            "current": self._current,
            "latest": latest.version if latest else None,
            "available": self.available,
            "url": latest.url if latest and self.available else None,
            "notes": latest.notes if latest and self.available else "",
            "checked_at": self._checked_at.isoformat() if self._checked_at else None,
            "problem": self._problem or (self._install_problem if self.available else ""),
        }

    async def run(self, after_check: Callable[[], Any] | None = None) -> None:
        """Check at once, then every ``check_interval_s``, until cancelled; ``after_check`` runs after each check."""
        while True:
            await asyncio.to_thread(self.check)
            if after_check is not None:
                await after_check()
            await asyncio.sleep(self._settings.check_interval_s)
