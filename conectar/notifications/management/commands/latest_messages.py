"""`manage.py latest_messages [-n 10] [--channel email] [--all]`: print the latest messages, newest
first — by default those kept in the development store (no provider credentials), e.g. the
password-reset e-mail with its link under `make run`; `--all` shows every delivery."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from conectar.notifications.contracts import Channel
from conectar.notifications.models import DEV_PROVIDER, Delivery


class Command(BaseCommand):
    help = "Print the latest notification messages (the development store by default)."

    def add_arguments(self, parser):
        parser.add_argument("-n", "--number", type=int, default=10, help="how many (default 10)")
        parser.add_argument("--channel", choices=[c.value for c in Channel], help="only this channel")
        parser.add_argument("--all", action="store_true", help="every delivery, not only the development store")

    def handle(self, *args, number: int, channel: str | None, all: bool, **options):
        rows = Delivery.objects.select_related("notification").order_by("-created_at")
        if not all:
            rows = rows.filter(provider=DEV_PROVIDER)
        if channel:
            rows = rows.filter(channel=channel)
        rows = list(rows[: max(1, number)])
        if not rows:
            self.stdout.write("No hay mensajes todavía.")
            return
        for row in rows:
            self.stdout.write(self._format(row))

    def _format(self, row: Delivery) -> str:
        rule = "=" * 78
        head = [
            rule,
            f"{row.created_at:%Y-%m-%d %H:%M:%S %Z}  {row.channel.upper()}  [{row.status}"
            + (f": {row.reason}" if row.reason else "")
            + f"]  {row.notification.template}",
            f"Para: {row.to or row.recipient}",
        ]
        if row.subject:
            head.append(("Asunto: " if row.channel == Channel.EMAIL else "Título: ") + row.subject)
        if row.payload:
            head.append("Datos: " + ", ".join(f"{k}={v}" for k, v in sorted(row.payload.items())))
        return "\n".join([*head, "-" * 78, row.body.rstrip(), ""])
