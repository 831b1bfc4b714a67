from django.conf import settings
from django.core.management.base import BaseCommand

from conectar.platform.queues import all_queues, delivery_queues, domain_queues

KINDS = {"domain": domain_queues, "deliveries": delivery_queues, "all": all_queues}


class Command(BaseCommand):
    help = "Print the Celery queues of a kind of worker, for the contexts this process runs (`celery worker -Q`)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS), nargs="?", default="all")

    def handle(self, *args, kind="all", **options):
        self.stdout.write(",".join(KINDS[kind](tuple(settings.CONTEXTS_HERE))))
