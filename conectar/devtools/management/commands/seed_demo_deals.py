"""`manage.py seed_demo_deals`: the demo cliente's and professional's chat, ofertas and trabajos in
every state (conectar/devtools/demo/deals.py). Needs the running system: `make run` starts it once
the web server answers."""

from __future__ import annotations

import time
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conectar.devtools.demo.credentials import Credentials
from conectar.devtools.demo.deals import DemoDealsUnavailable, seed_demo_deals
from conectar.shared.errors import DomainError


class Command(BaseCommand):
    help = "The demo pair's chat, ofertas and trabajos in every state, through the running system (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for payments to land")
        parser.add_argument(
            "--wait-ready",
            metavar="URL",
            action="append",
            default=[],
            help="first wait until this health URL answers 200 (repeatable: the gateway and each lifted service)",
        )

    def handle(self, *args, timeout: float, wait_ready: list[str], verbosity: int = 1, **options):
        if settings.PRODUCTION:
            raise CommandError("seed_demo_deals makes demo ofertas and payments: never with CONECTAR_ENV=production")
        for url in wait_ready:
            _wait_ready(url, timeout)
        try:
            report = seed_demo_deals(credentials=Credentials.from_env(), timeout=timeout)
        except (DemoDealsUnavailable, DomainError) as exc:
            raise CommandError(f"demo deals: {getattr(exc, 'detail', exc)}") from exc
        if not verbosity:
            return
        if not report.created:
            self.stdout.write("demo deals already there, nothing to create")
            return
        states = ", ".join(f"{plan} → {estado}" for plan, estado in report.trabajos.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"demo deals: {report.ofertas} ofertas and {len(report.trabajos)} trabajos ({states}) "
                f"in {report.seconds:.1f} s"
            )
        )


def _wait_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - a local health URL
                if response.status == 200:  # noqa: PLR2004
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise CommandError(f"demo deals: {url} did not answer within {timeout:.0f} s")
        time.sleep(1)
