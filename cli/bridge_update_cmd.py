"""``commsuite bridge update``: look for, install, or roll back a bridge release (CALL-44).

    commsuite bridge update --check     --config /etc/commsuite/bridge.toml   # what the signed feed offers
    commsuite bridge update --install   --config /etc/commsuite/bridge.toml   # take it now (any time of day)
    commsuite bridge update --rollback  --config /etc/commsuite/bridge.toml   # current <-> previous

Run it as the service's user, with the service's environment (its secrets): the smoke test runs the new
version's ``bridge check`` on this config. After ``--install`` / ``--rollback``, restart the service.

Exit codes: 0 done (``--check``: no newer release); 1 the install or rollback failed (``current`` unchanged);
2 the config file is unusable or has no ``[updates]``; 3 (``--check``) a newer release is available.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)

NEWER_AVAILABLE = 3


def register(commands: argparse._SubParsersAction, default_config: Path) -> None:
    parser = commands.add_parser(
        "update",
        help="check the signed release feed, install a newer release side by side, or roll back",
        description="Check the [updates] feed, install a newer release into a new venv and switch the current "
        "link to it, or roll back to the previous venv (docs/bridge.md, Updates).",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--check", dest="action", action="store_const", const="check", help="(default)")
    action.add_argument("--install", dest="action", action="store_const", const="install")
    action.add_argument("--rollback", dest="action", action="store_const", const="rollback")
    parser.add_argument("--config", type=Path, default=default_config, help=f"default {default_config}")
    parser.set_defaults(func=update, action="check")


def update(args: argparse.Namespace) -> int:
    from cli.bridge_cmd import _load

    config = _load(args.config)
    if config is None:
        return 2
    if config.updates is None:
        print(f"{args.config}: no [updates] table (feed_url, public_key); see docs/bridge.md, Updates")
        return 2
    if args.action == "rollback":
        return _roll_back(config.updates)
    return _check_or_install(config.updates, args.config, install=args.action == "install")


def _check_or_install(settings, config_path: Path, *, install: bool) -> int:
    from bridge.runtime.updates import read_release
    from bridge.runtime.updates_take import TAKE_ERRORS, Installer
    from bridge.runtime.version import bridge_version

    current = bridge_version()
    try:
        release = read_release(settings)
    except TAKE_ERRORS as exc:
        print(f"release feed not read: {exc}")
        return 1
    print(f"running {current}; the feed offers {release.version}")
    if not install:
        newer = Installer(settings, current, config_path).is_newer(release)
        return NEWER_AVAILABLE if newer else 0
    try:
        venv = Installer(settings, current, config_path).take(release, by_hand=True)
    except TAKE_ERRORS as exc:
        print(f"not installed, {current} stays: {exc}")
        return 1
    print(f"installed {release.version} in {venv}; restart the service to run it")
    return 0


def _roll_back(settings) -> int:
    from bridge.runtime.updates_install import InstallError, find_layout, roll_back

    try:
        venv = roll_back(find_layout(settings.install_root))
    except (InstallError, OSError) as exc:
        print(f"not rolled back: {exc}")
        return 1
    print(f"current now points at {venv}; restart the service to run it")
    return 0
