"""Every message text: Spanish, with the product's name and a working link in the e-mail, a push
title and body, and an SMS that fits one GSM-7 segment."""

import pytest

from conectar.notifications.catalogue import TEMPLATES
from conectar.notifications.services.formatting import pesos, porcentaje
from conectar.notifications.services.rendering import GSM7, render, sms_text

# Every variable any template uses, with values long and accented enough to push the limits.
DATA = {
    "nombre": "Ana",
    "rol": "CLIENTE",
    "url": "/chat/2b7c3f5e-1111-4222-8333-944455556666",
    "vence": "12/03/2026 18:30",
    "via_reset": True,
    "motivo": "La foto del DNI está borrosa y no se leen los números del documento de identidad presentado",
    "anterior": "Bronce",
    "actual": "Plata",
    "subio": True,
    "comision": "12,5 %",
    "remitente": "Pedro Gómez Álvarez",
    "vista_previa": "¿Podés venir el miércoles a las 9? Necesito cambiar la canilla de la cocina y revisar el calefón",
    "profesional": "Pedro Gómez Álvarez",
    "cliente": "María José Fernández Núñez",
    "descripcion": "Cambio de canilla monocomando y revisión completa de la instalación de gas del calefón",
    "precio": "$ 150.000,00",
    "monto": "$ 150.000,00",
    "monto_liberado": "$ 127.500,00",
    "monto_reembolsado": "$ 75.000,00",
    "porcentaje": 50,
    "comision_monto": "$ 22.500,00",
    "liberacion": "19/03/2026 18:30",
    "cancelado_por": "el profesional",
    "reembolso": True,
    "es_cliente": True,
    "abierta_por": "El cliente",
    "referencia": "MP-TRANSFER-0001234567",
    "autor": "María José Fernández Núñez",
    "rating": 4,
    "estrellas": "★★★★☆",
    "texto": "Excelente trabajo, muy prolijo y puntual. Lo recomiendo sin dudas a cualquiera que lo necesite.",
    "infracciones": 3,
    "detalle": "fondos insuficientes",
    "estado": "charged_back",
    "trabajo_id": "2b7c3f5e-1111-4222-8333-944455556666",
    "payment_id": "3c8d4a6f-1111-4222-8333-944455556666",
    "payout_id": "4d9e5b7a-1111-4222-8333-944455556666",
    "mercadopago_payment_id": "1234567890",
    "cliente_id": "5eaf6c8b-1111-4222-8333-944455556666",
    "profesional_id": "6fba7d9c-1111-4222-8333-944455556666",
    "subject": "Asunto de prueba",
    "body": "Cuerpo de prueba",
}


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_every_template_renders_every_part(template, settings):
    text = render(template, DATA)
    assert text.subject
    assert "{" not in text.subject
    assert text.text.startswith(settings.NOTIFY_PRODUCT_NAME), "the plain text opens with the product's name"
    assert settings.NOTIFY_PRODUCT_NAME in text.html
    assert "<html" in text.html
    assert "</html>" in text.html
    assert text.push_title
    assert text.push_body
    assert 0 < len(text.sms) <= 160
    assert set(text.sms) <= GSM7, f"not GSM-7: {set(text.sms) - GSM7}"
    for part in (text.subject, text.text, text.html, text.push_title, text.push_body, text.sms):
        assert "{{" not in part
        assert "{%" not in part


def test_the_link_is_absolute_to_the_frontend_in_both_e_mail_bodies(settings):
    settings.FRONTEND_URL = "https://app.conectar.test"
    text = render("oferta_aceptada", {**DATA, "url": "/profesional/trabajos/abc"})
    link = "https://app.conectar.test/profesional/trabajos/abc"
    assert f'href="{link}"' in text.html
    assert link in text.text
    assert "Ver el trabajo" in text.html


def test_the_password_reset_email_carries_the_reset_link_intact():
    url = "http://127.0.0.1:3000/reset-password?token=MTIz.abc-def&x=1"
    text = render("password_reset", {"nombre": "Ana", "url": url, "vence": "12/03/2026 18:30"})
    assert url in text.text
    assert 'href="http://127.0.0.1:3000/reset-password?token=MTIz.abc-def&amp;x=1"' in text.html
    assert "Restablecé tu contraseña" in text.subject
    assert "e-mail de seguridad" in text.text, "security e-mails say why they cannot be switched off"


def test_values_are_escaped_in_html_and_plain_in_text():
    text = render("mensaje_nuevo", {**DATA, "remitente": "<b>Pedro</b>", "vista_previa": "a & b <script>"})
    assert "&lt;b&gt;Pedro&lt;/b&gt;" in text.html
    assert "<script>" not in text.html
    assert "<b>Pedro</b>" in text.text
    assert text.push_title == "<b>Pedro</b>"


def test_sms_text_is_folded_to_gsm7_and_cut_at_160():
    assert sms_text("¡Hola María! Aceptó tu oferta — ¿venís?") == "¡Hola Maria! Acepto tu oferta - ¿venís?".replace(
        "í", "i"
    )
    long = sms_text("á" * 500)
    assert len(long) == 160
    assert long.endswith("...")


def test_money_and_rates_read_as_in_argentina():
    assert pesos("15000") == "$ 15.000,00"
    assert pesos("1234567.891") == "$ 1.234.567,89"
    assert porcentaje("0.15") == "15 %"
    assert porcentaje("0.125") == "12,5 %"


def test_each_email_says_why_it_reached_the_person():
    assert "Elegí qué avisos recibir: http://127.0.0.1:3000/perfil/notificaciones" in render("oferta_nueva", DATA).text
    assert "e-mail de seguridad" in render("password_cambiada", DATA).text
    raw = render("directo", {"subject": "Hola", "body": "Texto"}).text
    assert raw.rstrip().endswith("Enviado por ConectarProfesionales.")
    assert "seguridad" not in raw
