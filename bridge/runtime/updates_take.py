"""Take a release (CALL-44): refuse what must not be installed, download, install side by side, smoke-test,
switch; and the automatic path that does it inside the maintenance window.

Used by ``commsuite bridge update --install`` and, with ``[updates] install = "auto"``, by
:mod:`bridge.plugins.updates`, which then stops the bridge with :data:`~bridge.runtime.service.RESTART_STATUS`
so the service manager starts it again from ``current``, now the new version.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import BinaryIO

from bridge.runtime.updates import UpdateChecker, UpdateSettings
from bridge.runtime.updates_download import ArtefactError, download_artefacts, open_url
from bridge.runtime.updates_install import (
    InstallError,
    Layout,
    Runner,
    find_layout,
    install_venv,
    prune,
    smoke_test,
    switch_to,
)
from bridge.runtime.updates_manifest import Release, UntrustedFeedError
from bridge.runtime.updates_policy import MaintenanceWindow, install_refusal, is_wanted, parse_window

log = logging.getLogger(__name__)

#: What can stop an install; ``current`` is unchanged after any of them.
TAKE_ERRORS = (InstallError, ArtefactError, UntrustedFeedError, OSError)


class UpdateRefusedError(InstallError):
    """The release must not be installed here (older, a pre-release, an outbox it cannot read, no wheel)."""


@dataclass(frozen=True)
class Installer:
    """Everything an install needs besides the release: the settings, the running version, its config file."""

    settings: UpdateSettings
    current: str
    config: Path
    layout: Layout | None = None
    python: str = sys.executable
    run: Runner = subprocess.run
    opener: Callable[[str], BinaryIO] = open_url

    def is_newer(self, release: Release) -> bool:
        """Whether ``release`` is newer than the running version (pre-releases only when configured)."""
        return is_wanted(release, self.current, pre_releases=self.settings.pre_releases)

    def take(self, release: Release, *, by_hand: bool = False) -> Path:
        """Install ``release`` and point ``current`` at it; the new venv. Raises one of :data:`TAKE_ERRORS`.

        Unless ``by_hand``, a version an administrator rolled back from is not taken again.
        """
        refusal = install_refusal(release, self.current, pre_releases=self.settings.pre_releases)
        if refusal:
            raise UpdateRefusedError(refusal)
        layout = self.layout or find_layout(self.settings.install_root)
        if not by_hand and layout.held_back_version() == release.version:
            raise UpdateRefusedError(f"{release.version} was rolled back from; install it by hand to take it again")
        downloads = layout.downloads_of(release.version)
        files = download_artefacts(release, downloads, max_bytes=self.settings.max_artefact_bytes, opener=self.opener)
        venv = install_venv(layout, release.version, files, python=self.python, run=self.run)
        try:
            smoke_test(venv, release.version, self.config, run=self.run)
        except InstallError:
            shutil.rmtree(venv, ignore_errors=True)
            raise
        switch_to(layout, venv)
        prune(layout)
        log.info("CommSuite %s installed in %s (was %s)", release.version, venv, self.current)
        return venv


def next_start(window: MaintenanceWindow, now: datetime) -> datetime:
    """The first start of ``window`` after ``now`` (same time zone as ``now``)."""
    start = now.replace(hour=window.start.hour, minute=window.start.minute, second=0, microsecond=0)
    return start if start > now else start + timedelta(days=1)


@dataclass
class AutoInstaller:
    """``install = "auto"``: inside the window, read the feed and take a newer release; once per version a run."""

    checker: UpdateChecker
    installer: Installer
    on_installed: Callable[[str], None]
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def window(self) -> MaintenanceWindow:
        return parse_window(self.installer.settings.window)

    async def attempt(self) -> str | None:
        """Inside the window, check the feed and install what it offers; the version installed, else ``None``."""
        if self.clock() not in self.window:
            return None
        await asyncio.to_thread(self.checker.check)
        release = self.checker.latest
        if release is None or not self.checker.available or release.version in self.failed:
            return None
        try:
            await asyncio.to_thread(self.installer.take, release)
        except TAKE_ERRORS as exc:
            self.failed[release.version] = str(exc)
            self.checker.note_install_failure(release.version, str(exc))
            log.error("CommSuite %s was not installed; this version stays: %s", release.version, exc)
            return None
        self.on_installed(release.version)
        return release.version

    async def run(self) -> None:
        """Attempt now, then at every start of the window, until cancelled (or the bridge stops to restart)."""
        while True:
            await self.attempt()
            now = self.clock()
            await asyncio.sleep((next_start(self.window, now) - now).total_seconds())
