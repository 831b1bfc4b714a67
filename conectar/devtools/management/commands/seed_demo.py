"""`manage.py seed_demo`: the demo data of `make run` (see conectar/devtools/demo)."""

from __future__ import annotations

import logging
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from conectar.devtools.demo.credentials import APPROVED_EMAIL, PENDING_EMAIL, Credentials
from conectar.devtools.demo.plan import DEFAULT_APPROVED, DEFAULT_PENDING
from conectar.devtools.demo.seed import MissingOficio, SeedReport, seed_demo
from conectar.shared.errors import DomainError

PROGRESS_EVERY = 50


class Command(BaseCommand):
    help = (
        "Load the demo data, idempotently: the demo admin, cliente and professional, approved professionals "
        "around Buenos Aires, Córdoba and Rosario with portfolios, and a few waiting for KYC review. "
        "Credentials from ADMIN_EMAIL, ADMIN_PASSWORD, DEMO_CLIENTE_EMAIL, DEMO_PROFESIONAL_EMAIL and "
        "DEMO_PASSWORD (defaults in conectar/devtools/demo/credentials.py); existing accounts keep their password."
    )

    def add_arguments(self, parser):
        parser.add_argument("--professionals", type=int, default=DEFAULT_APPROVED, help="approved professionals")
        parser.add_argument("--pending", type=int, default=DEFAULT_PENDING, help="professionals waiting for KYC review")

    def handle(self, *args, professionals: int, pending: int, verbosity: int = 1, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with published passwords: never with CONECTAR_ENV=production"
            )
        if professionals < 0 or pending < 0:
            raise CommandError("--professionals and --pending cannot be negative")
        credentials = Credentials.from_env()

        def progress(done: int, total: int) -> None:
            if verbosity > 1 or (verbosity == 1 and done % PROGRESS_EVERY == 0):
                self.stdout.write(f"  demo data: {done}/{total} professionals…")

        try:
            with _quiet_services(unless=verbosity > 1):
                report = seed_demo(credentials=credentials, approved=professionals, pending=pending, progress=progress)
        except DomainError as exc:  # e.g. a DEMO_PASSWORD the password validators refuse
            raise CommandError(f"{exc.detail} {getattr(exc, 'fields', None) or ''}".strip()) from exc
        except MissingOficio as exc:
            raise CommandError(f"{exc}; run `manage.py setup_databases` first") from exc
        if verbosity:
            self._print(report, credentials, professionals=professionals, pending=pending)

    def _print(self, report: SeedReport, credentials: Credentials, *, professionals: int, pending: int) -> None:
        if report.created_anything:
            self.stdout.write(
                self.style.SUCCESS(
                    f"demo data: {report.accounts_created} accounts, {report.approved} approved professionals, "
                    f"{report.queued} in the KYC queue and {report.portfolio_items} portfolio items created "
                    f"({report.seconds:.1f} s)"
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"demo data already loaded, nothing to create ({report.seconds:.1f} s)")
            )
        for email in report.skipped:
            self.stdout.write(self.style.WARNING(f"  {email} belongs to an account of another role: left alone"))
        lines = [
            ("admin", f"{credentials.admin_email} / {credentials.admin_password}"),
            ("cliente", f"{credentials.cliente_email} / {credentials.password}"),
            ("profesional", f"{credentials.profesional_email} / {credentials.password}"),
        ]
        for label, template, count in (
            ("approved", APPROVED_EMAIL, professionals),
            ("KYC queue", PENDING_EMAIL, pending),
        ):
            if count:
                last = f" … {template.format(number=count)}" if count > 1 else ""
                lines.append((label, f"{template.format(number=1)}{last} / {credentials.password}"))
        for label, text in lines:
            self.stdout.write(f"  {label:<13}{text}")


@contextmanager
def _quiet_services(*, unless: bool):
    """The services log each upload and submission at INFO, and without a broker every event's
    in-process delivery logs too: thousands of lines here, shown with -v 2."""
    loggers = [logging.getLogger(name) for name in ("conectar", "celery")]
    previous = [logger.level for logger in loggers]
    if not unless:
        for logger in loggers:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, previous, strict=True):
            logger.setLevel(level)
