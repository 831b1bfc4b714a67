"""Ofertas and trabajos for the tests: people and chats through the real routes; trabajos in a given
state built as the workflow leaves them (for the table-driven tests, which start from each state)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from conectar.marketplace.contracts import EstadoEscrow, OfertaEstado
from conectar.marketplace.models import Chat, Oferta, Trabajo
from tests.marketplace.helpers import JSON, new_client, open_chat
from tests.support.accounts import Session
from tests.support.events import deliver_outbox
from tests.support.professionals import Pro, matchable_professional


@dataclass
class Deal:
    cliente: Session
    pro: Pro
    chat_id: str


def new_deal(client, *, nombre="Pedro") -> Deal:
    """A client and an approved, located professional with their chat."""
    cliente = new_client(client)
    pro = matchable_professional(client, nombre=nombre)
    deliver_outbox()
    response = open_chat(client, cliente, pro)
    assert response.status_code == 201, response.content
    return Deal(cliente, pro, response.json()["id"])


def offer(client, deal: Deal, *, precio="15000.00", descripcion="Cambio de canilla y flexibles de la cocina", **extra):
    body = {
        "cliente_id": deal.cliente.user_id,
        "chat_id": deal.chat_id,
        "descripcion": descripcion,
        "precio_final": precio,
    }
    return client.post("/api/v1/offers/create", {**body, **extra}, content_type=JSON, headers=deal.pro.headers)


PAID = {
    EstadoEscrow.PAGADO_EN_ESCROW,
    EstadoEscrow.ENTREGADO,
    EstadoEscrow.LIBERADO,
    EstadoEscrow.EN_DISPUTA,
    EstadoEscrow.RESUELTO,
    EstadoEscrow.CANCELADO_REEMBOLSADO,
}


def trabajo_in(deal: Deal, estado: EstadoEscrow, *, precio=Decimal("10000.00"), tasa=Decimal("0.200")) -> Trabajo:
    """A trabajo of the deal's pair in `estado`, with the fields the workflow would have set on the
    way there (paid time, delivery and release dates, the money split of a closed trabajo)."""
    chat = Chat.objects.get(pk=deal.chat_id)
    now = timezone.now()
    oferta = Oferta.objects.create(
        chat=chat,
        cliente_id=chat.cliente_id,
        profesional_id=chat.profesional_id,
        descripcion="Arreglo de prueba del workflow",
        precio_final=precio,
        estado=OfertaEstado.ACEPTADO,
        expira_en=now + timedelta(hours=72),
        decided_at=now,
    )
    fields = {
        "oferta": oferta,
        "chat": chat,
        "cliente_id": chat.cliente_id,
        "profesional_id": chat.profesional_id,
        "descripcion": oferta.descripcion,
        "precio_final": precio,
        "tasa_comision": tasa,
        "estado": estado,
        "pago_vence_en": now + timedelta(hours=24),
    }
    if estado in PAID:
        fields["pagado_at"] = now
    if estado in {EstadoEscrow.ENTREGADO, EstadoEscrow.LIBERADO}:
        fields["entregado_at"] = now
        fields["liberacion_automatica_en"] = now + timedelta(days=7)
    if estado == EstadoEscrow.LIBERADO:
        fields.update(comision_plataforma=precio * tasa, monto_liberado=precio - precio * tasa)
    if estado == EstadoEscrow.RESUELTO:
        fields.update(
            porcentaje_reembolso=100,
            monto_reembolsado=precio,
            comision_plataforma=Decimal(0),
            monto_liberado=Decimal(0),
        )
    if estado == EstadoEscrow.CANCELADO_REEMBOLSADO:
        fields.update(monto_reembolsado=precio, comision_plataforma=Decimal(0), monto_liberado=Decimal(0))
    if estado in {EstadoEscrow.LIBERADO, EstadoEscrow.RESUELTO}:
        fields.update(cerrado_at=now, resenas_hasta=now + timedelta(days=14))
    if estado in {EstadoEscrow.CANCELADO, EstadoEscrow.CANCELADO_REEMBOLSADO}:
        fields["cerrado_at"] = now
    if estado == EstadoEscrow.EN_DISPUTA:
        fields.update(disputa_motivo="No terminó el trabajo", disputa_abierta_at=now)
    return Trabajo.objects.create(**fields)
