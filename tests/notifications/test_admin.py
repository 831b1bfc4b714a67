"""Failed deliveries are visible to staff in Django admin, with a re-send action."""

import uuid

import pytest

from conectar.notifications.models import Delivery
from conectar.professionals.contracts import KYCApproved
from tests.notifications.helpers import person, publish_event, run_deliveries

pytestmark = pytest.mark.django_db(databases="__all__")


def test_staff_see_failures_and_resend_them(client, admin_client, providers):
    pro = person(client, rol="PROFESIONAL")
    providers.sendgrid.fail_next(403, body={"errors": [{"message": "sender not verified"}]})
    publish_event(KYCApproved(professional_id=uuid.uuid4(), usuario_id=uuid.UUID(pro.user_id), decided_by=None))
    run_deliveries()
    failed = Delivery.objects.get(channel="email")
    assert (failed.status, failed.reason) == ("failed", "provider_rejected")

    listing = admin_client.get("/admin/notifications/delivery/?status__exact=failed")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "provider_rejected" in html
    assert "sender not verified" in html
    assert admin_client.get(f"/admin/notifications/delivery/{failed.pk}/change/").status_code == 200

    sent = Delivery.objects.get(channel="push")
    response = admin_client.post(
        "/admin/notifications/delivery/",
        {"action": "resend", "_selected_action": [str(failed.pk), str(sent.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Reenvíos en cola: 1." in response.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.reason) == ("pending", 0, "")
    run_deliveries()
    failed.refresh_from_db()
    assert failed.status == "sent"
    assert len(providers.sendgrid.mails) == 1
    assert len(providers.google.messages) == 1, "the delivery that had gone out was not sent again"
