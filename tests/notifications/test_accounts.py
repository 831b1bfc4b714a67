"""Registration and password reset, end to end through the auth routes: the e-mails go through
SendGrid's SDK to its stand-in, and the reset link in the e-mail really resets the password."""

import re

import pytest

from conectar.notifications.models import Delivery
from tests.notifications.helpers import JSON, person, run_deliveries
from tests.support.accounts import STRONG_PASSWORD, login, signed_up
from tests.support.events import deliver_outbox
from tests.support.standins import SendGridStandIn

pytestmark = pytest.mark.django_db(databases="__all__")


def test_registration_sends_the_welcome_email(client, providers):
    me = signed_up(client, rol="PROFESIONAL", nombre="Carla")
    deliver_outbox()
    run_deliveries()
    (mail,) = providers.sendgrid.mails
    assert SendGridStandIn.to(mail) == me.email
    assert mail["subject"] == "Te damos la bienvenida a ConectarProfesionales"
    text = SendGridStandIn.content(mail)
    assert text.startswith("ConectarProfesionales\n\nHola Carla:")
    assert "verificá tu identidad" in text
    assert "http://127.0.0.1:3000/profesional/verificacion" in SendGridStandIn.content(mail, "text/html")
    assert mail["custom_args"]["delivery_id"] == str(Delivery.objects.get(channel="email").pk)


def test_the_password_reset_email_link_resets_the_password(client, providers, settings):
    me = person(client, nombre="Ana")
    assert client.post("/api/v1/auth/forgot-password", {"email": me.email}, content_type=JSON).status_code == 200
    deliver_outbox()
    run_deliveries()
    (mail,) = [m for m in providers.sendgrid.mails if m["subject"].startswith("Restablecé")]
    text, html = SendGridStandIn.content(mail), SendGridStandIn.content(mail, "text/html")
    link = re.search(r"(http\S+/reset-password\?token=\S+)", text)[1]
    assert link.startswith(settings.FRONTEND_URL + "/reset-password?token=")
    assert f'href="{link}"' in html
    token = link.split("token=", 1)[1]

    reset = client.post(
        "/api/v1/auth/reset-password", {"token": token, "new_password": "Clave-Nueva-Segura-77"}, content_type=JSON
    )
    assert reset.status_code == 200, reset.content
    assert login(client, me.email, "Clave-Nueva-Segura-77").status_code == 200
    assert login(client, me.email, STRONG_PASSWORD).status_code == 401

    deliver_outbox()  # the password change is told too: a security e-mail
    run_deliveries()
    changed = [m for m in providers.sendgrid.mails if m["subject"] == "Tu contraseña de ConectarProfesionales cambió"]
    assert [SendGridStandIn.to(m) for m in changed] == [me.email]


def test_forgot_password_for_an_unknown_email_sends_nothing(client, providers):
    client.post("/api/v1/auth/forgot-password", {"email": "nadie@example.com"}, content_type=JSON)
    deliver_outbox()
    run_deliveries()
    assert providers.sendgrid.received() == []
