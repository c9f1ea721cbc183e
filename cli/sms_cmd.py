"""``commsuite sms``: SMS tools for administrators.

``commsuite sms test-send`` sends one message through a described panel (kind
``configurable``; docs/sms-providers.md) before its description is saved on a
provider row, and prints the outcome as JSON. The password is read from an
environment variable (``--password-env``), never from the command line, where
other users could see it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

DEFAULT_PASSWORD_ENV = "COMMSUITE_PANEL_PASSWORD"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("sms", help="SMS tools for administrators")
    actions = parser.add_subparsers(dest="sms_command", metavar="ACTION", required=True)
    trial = actions.add_parser("test-send", help="send one message through a panel description and show the outcome")
    trial.add_argument("--description", required=True, type=Path, help="the panel description (JSON file)")
    trial.add_argument("--to", required=True, help="recipient, e.g. +989121234567 or 09121234567")
    trial.add_argument("--text", default="CommSuite test", help="message text")
    trial.add_argument("--username", help="panel user name, for {username}")
    trial.add_argument("--sender", help="sender line, for {sender}")
    trial.add_argument("--base-url", help="API address overriding the description's")
    trial.add_argument(
        "--password-env",
        default=DEFAULT_PASSWORD_ENV,
        help=f"environment variable holding the password or key (default {DEFAULT_PASSWORD_ENV})",
    )
    trial.set_defaults(func=run_test_send)


def run_test_send(args: argparse.Namespace) -> int:
    from services.sms.panel_trial import trial_send

    password = os.environ.get(args.password_env, "")
    if not password:
        print(f"set {args.password_env} to the panel's password or key", file=sys.stderr)
        return 2
    try:
        description = args.description.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"cannot read {args.description}: {exc.strerror}", file=sys.stderr)
        return 2
    outcome = trial_send(
        description,
        to=args.to,
        text=args.text,
        password=password,
        username=args.username,
        sender=args.sender,
        base_url=args.base_url,
    )
    print(json.dumps(outcome.as_dict(), ensure_ascii=False, indent=2))
    return 0 if outcome.ok else 1
