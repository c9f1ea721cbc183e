"""Run the fake Kavenegar on its own: ``python -m emulator.sms_provider --port 8810 --api-key demo-key``."""

from __future__ import annotations

import argparse
import logging
import threading

from emulator.sms_provider.server import FakeSmsProviderServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.sms_provider", description=__doc__)
    parser.add_argument("--port", type=int, default=8810, help="loopback port (0 = any free port)")
    parser.add_argument("--api-key", default="test-key", help="the API key clients must use")
    parser.add_argument("--latency-ms", type=int, default=0, help="added latency per request")
    parser.add_argument("--credit", type=int, default=1_500_000, help="starting credit in Rial")
    parser.add_argument("--sent-after", type=float, default=0.5, help="seconds until a message is at the operator")
    parser.add_argument("--delivered-after", type=float, default=2.0, help="seconds until it is delivered")
    parser.add_argument(
        "--fail-delivery",
        action="append",
        default=[],
        metavar="NUMBER",
        help="messages to this number end undelivered (repeatable)",
    )
    parser.add_argument("--inbound-url", help="POST inbound texts here (Kavenegar's realtime receive URL)")
    parser.add_argument("--delivery-url", help="POST final delivery statuses here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    server = FakeSmsProviderServer(
        args.api_key,
        args.latency_ms / 1000,
        port=args.port,
        credit=args.credit,
        sent_after_s=args.sent_after,
        delivered_after_s=args.delivered_after,
        failing_receptors=args.fail_delivery,
        inbound_url=args.inbound_url,
        delivery_url=args.delivery_url,
    )
    try:
        server.start()
    except OSError as exc:
        logging.error("cannot listen on 127.0.0.1:%d: %s", args.port, exc)
        return 1
    print(f"Fake Kavenegar REST: {server.base_url}", flush=True)
    print(f"Fake Kavenegar SOAP: {server.soap_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        logging.info("stopping")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
