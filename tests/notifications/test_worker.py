"""With the real Celery worker: the worker gets the stand-ins' URLs from its environment (see
conftest.py), runs the handlers and the delivery tasks, and waits out a provider outage."""

from uuid import UUID

import pytest
from django.test import Client

from conectar.notifications.models import Delivery, DeliveryAttempt
from tests.notifications.conftest import FAIL_MAX
from tests.notifications.helpers import internal
from tests.support.accounts import register
from tests.support.standins import SendGridStandIn
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def test_registration_sends_the_welcome_email_through_the_worker(worker, providers):
    user = register(Client(), nombre="Lucía")
    wait_until(lambda: providers.sendgrid.mails, timeout=30, message="the welcome e-mail at SendGrid")
    (mail,) = providers.sendgrid.mails
    assert SendGridStandIn.to(mail) == user["email"]
    row = Delivery.objects.get(notification__user_id=UUID(user["id"]), channel="email")
    wait_until(lambda: Delivery.objects.get(pk=row.pk).status == "sent", timeout=10, message="the delivery settled")


def test_a_provider_outage_opens_the_breaker_and_deliveries_go_out_after_it_closes(worker, providers):
    providers.sendgrid.down()
    count = FAIL_MAX * 2 + 2  # enough that each of the worker's two processes trips its own breaker
    client = Client()
    for i in range(count):
        body = {"to": f"persona{i}@example.com", "subject": f"Aviso {i}", "body": "Hola", "idempotency_key": f"o{i}"}
        assert internal(client, "email", body).status_code == 202

    def waited_for_the_breaker():
        return DeliveryAttempt.objects.filter(outcome="circuit_open").exists()

    wait_until(waited_for_the_breaker, timeout=30, message="a delivery held by the open breaker")
    assert not Delivery.objects.filter(status="failed").exists(), "an outage is waited out, not a failure"
    assert providers.sendgrid.mails == []

    providers.sendgrid.up()
    wait_until(
        lambda: Delivery.objects.filter(status="sent").count() == count,
        timeout=60,
        message="every delivery sent once the breaker closed",
    )
    assert sorted(m["subject"] for m in providers.sendgrid.mails) == sorted(f"Aviso {i}" for i in range(count))
    held = DeliveryAttempt.objects.filter(outcome="circuit_open").values_list("delivery_id", flat=True)
    calls = len(providers.sendgrid.received())
    attempts = DeliveryAttempt.objects.count()
    assert calls < attempts, "while the breaker was open, deliveries did not call SendGrid"
    assert set(Delivery.objects.filter(pk__in=held).values_list("status", flat=True)) == {"sent"}
