"""Beat sweeps of the marketplace: time moves ofertas, trabajos and reviews (DOMAIN.md)."""

from __future__ import annotations

from celery import shared_task

from conectar.marketplace.services import ofertas, resenas, trabajos


@shared_task(name="marketplace.expire_ofertas", ignore_result=True)
def expire_ofertas() -> int:
    return ofertas.ofertas_expire_due()


@shared_task(name="marketplace.expire_unpaid_trabajos", ignore_result=True)
def expire_unpaid_trabajos() -> int:
    return trabajos.unpaid_expire_due()


@shared_task(name="marketplace.release_delivered_trabajos", ignore_result=True)
def release_delivered_trabajos() -> int:
    return trabajos.delivered_release_due()


@shared_task(name="marketplace.publish_due_resenas", ignore_result=True)
def publish_due_resenas() -> int:
    return resenas.resenas_publish_due()
