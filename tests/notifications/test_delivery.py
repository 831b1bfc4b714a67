"""Delivery against the providers' stand-ins: faults, retries, refusals, dedupe and the breaker."""

from __future__ import annotations

import uuid
from datetime import timedelta
from uuid import UUID

import pytest
from django.utils import timezone

from conectar.notifications import handlers, tasks
from conectar.notifications.models import Delivery, DeliveryAttempt, Device, Notification
from conectar.notifications.services.delivery import delivery_attempt
from conectar.platform import breakers
from conectar.platform.eventbus.delivery import handle_once
from conectar.platform.eventbus.publishing import envelope_for
from conectar.platform.eventbus.subscriptions import subscriptions_for
from conectar.professionals.contracts import KYCApproved, KYCRejected
from tests.notifications.conftest import FAIL_MAX
from tests.notifications.helpers import person, publish_event, register_device, run_deliveries
from tests.support.events import published
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(databases="__all__")


def approved(user_id) -> KYCApproved:
    return KYCApproved(professional_id=uuid.uuid4(), usuario_id=UUID(str(user_id)), decided_by=None)


def rows(user_id, channel) -> list[Delivery]:
    return list(Delivery.objects.filter(notification__user_id=user_id, channel=channel))


OK = {"sendgrid": 202, "google": 200, "twilio": 201}


def accepted(providers, standin: str) -> list:
    return {"sendgrid": providers.sendgrid.mails, "google": providers.google.messages, "twilio": providers.twilio.sms}[
        standin
    ]


def outcomes(row: Delivery) -> list[str]:
    return list(DeliveryAttempt.objects.filter(delivery=row).order_by("id").values_list("outcome", flat=True))


@pytest.fixture
def pro(client):
    return person(client, rol="PROFESIONAL", nombre="Pedro", apellido="Gómez", telefono="+5491155550002")


def test_a_person_without_a_device_token_gets_no_push_and_it_is_recorded(client, providers):
    pro = person(client, rol="PROFESIONAL", device=False)
    publish_event(approved(pro.user_id))
    run_deliveries()
    (push,) = rows(pro.user_id, "push")
    assert (push.status, push.reason) == ("skipped", "no_device")
    assert providers.google.received() == []
    assert rows(pro.user_id, "email")[0].status == "sent", "the other channels go out"


def test_an_invalid_phone_number_fails_once_and_is_not_retried(client, providers):
    pro = person(client, rol="PROFESIONAL", telefono="+5491100000000")
    providers.twilio.invalid_numbers.add("+5491100000000")
    publish_event(approved(pro.user_id))
    run_deliveries()
    (sms,) = rows(pro.user_id, "sms")
    assert (sms.status, sms.reason, sms.attempts) == ("failed", "invalid_phone", 1)
    assert "21211" in sms.last_error
    assert len(providers.twilio.received()) == 1, "a refused number is not tried again"
    failed = published("notifications.notification_failed.v1", "notifications")
    assert [(e["delivery_id"], e["reason"]) for e in failed] == [(str(sms.pk), "invalid_phone")]


def test_a_phone_that_cannot_be_a_number_fails_without_calling_twilio(client, providers):
    pro = person(client, rol="PROFESIONAL", telefono="1234 5678")
    publish_event(approved(pro.user_id))
    run_deliveries()
    (sms,) = rows(pro.user_id, "sms")
    assert (sms.status, sms.reason, sms.attempts) == ("failed", "invalid_phone", 0)
    assert providers.twilio.received() == []


@pytest.mark.parametrize(("channel", "standin"), [("email", "sendgrid"), ("push", "google"), ("sms", "twilio")])
@pytest.mark.parametrize("status", [500, 503])
def test_a_provider_5xx_then_200_is_retried_and_delivered_once(pro, providers, channel, standin, status):
    provider = getattr(providers, standin)
    provider.fail_next(status)
    publish_event(approved(pro.user_id))
    run_deliveries()
    (row,) = rows(pro.user_id, channel)
    assert (row.status, row.attempts) == ("sent", 2)
    assert outcomes(row) == ["retry", "sent"]
    assert [r.status for r in provider.received()] == [status, OK[standin]]
    assert len(accepted(providers, standin)) == 1


