"""Run the AMI emulator: ``python -m emulator.ami --dialect modern --port 5038 --loop inbound_answered``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from emulator.ami.playbook import SCENARIOS
from emulator.ami.server import AmiServer


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator.ami", description=__doc__)
    parser.add_argument("--dialect", choices=("modern", "legacy"), default="modern")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5038)
    parser.add_argument("--username", default="crm")
    parser.add_argument("--secret", default="crm-secret")
    parser.add_argument("--speed", type=float, default=1.0, help="2 plays scenarios twice as fast")
    parser.add_argument(
        "--loop", nargs="*", choices=sorted(SCENARIOS), default=[], help="scenarios to play over and over"
    )
    parser.add_argument("--pause", type=float, default=5.0, help="seconds between scenarios")
    return parser.parse_args()


async def _main(args: argparse.Namespace) -> None:
    server = await AmiServer(
        dialect=args.dialect,
        host=args.host,
        port=args.port,
        username=args.username,
        secret=args.secret,
        speed=args.speed,
    ).start()
    print(f"AMI emulator ({args.dialect}) listening on {args.host}:{server.port}", flush=True)
    try:
        while True:
            for name in args.loop:
                await server.play(name)
                await asyncio.sleep(args.pause)
            if not args.loop:
                await asyncio.sleep(3600)
    finally:
        await server.stop()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(_arguments()))
