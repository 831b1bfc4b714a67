"""`manage.py reconcile_payments --since YYYY-MM-DD [--until YYYY-MM-DD]`: MercadoPago against our
ledger. Prints one line per mismatch; exits 1 when there is any (so a scheduler can alert)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from conectar.payments.contracts import PaymentProviderUnavailable
from conectar.payments.services.reconciliation import reconcile


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"not a date (YYYY-MM-DD): {value!r}") from None


class Command(BaseCommand):
    help = "Compare MercadoPago's payments with our payments and ledger; exit 1 on any mismatch."

    def add_arguments(self, parser):
        parser.add_argument("--since", required=True, type=_date, help="first day (YYYY-MM-DD), local time")
        parser.add_argument("--until", type=_date, default=None, help="last day (default: now)")

    def handle(self, *args, since: date, until: date | None, **options):
        if until is not None and until < since:
            raise CommandError("--until is before --since")
        try:
            mismatches = reconcile(since=since, until=until)
        except PaymentProviderUnavailable as exc:
            raise CommandError("MercadoPago is unavailable; nothing was compared") from exc
        for mismatch in mismatches:
            self.stdout.write(str(mismatch))
        if mismatches:
            raise CommandError(f"{len(mismatches)} mismatch(es) between MercadoPago and the ledger")
        self.stdout.write(self.style.SUCCESS("MercadoPago and the ledger agree."))