def test_a_provider_4xx_is_not_retried(pro, providers):
    providers.sendgrid.fail_next(400, body={"errors": [{"message": "Invalid from address", "field": "from"}]})
    publish_event(approved(pro.user_id))
    run_deliveries()
    (row,) = rows(pro.user_id, "email")
    assert (row.status, row.reason, row.attempts) == ("failed", "provider_rejected", 1)
    assert "Invalid from address" in row.last_error
    assert len(providers.sendgrid.received()) == 1


def test_a_timeout_is_a_provider_fault_retried_later(pro, providers, settings):
    settings.SENDGRID_TIMEOUT_SECONDS = 0.3
    providers.sendgrid.slow(1.0)
    publish_event(approved(pro.user_id))
    (row,) = rows(pro.user_id, "email")
    outcome = delivery_attempt(row.pk)
    row.refresh_from_db()
    assert outcome.status == "pending"
    assert outcome.retry_in > 0
    assert row.next_attempt_at > timezone.now()
    assert "timed out" in row.last_error.lower()
    providers.sendgrid.slow(0)
    run_deliveries()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    # The stand-in answers the abandoned request late (a real provider may have accepted it too: a
    # timeout is at-least-once); let it finish here, not in the next test.
    wait_until(lambda: all(r.status for r in providers.sendgrid.received()), timeout=10)


