"""The bench's baseline: the same one-row write as the probe subscriber, as a plain Celery task."""

from celery import shared_task
from django.db import transaction

from tests.support.probe.models import ProbeEffect


@shared_task(name="probe.write_row", ignore_result=True)
def write_row(n: int) -> None:
    with transaction.atomic(using="payments"):
        ProbeEffect.objects.using("payments").create(
            event_id="00000000-0000-0000-0000-000000000000", handler="baseline", label=str(n)
        )
