import os

from django.core.management.base import BaseCommand, CommandError

from conectar.auth_ctx import services
from conectar.shared.errors import InvalidInput


class Command(BaseCommand):
    help = "Create a staff admin account (or promote an existing one). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--email", default=os.environ.get("ADMIN_EMAIL"))
        parser.add_argument("--password", default=os.environ.get("ADMIN_PASSWORD"))
        parser.add_argument("--nombre", default="Admin")
        parser.add_argument("--apellido", default="Conectar")

    def handle(self, *args, email=None, password=None, nombre="Admin", apellido="Conectar", **options):
        if not email or not password:
            raise CommandError("--email and --password (or ADMIN_EMAIL and ADMIN_PASSWORD) are required")
        try:
            account, created = services.admin_ensure(email=email, password=password, nombre=nombre, apellido=apellido)
        except InvalidInput as exc:
            raise CommandError(f"{exc.detail} {exc.fields}") from exc
        state = "created" if created else "already existed; ensured it is an active admin (password unchanged)"
        self.stdout.write(self.style.SUCCESS(f"admin {account.email} {state}"))
