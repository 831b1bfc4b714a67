"""From sign-up to both reviews, through the real processes: a client finds a verified plumber,
they chat over WebSocket, he offers, she pays in the MercadoPago sandbox, he delivers, she
finalizes, he is paid out, both review, and each was told about every step. The test reads as the
story's chapters; each chapter checks what the people see at its end."""

from __future__ import annotations

import pytest

from tests.e2e import journey
from tests.e2e.journey import Api, Person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]

CORDOBA = (-31.4201, -64.1888)  # Plaza San Martín: the plumber's base
NUEVA_CORDOBA = (-31.4280, -64.1870)  # about 1 km away: where the client searches
DESCRIPCION = "Cambio de canilla y flexibles de la cocina"


def test_a_client_hires_a_verified_professional_pays_and_both_review(e2e, api, staff):
    cliente, pro = sign_up_and_get_verified(api, staff)
    oferta_id, chat_id = find_chat_and_offer(api, cliente, pro)
    trabajo_id, payment_id = accept_and_pay(cliente, oferta_id, chat_id)
    deliver_finalize_and_pay_out(cliente, pro, trabajo_id, payment_id)
    review_both_ways(api, cliente, pro, trabajo_id)
    everyone_was_told(e2e, cliente, pro)


def sign_up_and_get_verified(api: Api, staff: Person) -> tuple[Person, Person]:
    cliente = journey.register(api, rol="CLIENTE", nombre="Lucia", apellido="Fernández", telefono="+5493515550101")
    pro = journey.register(api, rol="PROFESIONAL", nombre="Martin", apellido="Sosa", telefono="+5493515550202")
    journey.become_professional(
        pro, at=CORDOBA, radio_km=15, tarifa="8000.00", oficios=["Plomero"], payout_account="martin.sosa.mp"
    )
    journey.upload_kyc(pro)
    plomero = journey.oficio_id(api, "Plomero")
    assert journey.search(api, near=NUEVA_CORDOBA, oficio=plomero) == []  # not findable before approval
    journey.approve_kyc(staff, pro)
    return cliente, pro


def find_chat_and_offer(api: Api, cliente: Person, pro: Person) -> tuple[str, str]:
    hit = journey.find(api, pro, near=NUEVA_CORDOBA, oficio=journey.oficio_id(api, "Plomero"))
    assert (hit["id"], hit["nombre"], hit["tarifa_por_hora"]) == (pro.professional_id, "Martin", "8000.00")
    assert 0.5 < hit["distancia_km"] < 1.5
    assert journey.public_profile(api, pro)["total_resenas"] == 0

    # Both on the chat screen: a phone number reaches the other side masked.
    chat_id = journey.open_chat(cliente, pro)
    with journey.ChatSocket(cliente, chat_id) as cliente_ws, journey.ChatSocket(pro, chat_id) as pro_ws:
        sent = journey.send_message(cliente, chat_id, "Hola Martin, pierde la canilla. Llamame al 351 555 0101")
        assert sent["masked"] is True
        received = pro_ws.next_message(lambda m: m["id"] == sent["id"])
        assert received["masked"] is True
        assert received["text"].startswith("Hola Martin, pierde la canilla.")
        assert "555" not in received["text"]
        pro_ws.send("Hola Lucia, mañana a la tarde puedo pasar")
        reply = cliente_ws.next_message(lambda m: m["sender_id"] == pro.user_id)
        assert reply["text"] == "Hola Lucia, mañana a la tarde puedo pasar"

        oferta = journey.make_oferta(pro, cliente, chat_id, precio="25000.00", descripcion=DESCRIPCION)
        shown = cliente_ws.next_message(lambda m: m["kind"] == "oferta")
        assert shown["text"] == f"Oferta por $ 25000.00: {DESCRIPCION}"
    return oferta["id"], chat_id


