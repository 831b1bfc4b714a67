"""`python -m conectar.devtools.sandbox --port 8765 --webhook-secret S [--host 127.0.0.1]`."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys

from conectar.devtools.sandbox.server import MercadoPagoSandbox


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m conectar.devtools.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--webhook-secret",
        default=os.environ.get("MERCADOPAGO_WEBHOOK_SECRET", ""),
        help="signs webhooks (default: $MERCADOPAGO_WEBHOOK_SECRET)",
    )
    parser.add_argument("--public-url", default=None, help="the URL browsers reach this server at")
    parser.add_argument("--webhook-timeout", type=float, default=5.0)
    parser.add_argument(
        "--notification-url",
        default=None,
        help="webhook URL for preferences without notification_url (MercadoPago's panel setting)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if not args.webhook_secret:
        parser.error("--webhook-secret (or MERCADOPAGO_WEBHOOK_SECRET) is required")
    sandbox = MercadoPagoSandbox(
        webhook_secret=args.webhook_secret,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        webhook_timeout=args.webhook_timeout,
        notification_url=args.notification_url,
        verbose=args.verbose,
    )
    sys.stdout.write(f"MercadoPago sandbox listening on {sandbox.url} (controls under /__sandbox/)\n")
    sys.stdout.flush()
    with contextlib.suppress(KeyboardInterrupt):
        sandbox.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
