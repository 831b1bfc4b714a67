"""Response bodies of ofertas, trabajos and reseñas (one shape wherever each is shown).
Field names follow API.md and the v1 frontend (`estado_escrow`, `fecha_creacion`, …)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from conectar.marketplace.contracts import Actor, EstadoEscrow
from conectar.marketplace.http.bodies import people
from conectar.marketplace.http.directory import directory
from conectar.marketplace.models import Oferta, Resena, Trabajo
from conectar.marketplace.workflow import actions_from
from conectar.professionals.contracts import ProfessionalSummary
from conectar.shared.money import format_money


def _money(amount: Decimal | None) -> str | None:
    return format_money(amount) if amount is not None else None


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _id(value: UUID | None) -> str | None:
    return str(value) if value else None


# The trabajo `estado` names the v1 frontend's pages classify on (V1-CONTRACT § 4.3); this
# project's own states map to the one whose buttons fit them (`estado_escrow` keeps the real one).
FRONTEND_ESTADO = {
    EstadoEscrow.PENDIENTE_PAGO: "PENDIENTE_PAGO",
    EstadoEscrow.PAGADO_EN_ESCROW: "PAGADO_EN_ESCROW",
    EstadoEscrow.ENTREGADO: "PAGADO_EN_ESCROW",  # the client may finalize it
    EstadoEscrow.EN_DISPUTA: "EN_DISPUTA",
    EstadoEscrow.LIBERADO: "LIBERADO",
    EstadoEscrow.RESUELTO: "LIBERADO",
    EstadoEscrow.CANCELADO: "CANCELADO",
    EstadoEscrow.CANCELADO_REEMBOLSADO: "CANCELADO",
}


@dataclass(frozen=True)
class Names:
    """Display data of the people on a page of ofertas or trabajos (read from the directory the
    gateway plugged, once per page): user id → person (bodies.people), professional account
    id → summary."""

    people: dict[UUID, dict] = field(default_factory=dict)
    professionals: dict[UUID, ProfessionalSummary] = field(default_factory=dict)

    @classmethod
    def of(cls, deals: Iterable[Oferta | Trabajo]) -> Names:
        deals = list(deals)
        user_ids = {d.cliente_id for d in deals} | {d.profesional_id for d in deals}
        return cls(
            people(user_ids),
            directory().professional_summaries(list({d.profesional_id for d in deals})),
        )

    def nombre(self, user_id: UUID) -> str | None:
        person = self.people.get(user_id)
        return person["display_name"] if person else None

    def of_person(self, user_id: UUID, key: str):
        person = self.people.get(user_id)
        return person[key] if person else None


def _number(amount: Decimal | None) -> float | None:
    return float(amount) if amount is not None else None


def oferta_body(oferta: Oferta, names: Names | None = None) -> dict:
    trabajo = getattr(oferta, "trabajo", None) if oferta.estado == "ACEPTADO" else None
    names = names or Names()
    summary = names.professionals.get(oferta.profesional_id)
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
        # what the v1 frontend's oferta pages read (V1-CONTRACT § 4.3)
        "created_at": oferta.created_at.isoformat(),
        "expires_at": oferta.expira_en.isoformat(),
        "precio": _number(oferta.precio_final),
        "precio_ofertado": _number(oferta.precio_final),
        "cliente_nombre": names.nombre(oferta.cliente_id),
        "profesional_nombre": names.of_person(oferta.profesional_id, "nombre"),
        "profesional_apellido": names.of_person(oferta.profesional_id, "apellido"),
        "profesional_avatar_url": names.of_person(oferta.profesional_id, "avatar_url"),
        "profesional_rating": _number(summary.rating_promedio) if summary else 0.0,
    }


def viewer_actor(trabajo: Trabajo, viewer_id: UUID) -> Actor:
    if viewer_id == trabajo.cliente_id:
        return Actor.CLIENTE
    if viewer_id == trabajo.profesional_id:
        return Actor.PROFESIONAL
    return Actor.STAFF


def trabajo_body(trabajo: Trabajo, *, viewer_id: UUID, names: Names | None = None) -> dict:
    names = names or Names()
    return {
        "id": str(trabajo.pk),
        "cliente_id": str(trabajo.cliente_id),
        "profesional_id": str(trabajo.profesional_id),
        "oferta_id": str(trabajo.oferta_id),
        "servicio_instant_id": None,  # v1's key; every trabajo here comes from an oferta
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
        # what the v1 frontend's trabajo pages read (V1-CONTRACT § 4.3)
        "estado": FRONTEND_ESTADO[EstadoEscrow(trabajo.estado)],
        "monto": _number(trabajo.precio_final),
        "created_at": trabajo.created_at.isoformat(),
        "fecha_inicio": _when(trabajo.pagado_at),
        "fecha_finalizacion": _when(trabajo.cerrado_at),
        "cliente_nombre": names.nombre(trabajo.cliente_id),
        "profesional_nombre": names.nombre(trabajo.profesional_id),
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


def resena_created_body(resena: Resena, *, summary: ProfessionalSummary | None) -> dict:
    """A new review with v1's ResenaRead keys: `cliente_id` (the trabajo's client) and
    `profesional_id` — the professional id, not the account (V1-CONTRACT § 1.9)."""
    cliente_id = resena.autor_id if resena.autor_rol == Actor.CLIENTE else resena.destinatario_id
    return {
        **resena_body(resena),
        "cliente_id": str(cliente_id),
        "profesional_id": str(summary.id) if summary else None,
        "fecha_actualizacion": (resena.respuesta_at or resena.created_at).isoformat(),
    }
