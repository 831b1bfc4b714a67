"""How values read in a message: money as Argentines write it, dates in Buenos Aires time, people by
name, and the frontend paths messages link to (one place to change if the frontend moves them)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from uuid import UUID

from django.utils import timezone

from conectar.users import facade as users

CENT = Decimal("0.01")


def pesos(amount: Decimal | str | int) -> str:
    """$ 15.000,50"""
    value = Decimal(str(amount)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    sign = "-" if value < 0 else ""
    whole, _, cents = f"{abs(value):.2f}".partition(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}$ {grouped},{cents}"


def porcentaje(rate: Decimal | str) -> str:
    """A rate (0.15) as a percentage: 15 %."""
    value = (Decimal(str(rate)) * 100).normalize()
    text = f"{value:f}".replace(".", ",")
    return f"{text} %"


def fecha(moment: datetime) -> str:
    """12/03/2026 18:30 (Buenos Aires)."""
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def estrellas(rating: int) -> str:
    rating = max(0, min(5, int(rating)))
    return "★" * rating + "☆" * (5 - rating)


def display_names(user_ids: Iterable[UUID | None]) -> dict[UUID, str]:
    """'Ana García' per person, from the users context in one call ('' when unknown)."""
    wanted = [uid for uid in set(user_ids) if uid is not None]
    profiles = users.get_profiles(user_ids=wanted) if wanted else {}
    return {uid: f"{p.nombre} {p.apellido}".strip() for uid, p in profiles.items()}


class Paths:
    """Frontend routes that messages link to (relative to FRONTEND_URL; push data carries them)."""

    @staticmethod
    def chat(chat_id: UUID) -> str:
        return f"/chat/{chat_id}"

    @staticmethod
    def oferta_cliente(oferta_id: UUID) -> str:
        return f"/cliente/ofertas/{oferta_id}"

    @staticmethod
    def trabajo(trabajo_id: UUID, *, cliente: bool) -> str:
        return f"/cliente/trabajos/{trabajo_id}" if cliente else f"/profesional/trabajos/{trabajo_id}"

    PERFIL_PROFESIONAL = "/profesional/perfil"
    VERIFICACION = "/profesional/verificacion"
    PAGOS_PROFESIONAL = "/profesional/pagos"
    RESENAS_PROFESIONAL = "/profesional/resenas"
    BUSCAR = "/buscar"
    OLVIDE_CONTRASENA = "/forgot-password"
    SOPORTE = "/soporte"
