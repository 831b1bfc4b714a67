"""Every event of DOMAIN.md's notification list produces the right messages, sent through the real
FCM, SendGrid and Twilio SDKs to their stand-ins, on the channels the person's preferences allow."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from django.db import transaction

from conectar.auth_ctx.contracts import PasswordChanged, PasswordResetRequested
from conectar.marketplace.contracts import (
    Actor,
    ChatBanned,
    DisputeOpened,
    DisputeResolved,
    MessageKind,
    MessageSent,
    OfferAccepted,
    OfferCreated,
    OfferExpired,
    OfferRejected,
    OfferWithdrawn,
    ReviewPublished,
    WorkCancelled,
    WorkCompleted,
    WorkDelivered,
    WorkPaid,
)
from conectar.notifications.catalogue import tipo_for_template
from conectar.notifications.models import Delivery, Notification
from conectar.payments.contracts import (
    ChargebackOpened,
    PaymentConfirmed,
    PaymentFailed,
    PaymentFailureReason,
    PayoutCompleted,
    PayoutFailed,
    Refunded,
)
from conectar.platform.databases import alias_for
from conectar.platform.eventbus.delivery import handle_once
from conectar.platform.eventbus.models import OutboxEvent
from conectar.platform.eventbus.subscriptions import subscriptions_for
from conectar.platform.events import publish
from conectar.professionals.contracts import KYCApproved, KYCRejected, LevelChanged, Nivel
from conectar.shared.clock import utcnow
from tests.notifications.conftest import STAFF_EMAIL
from tests.notifications.helpers import person, publish_event, run_deliveries
from tests.support.standins import SendGridStandIn

pytestmark = pytest.mark.django_db(databases="__all__")


@dataclass
class Pair:
    cliente: UUID
    pro: UUID
    ids: dict


def _offer(p: Pair, **extra) -> dict:
    return {
        "oferta_id": p.ids["oferta"],
        "chat_id": p.ids["chat"],
        "cliente_id": p.cliente,
        "profesional_id": p.pro,
        "descripcion": "Cambio de canilla",
        "precio_final": Decimal("15000.00"),
        **extra,
    }


def _work(p: Pair) -> dict:
    return {"trabajo_id": p.ids["trabajo"], "cliente_id": p.cliente, "profesional_id": p.pro}


# event factory, then who is told what: [(role, template, a text the push must carry)]
CASES = {
    "password_reset": (
        lambda p: PasswordResetRequested(
            user_id=p.cliente,
            email="x@example.com",
            reset_url="http://127.0.0.1:3000/reset-password?token=abc.def",
            expires_at=utcnow() + timedelta(hours=1),
        ),
        [("cliente", "password_reset", None)],
    ),
    "password_changed": (
        lambda p: PasswordChanged(user_id=p.cliente, email="x@example.com", via_reset=True),
        [("cliente", "password_cambiada", None)],
    ),
    "kyc_approved": (
        lambda p: KYCApproved(professional_id=uuid.uuid4(), usuario_id=p.pro, decided_by=None),
        [("pro", "kyc_aprobado", "Identidad verificada")],
    ),
    "kyc_rejected": (
        lambda p: KYCRejected(professional_id=uuid.uuid4(), usuario_id=p.pro, decided_by=None, motivo="DNI borroso"),
        [("pro", "kyc_rechazado", "DNI borroso")],
    ),
    "level_changed": (
        lambda p: LevelChanged(
            professional_id=uuid.uuid4(),
            usuario_id=p.pro,
            previous=Nivel.BRONCE,
            current=Nivel.PLATA,
            puntos_experiencia=1200,
            tasa_comision=Decimal("0.15"),
        ),
        [("pro", "nivel_cambiado", "15 %")],
    ),
    "message_offline": (
        lambda p: MessageSent(
            chat_id=p.ids["chat"],
            message_id=uuid.uuid4(),
            sender_id=p.pro,
            recipient_id=p.cliente,
            kind=MessageKind.TEXTO,
            preview="¿Te viene bien el martes?",
            recipient_online=False,
        ),
        [("cliente", "mensaje_nuevo", "¿Te viene bien el martes?")],
    ),
    "offer_created": (
        lambda p: OfferCreated(**_offer(p), expira_en=utcnow() + timedelta(hours=72)),
        [("cliente", "oferta_nueva", "$ 15.000,00")],
    ),
    "offer_accepted": (
        lambda p: OfferAccepted(**_offer(p), trabajo_id=p.ids["trabajo"]),
        [("pro", "oferta_aceptada", "Ana García aceptó tu oferta de $ 15.000,00.")],
    ),
    "offer_rejected": (lambda p: OfferRejected(**_offer(p)), [("pro", "oferta_rechazada", "rechazó")]),
    "offer_expired": (
        lambda p: OfferExpired(**_offer(p)),
        [("pro", "oferta_expirada_profesional", "venció"), ("cliente", "oferta_expirada_cliente", "venció")],
    ),
    "offer_withdrawn": (lambda p: OfferWithdrawn(**_offer(p)), [("cliente", "oferta_retirada", "retiró")]),
    "payment_confirmed": (
        lambda p: PaymentConfirmed(
            payment_id=uuid.uuid4(), **_work(p), amount=Decimal("15000.00"), mercadopago_payment_id="123"
        ),
        [("cliente", "pago_confirmado_cliente", "garantía")],
    ),
    "work_paid": (
        lambda p: WorkPaid(**_work(p), precio_final=Decimal("15000.00")),
        [("pro", "pago_confirmado_profesional", "ya podés empezar")],
    ),
    "payment_failed": (
        lambda p: PaymentFailed(
            payment_id=uuid.uuid4(),
            **_work(p),
            mercadopago_payment_id="123",
            status="rejected",
            reason=PaymentFailureReason.INSUFFICIENT_FUNDS,
        ),
        [("cliente", "pago_fallido", "no se completó")],
    ),
    "work_delivered": (
        lambda p: WorkDelivered(**_work(p), auto_release_at=utcnow() + timedelta(days=7)),
        [("cliente", "trabajo_entregado", "Pedro Gómez terminó el trabajo")],
    ),
    "work_completed": (
        lambda p: WorkCompleted(
            **_work(p),
            precio_final=Decimal("15000.00"),
            tasa_comision=Decimal("0.15"),
            comision_plataforma=Decimal("2250.00"),
            monto_liberado=Decimal("12750.00"),
        ),
        [("cliente", "trabajo_finalizado_cliente", "reseña"), ("pro", "trabajo_finalizado_profesional", "$ 12.750,00")],
    ),
    "work_cancelled_by_client": (
        lambda p: WorkCancelled(
            **_work(p),
            cancelled_by=Actor.CLIENTE,
            professional_at_fault=False,
            refund=True,
            precio_final=Decimal("15000.00"),
        ),
        [("pro", "trabajo_cancelado", "cancelado por el cliente")],
    ),
    "work_cancelled_by_staff": (
        lambda p: WorkCancelled(
            **_work(p),
            cancelled_by=Actor.STAFF,
            professional_at_fault=True,
            refund=True,
            precio_final=Decimal("15000.00"),
            motivo="Incumplimiento",
        ),
        [("cliente", "trabajo_cancelado", "Te devolvemos $ 15.000,00"), ("pro", "trabajo_cancelado", "nuestro equipo")],
    ),
    "refunded": (
        lambda p: Refunded(
            refund_id=uuid.uuid4(),
            **_work(p),
            amount=Decimal("15000.00"),
            remaining_escrow=Decimal("0.00"),
            initiated_by="marketplace",
        ),
        [("cliente", "reembolso", "$ 15.000,00")],
    ),
    "dispute_opened": (
        lambda p: DisputeOpened(**_work(p), opened_by=Actor.CLIENTE, motivo="No terminó"),
        [("pro", "disputa_abierta", "retenido")],
    ),
    "dispute_resolved": (
        lambda p: DisputeResolved(
            **_work(p),
            porcentaje_reembolso=50,
            professional_lost=False,
            precio_final=Decimal("10000.00"),
            tasa_comision=Decimal("0.20"),
            monto_reembolsado=Decimal("5000.00"),
            comision_plataforma=Decimal("1000.00"),
            monto_liberado=Decimal("4000.00"),
        ),
        [("cliente", "disputa_resuelta", "$ 5.000,00"), ("pro", "disputa_resuelta", "$ 4.000,00")],
    ),
    "payout_completed": (
        lambda p: PayoutCompleted(
            payout_id=uuid.uuid4(),
            trabajo_id=p.ids["trabajo"],
            profesional_id=p.pro,
            amount=Decimal("12750.00"),
            reference="TRF-1",
        ),
        [("pro", "pago_enviado", "$ 12.750,00")],
    ),
    "review_received": (
        lambda p: ReviewPublished(
            resena_id=uuid.uuid4(),
            trabajo_id=p.ids["trabajo"],
            autor_id=p.cliente,
            autor_rol=Actor.CLIENTE,
            destinatario_id=p.pro,
            profesional_id=p.pro,
            rating=5,
            texto="Impecable",
            autor_nombre="Ana García",
            created_at=utcnow(),
        ),
        [("pro", "resena_recibida", "Impecable")],
    ),
    "chat_banned": (lambda p: ChatBanned(user_id=p.cliente, infractions=3), [("cliente", "chat_bloqueado", "soporte")]),
}


@pytest.fixture
def pair(client) -> Pair:
    cliente = person(client, nombre="Ana", apellido="García", telefono="+5491155550001")
    pro = person(client, rol="PROFESIONAL", nombre="Pedro", apellido="Gómez", telefono="011 5555-0002")
    Notification.objects.all().delete()  # the welcome e-mails are another test's business
    ids = {"oferta": uuid.uuid4(), "chat": uuid.uuid4(), "trabajo": uuid.uuid4()}
    return Pair(UUID(cliente.user_id), UUID(pro.user_id), ids)


@pytest.mark.parametrize("case", sorted(CASES))
def test_each_event_reaches_the_right_people_through_the_providers(case, pair, providers, django_user_model):
    make, expected = CASES[case]
    publish_event(make(pair))
    run_deliveries()

    people = {"cliente": pair.cliente, "pro": pair.pro}
    told = {(n.user_id, n.template) for n in Notification.objects.all()}
    assert told == {(people[role], template) for role, template, _ in expected}

    for role, template, push_text in expected:
        user_id = people[role]
        email = django_user_model.objects.get(pk=user_id).email
        tipo = tipo_for_template(template)
        for d in Delivery.objects.filter(notification__user_id=user_id, notification__template=template):
            if d.channel in {c.value for c in tipo.defaults | tipo.locked}:
                assert (d.status, d.provider) == (
                    "sent",
                    {"email": "sendgrid", "push": "fcm", "sms": "twilio"}[d.channel],
                )
            else:
                assert (d.status, d.reason) == ("skipped", "preference_off")

        on = {c.value for c in tipo.defaults | tipo.locked}
        mails = [m for m in providers.sendgrid.mails if SendGridStandIn.to(m) == email]
        sent_email = Delivery.objects.filter(notification__user_id=user_id, channel="email", status="sent")
        assert len(mails) == sent_email.count() == int("email" in on)
        for mail, row in zip(mails, sent_email, strict=True):
            assert mail["subject"] == row.subject
            assert "ConectarProfesionales" in SendGridStandIn.content(mail, "text/html")

        pushes = [m for m in providers.google.messages if m["data"]["notification_id"] in _ids(user_id)]
        if push_text is None:
            assert pushes == [], "security e-mails are e-mail only"
        else:
            assert len(pushes) == 1 == int("push" in on)
            assert push_text in pushes[0]["notification"]["title"] + " " + pushes[0]["notification"]["body"]
            assert pushes[0]["data"]["tipo"] == tipo.key

        sms = Delivery.objects.filter(notification__user_id=user_id, channel="sms", status="sent")
        phone = "+5491155550001" if role == "cliente" else "+5491155550002"
        assert len([s for s in providers.twilio.sms if s["To"] == phone]) == sms.count()


def _ids(user_id) -> set[str]:
    return {str(pk) for pk in Notification.objects.filter(user_id=user_id).values_list("pk", flat=True)}


def test_a_message_to_a_connected_recipient_and_system_messages_push_nothing(pair):
    for kind, online in [(MessageKind.TEXTO, True), (MessageKind.SISTEMA, False), (MessageKind.OFERTA, False)]:
        publish_event(
            MessageSent(
                chat_id=pair.ids["chat"],
                message_id=uuid.uuid4(),
                sender_id=pair.pro,
                recipient_id=pair.cliente,
                kind=kind,
                preview="hola",
                recipient_online=online,
            )
        )
    assert not Notification.objects.exists()


def test_chargebacks_and_failed_payouts_alert_staff(pair, providers):
    publish_event(
        ChargebackOpened(
            payment_id=uuid.uuid4(),
            **_work(pair),
            mercadopago_payment_id="987",
            status="charged_back",
        )
    )
    publish_event(
        PayoutFailed(
            payout_id=uuid.uuid4(),
            trabajo_id=pair.ids["trabajo"],
            profesional_id=pair.pro,
            amount=Decimal("12750.00"),
            reason="cuenta inexistente",
        )
    )
    run_deliveries()
    staff = [m for m in providers.sendgrid.mails if SendGridStandIn.to(m) == STAFF_EMAIL]
    assert sorted(m["subject"] for m in staff) == [
        "[ConectarProfesionales] Contracargo o mediación en el trabajo " + str(pair.ids["trabajo"]),
        "[ConectarProfesionales] Falló el pago de $ 12.750,00 a un profesional",
    ]
    assert Notification.objects.filter(user_id=pair.pro, template="pago_demorado").exists()


def _payment_failed(p: Pair, **fields) -> PaymentFailed:
    return PaymentFailed(payment_id=uuid.uuid4(), **_work(p), mercadopago_payment_id="123", status="rejected", **fields)


def _detalle_told(pair: Pair) -> str:
    [notification] = Notification.objects.filter(user_id=pair.cliente, template="pago_fallido")
    return notification.data["detalle"]


def test_a_failed_payment_tells_the_payer_why_in_the_domains_words(pair, providers):
    publish_event(_payment_failed(pair, reason=PaymentFailureReason.INSUFFICIENT_FUNDS))
    assert _detalle_told(pair) == "fondos insuficientes"


def test_an_envelope_published_before_reason_existed_is_still_handled(pair, providers):
    """PaymentFailed v1 as the previous code published it: MercadoPago's status_detail and no
    `reason`. It decodes (reason OTHER) and the payer is told, without the detail."""
    event = _payment_failed(pair)
    alias = alias_for("payments")
    with transaction.atomic(using=alias):
        publish(event)
    row = OutboxEvent.objects.using(alias).get(event_id=event.event_id)
    old = {k: v for k, v in row.envelope["payload"].items() if k != "reason"}
    envelope = {**row.envelope, "payload": {**old, "status_detail": "cc_rejected_insufficient_amount"}}
    for sub in subscriptions_for(row.event_type):
        if sub.context == "notifications":
            handle_once(sub, envelope)
    assert _detalle_told(pair) == ""
