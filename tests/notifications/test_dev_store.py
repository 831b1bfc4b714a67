"""Development without provider credentials: messages stay in a local store that staff read in
Django admin and anyone reads with `manage.py latest_messages` (what `make run` shows)."""

import io
import re
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command

from conectar.marketplace.contracts import OfferAccepted
from conectar.notifications.models import Delivery
from tests.notifications.conftest import SERVICE_KEY
from tests.notifications.helpers import JSON, person, publish_event, run_deliveries
from tests.support.accounts import signed_up
from tests.support.events import deliver_outbox

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def no_credentials(settings):
    settings.FCM_SERVICE_ACCOUNT = ""
    settings.SENDGRID_API_KEY = ""
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = settings.TWILIO_FROM_NUMBER = ""
    assert not settings.PRODUCTION


def latest(*args) -> str:
    out = io.StringIO()
    call_command("latest_messages", *args, stdout=out)
    return out.getvalue()


def test_without_credentials_the_password_reset_email_is_kept_and_printed(client, providers, no_credentials):
    me = person(client, device=False)
    client.post("/api/v1/auth/forgot-password", {"email": me.email}, content_type=JSON)
    deliver_outbox()
    run_deliveries()
    (row,) = Delivery.objects.filter(notification__template="password_reset")
    assert (row.status, row.provider) == ("sent", "dev")
    assert providers.sendgrid.received() == [], "nothing left the machine"

    printed = latest("-n", "1")
    assert "EMAIL" in printed
    assert f"Para: {me.email}" in printed
    assert "Asunto: Restablecé tu contraseña de ConectarProfesionales" in printed
    assert re.search(r"http://127\.0\.0\.1:3000/reset-password\?token=\S+", printed)


def test_the_oferta_aceptada_push_is_kept_even_without_a_device(client, no_credentials):
    cliente = person(client, device=False)
    pro = person(client, rol="PROFESIONAL", nombre="Pedro", device=False)
    publish_event(
        OfferAccepted(
            oferta_id=uuid.uuid4(),
            chat_id=uuid.uuid4(),
            cliente_id=uuid.UUID(cliente.user_id),
            profesional_id=uuid.UUID(pro.user_id),
            descripcion="Pintar el living",
            precio_final=Decimal("80000.00"),
            trabajo_id=uuid.uuid4(),
        )
    )
    run_deliveries()
    push = Delivery.objects.get(channel="push", notification__template="oferta_aceptada")
    assert (push.status, push.provider, push.to) == ("sent", "dev", "(sin dispositivos registrados)")
    printed = latest("--channel", "push")
    assert "Título: ¡Oferta aceptada!" in printed
    assert "Ana García aceptó tu oferta de $ 80.000,00." in printed
    assert "url=/profesional/trabajos/" in printed


def test_staff_read_the_development_store_in_django_admin(client, admin_client, no_credentials):
    me = person(client, device=False)
    client.post("/api/v1/auth/forgot-password", {"email": me.email}, content_type=JSON)
    deliver_outbox()
    run_deliveries()
    row = Delivery.objects.get(notification__template="password_reset")
    listing = admin_client.get("/admin/notifications/devmessage/")
    assert listing.status_code == 200
    assert "Restablecé tu contraseña" in listing.content.decode()
    page = admin_client.get(f"/admin/notifications/devmessage/{row.pk}/change/")
    assert page.status_code == 200
    assert "reset-password?token=" in page.content.decode()


def test_people_who_are_not_staff_cannot_read_it(client, no_credentials, django_user_model):
    me = signed_up(client)
    account = django_user_model.objects.get(pk=me.user_id)
    client.force_login(account)
    assert client.get("/admin/notifications/devmessage/").status_code == 302  # to the admin login


def test_latest_messages_says_when_there_is_nothing(no_credentials):
    assert latest() == "No hay mensajes todavía.\n"


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_without_a_broker_deliveries_run_in_the_web_process(client, settings, no_credentials):
    """`make run` without Redis: tasks run eagerly, right after the commit."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = client.post(
        "/api/v1/notify/email",
        {"to": "alguien@example.com", "subject": "Hola", "body": "Texto"},
        content_type=JSON,
        headers={"X-Service-Key": SERVICE_KEY},
    )
    assert response.status_code == 202
    row = Delivery.objects.get(to="alguien@example.com")
    assert (row.status, row.provider) == ("sent", "dev")
