from django.core.management.base import BaseCommand, CommandError

from conectar.platform.databases import ALIASES, aliases_here
from conectar.platform.eventbus.redrive import redrive


class Command(BaseCommand):
    help = "Re-deliver dead-lettered events to their handlers (all databases unless --database)."

    def add_arguments(self, parser):
        parser.add_argument("--database", choices=ALIASES, help="only this context database")
        parser.add_argument("--id", action="append", dest="ids", help="only this dead letter (repeatable)")

    def handle(self, *args, database=None, ids=None, **options):
        aliases = [database] if database else aliases_here()
        if ids and not database:
            raise CommandError("--id needs --database: dead letter ids are per database")
        total = 0
        for alias in aliases:
            sent = redrive(alias, ids)
            total += sent
            if sent:
                self.stdout.write(f"{alias}: re-drove {sent}")
        self.stdout.write(self.style.SUCCESS(f"re-drove {total} dead letter(s)"))
