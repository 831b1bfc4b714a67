from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections

from conectar.platform.databases import aliases_here
from conectar.platform.provisioning import ensure_database


class Command(BaseCommand):
    help = (
        "Create any missing context database (PostGIS where needed) and migrate, in order, every alias "
        "this process has: all of them in the monolith, only its own in a context's service."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-migrate", action="store_true", help="only create the databases")

    def handle(self, *args, no_migrate=False, verbosity=1, **options):
        aliases = aliases_here()
        for alias in aliases:
            settings_dict = connections[alias].settings_dict
            geo = "postgis" in settings_dict["ENGINE"]
            created = ensure_database(settings_dict, geo=geo)
            if verbosity:
                state = "created" if created else "exists"
                self.stdout.write(f"database {alias} ({settings_dict['NAME']}): {state}")
        if no_migrate:
            return
        for alias in aliases:
            if verbosity:
                self.stdout.write(f"migrating {alias}")
            call_command("migrate", database=alias, interactive=False, verbosity=max(0, verbosity - 1))
        self.stdout.write(self.style.SUCCESS("every context database is ready"))