def accept_and_pay(cliente: Person, oferta_id: str, chat_id: str) -> tuple[str, str]:
    accepted = journey.accept_oferta(cliente, oferta_id)
    trabajo_id = accepted["trabajo_id"]
    assert journey.trabajo(cliente, trabajo_id)["estado_escrow"] == "PENDIENTE_PAGO"
    paid = journey.pay_in_sandbox(accepted["payment_url"])
    assert paid.status_code == 302  # back to the frontend's success page
    assert "status=approved" in paid.headers["location"]
    in_escrow = journey.wait_estado(cliente, trabajo_id, "PAGADO_EN_ESCROW")
    summary = journey.payment(cliente, in_escrow["payment_id"])
    assert (summary["status"], summary["amount"], summary["escrow_balance"]) == ("approved", "25000.00", "25000.00")
    # Paid: contact details pass now (he is off the chat screen: a push tells him).
    assert journey.send_message(cliente, chat_id, "Te espero, mi cel es 351 555 0101")["masked"] is False
    return trabajo_id, in_escrow["payment_id"]


def deliver_finalize_and_pay_out(cliente: Person, pro: Person, trabajo_id: str, payment_id: str) -> None:
    assert journey.deliver(pro, trabajo_id)["estado_escrow"] == "ENTREGADO"
    done = journey.finalize(cliente, trabajo_id)
    released = done["trabajo"]
    assert released["estado_escrow"] == "LIBERADO"
    # BRONCE: 20 % commission, frozen when the oferta was accepted
    split = (released["tasa_comision"], released["comision_plataforma"], released["monto_liberado"])
    assert split == ("0.200", "5000.00", "20000.00")
    summary = journey.wait_payment(pro, payment_id, journey.paid_out, "the payout completed at MercadoPago")
    assert (summary["payout"]["payout_id"], summary["payout"]["amount"]) == (done["payout_id"], "20000.00")
    assert summary["escrow_balance"] == "0.00"


def review_both_ways(api: Api, cliente: Person, pro: Person, trabajo_id: str) -> None:
    # Double-blind: her review stays hidden until he has reviewed too.
    first = journey.review(cliente, trabajo_id, rating=5, texto="Impecable, puntual y prolijo.")
    assert first["resena"]["publicada"] is False
    assert journey.public_profile(api, pro)["resenas"] == []
    second = journey.review(pro, trabajo_id, rating=5, texto="Muy buena clienta, todo claro.")
    assert second["resena"]["publicada"] is True

    profile = api.settle(
        lambda: (p := journey.public_profile(api, pro))["total_resenas"] == 1 and p, "the rating on the public profile"
    )
    assert profile["rating_promedio"] == 5.0
    shown = [(r["rating"], r["texto"], r["autor_nombre"]) for r in profile["resenas"]]
    assert shown == [(5, "Impecable, puntual y prolijo.", "Lucia F.")]
    # +100 for the finished trabajo, +50 for a 5★ review
    nivel = api.settle(
        lambda: (n := journey.expect(pro.get("/professional/nivel")))["puntos_experiencia"] == 150 and n,
        "the professional's points",
    )
    assert nivel["nivel"] == "BRONCE"


def everyone_was_told(e2e, cliente: Person, pro: Person) -> None:
    told_cliente = journey.wait_notified(
        cliente,
        {
            "cuenta_creada",
            "oferta_nueva",
            "pago_confirmado_cliente",
            "trabajo_entregado",
            "trabajo_finalizado_cliente",
            "resena_recibida",
        },
    )
    told_pro = journey.wait_notified(
        pro,
        {
            "cuenta_creada",
            "kyc_aprobado",
            "oferta_aceptada",
            "pago_confirmado_profesional",
            "mensaje_nuevo",  # the message sent while he was off the chat screen
            "trabajo_finalizado_profesional",
            "pago_enviado",
            "resena_recibida",
        },
    )
    assert told_cliente["pago_confirmado_cliente"]["channels"]["email"]["status"] == "sent"
    assert told_pro["pago_enviado"]["channels"]["sms"]["status"] == "sent"
    # ... and it reached the providers' APIs.
    providers = e2e.providers
    assert {providers.sendgrid.to(mail) for mail in providers.sendgrid.mails} >= {cliente.email, pro.email}
    assert pro.telefono in {sms["To"] for sms in providers.twilio.sms}
    assert {cliente.device_token, pro.device_token} <= {message["token"] for message in providers.google.messages}
