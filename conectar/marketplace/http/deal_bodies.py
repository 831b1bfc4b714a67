"""Response bodies of ofertas, trabajos and reseñas (one shape wherever each is shown).
Field names follow API.md and the v1 frontend (`estado_escrow`, `fecha_creacion`, …)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from conectar.marketplace.contracts import Actor, EstadoEscrow
from conectar.marketplace.models import Oferta, Resena, Trabajo
from conectar.marketplace.workflow import actions_from
from conectar.shared.money import format_money


def _money(amount: Decimal | None) -> str | None:
    return format_money(amount) if amount is not None else None


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _id(value: UUID | None) -> str | None:
    return str(value) if value else None


def oferta_body(oferta: Oferta) -> dict:
    trabajo = getattr(oferta, "trabajo", None) if oferta.estado == "ACEPTADO" else None
    return {
        "id": str(oferta.pk),
        "chat_id": str(oferta.chat_id),
        "cliente_id": str(oferta.cliente_id),
        "profesional_id": str(oferta.profesional_id),
        "descripcion": oferta.descripcion,
        "precio_final": format_money(oferta.precio_final),
        "estado": oferta.estado,
        "expira_en": oferta.expira_en.isoformat(),
        "fecha_creacion": oferta.created_at.isoformat(),
        "fecha_actualizacion": oferta.updated_at.isoformat(),
        "trabajo_id": str(trabajo.pk) if trabajo else None,
    }


def viewer_actor(trabajo: Trabajo, viewer_id: UUID) -> Actor:
    if viewer_id == trabajo.cliente_id:
        return Actor.CLIENTE
    if viewer_id == trabajo.profesional_id:
        return Actor.PROFESIONAL
    return Actor.STAFF


def trabajo_body(trabajo: Trabajo, *, viewer_id: UUID) -> dict:
    return {
        "id": str(trabajo.pk),
        "cliente_id": str(trabajo.cliente_id),
        "profesional_id": str(trabajo.profesional_id),
        "oferta_id": str(trabajo.oferta_id),
        "chat_id": str(trabajo.chat_id),
        "descripcion": trabajo.descripcion,
        "precio_final": format_money(trabajo.precio_final),
        "tasa_comision": str(trabajo.tasa_comision),
        "comision_plataforma": _money(trabajo.comision_plataforma),
        "monto_liberado": _money(trabajo.monto_liberado),
        "monto_reembolsado": _money(trabajo.monto_reembolsado),
        "estado_escrow": trabajo.estado,
        "payment_id": _id(trabajo.payment_id),
        "payment_preference_id": trabajo.payment_preference_id or None,
        "payment_url": trabajo.payment_url or None,
        "mercadopago_payment_id": trabajo.mercadopago_payment_id or None,
        "contracargo": trabajo.contracargo,
        "pago_vence_en": _when(trabajo.pago_vence_en) if trabajo.estado == EstadoEscrow.PENDIENTE_PAGO else None,
        "fecha_pago": _when(trabajo.pagado_at),
        "fecha_entrega": _when(trabajo.entregado_at),
        "liberacion_automatica_en": _when(trabajo.liberacion_automatica_en),
        "fecha_cierre": _when(trabajo.cerrado_at),
        "resenas_hasta": _when(trabajo.resenas_hasta),
        "cancelado_por": trabajo.cancelado_por or None,
        "motivo_cancelacion": trabajo.motivo_cancelacion or None,
        "disputa_motivo": trabajo.disputa_motivo or None,
        "porcentaje_reembolso": trabajo.porcentaje_reembolso,
        "acciones_disponibles": actions_from(EstadoEscrow(trabajo.estado), viewer_actor(trabajo, viewer_id)),
        "fecha_creacion": trabajo.created_at.isoformat(),
        "fecha_actualizacion": trabajo.updated_at.isoformat(),
    }


def resena_body(resena: Resena) -> dict:
    return {
        "id": str(resena.pk),
        "trabajo_id": str(resena.trabajo_id),
        "autor_id": str(resena.autor_id),
        "autor_rol": resena.autor_rol,
        "destinatario_id": str(resena.destinatario_id),
        "rating": resena.rating,
        "texto_resena": resena.texto or None,
        "publicada": resena.publicada_at is not None,
        "fecha_publicacion": _when(resena.publicada_at),
        "respuesta": resena.respuesta or None,
        "fecha_respuesta": _when(resena.respuesta_at),
        "fecha_creacion": resena.created_at.isoformat(),
    }