def test_retries_stop_after_the_maximum_and_the_delivery_is_kept_as_failed(pro, providers, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 3
    breakers.breaker("sendgrid").fail_max = 100  # this test is about attempts, not the breaker
    providers.sendgrid.fail_next(500, times=10)
    publish_event(approved(pro.user_id))
    run_deliveries()
    (row,) = rows(pro.user_id, "email")
    assert (row.status, row.reason, row.attempts) == ("failed", "max_attempts", 3)
    assert len(providers.sendgrid.received()) == 3
    assert providers.sendgrid.mails == []


def test_an_unregistered_token_is_forgotten_and_the_other_devices_still_get_the_push(client, providers):
    pro = person(client, rol="PROFESIONAL", device=False)
    dead = register_device(client, pro)
    alive = register_device(client, pro, platform="ios")
    providers.google.unregistered.add(dead)
    publish_event(approved(pro.user_id))
    run_deliveries()
    (push,) = rows(pro.user_id, "push")
    assert (push.status, push.to) == ("sent", alive)
    assert list(Device.objects.filter(user_id=pro.user_id).values_list("token", flat=True)) == [alive]
    assert [m["token"] for m in providers.google.messages] == [alive]


def test_a_push_whose_only_token_is_unregistered_fails_and_the_token_is_deleted(client, providers):
    pro = person(client, rol="PROFESIONAL", device=False)
    dead = register_device(client, pro)
    providers.google.unregistered.add(dead)
    publish_event(approved(pro.user_id))
    run_deliveries()
    (push,) = rows(pro.user_id, "push")
    assert (push.status, push.reason, push.attempts) == ("failed", "unregistered", 1)
    assert not Device.objects.filter(token=dead).exists()
    assert len(providers.google.received()) == 1


def test_the_same_event_delivered_three_times_sends_one_message(pro, providers):
    event = approved(pro.user_id)
    publish_event(event)
    envelope = envelope_for(event)
    for _ in range(2):  # the bus redelivers it: its dedupe record stops it
        for sub in subscriptions_for(envelope["event_type"]):
            if sub.context == "notifications":
                assert handle_once(sub, envelope) is False
    for _ in range(3):  # the handler itself runs again (a lost dedupe record): the table's unique key holds
        handlers.on_kyc_approved(event)
    (notification,) = Notification.objects.filter(user_id=pro.user_id)
    assert notification.deliveries.count() == 3  # push, email, sms: one each
    run_deliveries()
    for row in Delivery.objects.filter(notification=notification):
        for _ in range(3):  # its task redelivered (acks_late after a crash): already settled
            assert delivery_attempt(row.pk).status == "sent"
    assert len(providers.sendgrid.mails) == 1
    assert len(providers.google.messages) == 1
    assert len(providers.twilio.sms) == 1


def test_a_channel_switched_off_is_skipped_and_recorded(client, pro, providers):
    response = client.put(
        f"/api/v1/notify/preferences/{pro.user_id}",
        {"preferences": [{"event_type": "kyc_decision", "channels": {"push": False, "sms": False}}]},
        content_type="application/json",
        headers=pro.headers,
    )
    assert response.status_code == 200, response.content
    publish_event(KYCRejected(professional_id=uuid.uuid4(), usuario_id=UUID(pro.user_id), decided_by=None, motivo="x"))
    run_deliveries()
    statuses = {d.channel: (d.status, d.reason) for d in Delivery.objects.filter(notification__user_id=pro.user_id)}
    assert statuses == {
        "push": ("skipped", "preference_off"),
        "sms": ("skipped", "preference_off"),
        "email": ("sent", ""),
    }
    assert providers.google.messages == []
    assert providers.twilio.sms == []


def test_an_event_about_an_unknown_person_is_recorded_and_sends_nothing(providers):
    ghost = uuid.uuid4()
    publish_event(approved(ghost))
    run_deliveries()
    (notification,) = Notification.objects.filter(user_id=ghost)
    assert {(d.channel, d.status, d.reason) for d in notification.deliveries.all()} == {
        ("push", "skipped", "unknown_user"),
        ("email", "skipped", "unknown_user"),
        ("sms", "skipped", "unknown_user"),
    }
    assert providers.sendgrid.received() == []


def test_a_disabled_channel_is_skipped(pro, providers, settings):
    settings.NOTIFY_CHANNELS = ["email", "push"]
    publish_event(approved(pro.user_id))
    run_deliveries()
    (sms,) = rows(pro.user_id, "sms")
    assert (sms.status, sms.reason) == ("skipped", "channel_disabled")


def test_sent_deliveries_publish_their_events(pro, providers):
    publish_event(approved(pro.user_id))
    run_deliveries()
    sent = published("notifications.notification_sent.v1", "notifications")
    assert sorted(e["channel"] for e in sent) == ["email", "push", "sms"]
    (email,) = published("notifications.email_sent.v1", "notifications")
    assert email["subject"] == "¡Verificamos tu identidad!"
    assert email["provider"] == "sendgrid"
    (push,) = published("notifications.push_sent.v1", "notifications")
    assert push["devices"] == 1
    (sms,) = published("notifications.sms_sent.v1", "notifications")
    assert sms["provider_message_id"].startswith("SM")


def test_an_open_breaker_holds_deliveries_without_calling_the_provider_until_it_closes(client, providers):
    breakers.breaker("sendgrid").reset_timeout = 0.5
    providers.sendgrid.down()
    people = [person(client, nombre=f"P{i}", device=False) for i in range(FAIL_MAX + 2)]
    Notification.objects.all().delete()
    for p in people:
        publish_event(approved(p.user_id))
    emails = Delivery.objects.filter(channel="email")
    for row in emails:
        delivery_attempt(row.pk)
    calls_while_down = len(providers.sendgrid.received())
    assert calls_while_down == FAIL_MAX, "the breaker opened after FAIL_MAX faults; the rest were not sent"
    waiting = [r for r in emails.all() if outcomes(r) == ["circuit_open"]]
    assert len(waiting) == 2
    assert all(r.status == "pending" and r.attempts == 0 for r in waiting), "waiting is not an attempt"

    providers.sendgrid.up()
    wait_until(lambda: breakers.states()["sendgrid"] == "open" and _reset_elapsed(), timeout=10)
    run_deliveries()
    assert set(emails.values_list("status", flat=True)) == {"sent"}
    assert len(providers.sendgrid.mails) == len(people)
    assert breakers.states()["sendgrid"] == "closed"


def _reset_elapsed() -> bool:
    circuit = breakers.breaker("sendgrid")
    opened = circuit._state_storage.opened_at
    return opened is not None and (timezone.now() - opened).total_seconds() > circuit.reset_timeout


def test_the_sweep_requeues_a_delivery_whose_task_was_lost(pro, providers, django_capture_on_commit_callbacks):
    publish_event(approved(pro.user_id))  # its tasks were never enqueued: on_commit does not run here
    (row,) = rows(pro.user_id, "email")
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(minutes=10))
    with django_capture_on_commit_callbacks(using="notifications") as callbacks:
        assert tasks.sweep_pending.apply().get() == 1, "only the overdue one"
    assert len(callbacks) == 1
    row.refresh_from_db()
    assert row.next_attempt_at > timezone.now() - timedelta(seconds=5), "not swept again while queued"
    assert tasks.deliver.apply(args=[str(row.pk)]).get() == "sent"
    assert len(providers.sendgrid.mails) == 1
