"""Install a release side by side and switch to it (CALL-44): a new venv, an offline pip install, a smoke test,
then the ``current`` link moves in one step; ``previous`` keeps the version before for a rollback.

The layout under the install root (``/opt/commsuite``, ``C:\\CommSuite``)::

    venvs/1.3.0/   venvs/1.4.0/   current -> venvs/1.4.0   previous -> venvs/1.3.0   downloads/1.4.0/

The service runs ``current/bin/commsuite`` (``current\\Scripts\\commsuite.exe``), so it starts the new version at
its next start; a failed install or smoke test leaves ``current`` alone and removes the half-built venv.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

#: Seconds for each step run in the new venv (creating it, pip, the smoke test).
STEP_TIMEOUT_S = 600.0
_CHECK_SUMMARY = re.compile(r"^\d+ check\(s\) failed$", re.MULTILINE)

Runner = Callable[..., subprocess.CompletedProcess]


class InstallError(RuntimeError):
    """The new version could not be installed, or failed its smoke test; ``current`` was not changed."""


@dataclass(frozen=True)
class Layout:
    """Where the venvs and the ``current`` / ``previous`` links live."""

    root: Path

    @property
    def venvs(self) -> Path:
        return self.root / "venvs"

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def previous(self) -> Path:
        return self.root / "previous"

    @property
    def held_back(self) -> Path:
        """Names the version a rollback left: automatic installs skip it (``--install`` by hand takes it)."""
        return self.root / "held-back"

    def held_back_version(self) -> str:
        return self.held_back.read_text(encoding="utf-8").strip() if self.held_back.exists() else ""

    def venv_of(self, version: str) -> Path:
        return self.venvs / version

    def downloads_of(self, version: str) -> Path:
        return self.root / "downloads" / version


def find_layout(install_root: str | None, prefix: str = sys.prefix) -> Layout:
    """The configured root, or the one the running venv sits in (``<root>/venvs/<version>``).

    :class:`InstallError` when neither: the bridge was installed by hand elsewhere (``docs/bridge.md``, Updates,
    says how to move it into the layout once).
    """
    if install_root:
        return Layout(Path(install_root))
    running = Path(prefix).resolve()
    if running.parent.name == "venvs":
        return Layout(running.parent.parent)
    raise InstallError(f"the bridge runs from {running}, not from <root>/venvs/<version>; set [updates] install_root")


def scripts_of(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def python_of(venv: Path) -> Path:
    return scripts_of(venv) / ("python.exe" if os.name == "nt" else "python")


def commsuite_of(venv: Path) -> Path:
    return scripts_of(venv) / ("commsuite.exe" if os.name == "nt" else "commsuite")


def install_venv(
    layout: Layout,
    version: str,
    files: dict[str, Path],
    *,
    python: str = sys.executable,
    run: Runner = subprocess.run,
) -> Path:
    """A new venv holding ``version``, installed offline from ``files``; :class:`InstallError` otherwise."""
    target = layout.venv_of(version)
    if layout.current.exists() and target.resolve() == layout.current.resolve():
        raise InstallError(f"{version} is the version current points at")
    shutil.rmtree(target, ignore_errors=True)  # a half-built venv from an earlier try
    wheel = _own_wheel(version, files)
    pip = [str(python_of(target)), "-m", "pip", "install", "--no-index", "--no-cache-dir"]
    pip += ["--disable-pip-version-check"]
    pip += ["--find-links", str(wheel.parent)]
    if "constraints.txt" in files:
        pip += ["-c", str(files["constraints.txt"])]
    try:
        _step(run, [python, "-m", "venv", str(target)], "creating the venv")
        _step(run, [*pip, str(wheel)], "pip install")
    except InstallError:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return target


def smoke_test(venv: Path, version: str, config: Path, *, run: Runner = subprocess.run) -> None:
    """The new version reports ``version`` and reads the running bridge's config; :class:`InstallError` otherwise.

    ``bridge check`` exits 1 when a device or Dataverse does not answer; that is the site's state, not the new
    version's fault, so it passes when the check got as far as its summary line. A config it cannot read (2), a
    crash, or anything else fails.
    """
    exe = str(commsuite_of(venv))
    reply = _step(run, [exe, "--version"], "commsuite --version")
    if version not in reply.stdout.split():
        raise InstallError(f"the new venv reports {reply.stdout.strip()!r}, not {version}")
    try:
        check = run([exe, "bridge", "check", "--config", str(config)], **_CAPTURE)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"the new version's bridge check did not run: {exc}") from exc
    if check.returncode == 1 and _CHECK_SUMMARY.search(check.stdout):
        log.warning("new version %s: bridge check reached the site with failures:\n%s", version, check.stdout)
    elif check.returncode != 0:
        raise InstallError(f"the new version's bridge check failed ({check.returncode}): {_tail(check)}")


def switch_to(layout: Layout, venv: Path) -> None:
    """Point ``previous`` at what ``current`` points at, then ``current`` at ``venv``, each link in one step."""
    if layout.current.exists():
        _point(layout.previous, layout.current.resolve())
    _point(layout.current, venv)
    layout.held_back.unlink(missing_ok=True)
    log.info("current now points at %s", venv)


def roll_back(layout: Layout) -> Path:
    """Swap ``current`` and ``previous`` and hold the version left back from automatic installs; the venv
    ``current`` now points at. :class:`InstallError` without a previous version."""
    if not layout.previous.exists() or not layout.current.exists():
        raise InstallError(f"no previous version to roll back to under {layout.root}")
    back, forward = layout.previous.resolve(), layout.current.resolve()
    _point(layout.current, back)
    _point(layout.previous, forward)
    layout.held_back.write_text(forward.name + "\n", encoding="utf-8")
    log.info("rolled back: current now points at %s", back)
    return back


def prune(layout: Layout) -> list[Path]:
    """Remove every venv and download that neither ``current`` nor ``previous`` points at; the removed ones."""
    kept = {link.resolve() for link in (layout.current, layout.previous) if link.exists()}
    removed = []
    for folder in (layout.venvs, layout.root / "downloads"):
        for entry in sorted(folder.iterdir()) if folder.is_dir() else []:
            if entry.resolve() not in kept:
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


def _own_wheel(version: str, files: dict[str, Path]) -> Path:
    prefix = f"commsuite-{version}-"
    wheels = [path for name, path in files.items() if name.startswith(prefix) and name.endswith(".whl")]
    if len(wheels) != 1:
        raise InstallError(f"the release lists {len(wheels)} wheel(s) named {prefix}*.whl; it must list one")
    return wheels[0]


_CAPTURE = {"capture_output": True, "text": True, "timeout": STEP_TIMEOUT_S, "check": False}


def _step(run: Runner, command: Sequence[str], what: str) -> subprocess.CompletedProcess:
    try:
        reply = run(list(command), **_CAPTURE)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{what} did not run: {exc}") from exc
    if reply.returncode != 0:
        raise InstallError(f"{what} failed ({reply.returncode}): {_tail(reply)}")
    return reply


def _tail(reply: subprocess.CompletedProcess) -> str:
    text = f"{reply.stdout or ''}{reply.stderr or ''}".strip()
    return text[-800:] or "no output"


def _point(link: Path, target: Path) -> None:
    """Make ``link`` a symbolic link to ``target`` (relative to the link's folder) by renaming a new link over it."""
    fresh = link.with_name(f"{link.name}.new")
    if fresh.is_symlink() or fresh.exists():
        fresh.unlink()
    os.symlink(os.path.relpath(target, link.parent), fresh, target_is_directory=True)
    try:
        os.replace(fresh, link)
    except OSError:
        if os.name != "nt":
            raise
        os.rmdir(link)  # Windows cannot rename over a directory link: remove it, then rename (not atomic)
        os.replace(fresh, link)
