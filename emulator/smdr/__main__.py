"""Replay an SMDR log: ``python -m emulator.smdr tcp LOG --port 2300`` or ``python -m emulator.smdr pty LOG``.

``tcp`` serves the NS500 console (login ``SMDR`` / the password) and prints the
log's records to every client that logs in; ``pty`` opens a pseudo-terminal,
prints its path, and writes the log to it as a serial printer would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from pathlib import Path

from emulator.smdr.pty import PtyPrinter
from emulator.smdr.server import SmdrServer


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m emulator.smdr", description=__doc__)
    parser.add_argument("mode", choices=("tcp", "pty"))
    parser.add_argument("log", type=Path, help="SMDR lines to replay, one record a line")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2300)
    parser.add_argument("--password", default="PCCSMDR")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between records")
    return parser.parse_args()


async def _tcp(args: argparse.Namespace, lines: list[str]) -> None:
    server = await SmdrServer(password=args.password, host=args.host, port=args.port).start()
    print(f"SMDR console listening on {args.host}:{server.port}", flush=True)
    try:
        await server.wait_for_clients(timeout_s=24 * 3600)
        for line in lines:
            await server.send_lines([line])
            await asyncio.sleep(args.interval)
        await asyncio.sleep(24 * 3600)
    finally:
        await server.stop()


async def _pty(args: argparse.Namespace, lines: list[str]) -> None:
    with PtyPrinter() as printer:
        print(f"SMDR printer on {printer.path}", flush=True)
        for line in lines:
            await asyncio.sleep(args.interval)
            printer.print_lines([line])
        await asyncio.sleep(24 * 3600)


def main() -> None:
    args = _arguments()
    lines = [line for line in args.log.read_text(encoding="utf-8").splitlines() if line.strip()]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_tcp(args, lines) if args.mode == "tcp" else _pty(args, lines))


if __name__ == "__main__":
    main()
