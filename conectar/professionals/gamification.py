"""The gamification rules of DOMAIN.md, as plain data and functions (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from conectar.professionals.contracts import Nivel


@dataclass(frozen=True)
class Level:
    nivel: Nivel
    points_from: int
    commission: Decimal


LEVELS = (  # ascending; the commission rate is a fraction of the price
    Level(Nivel.BRONCE, 0, Decimal("0.20")),
    Level(Nivel.PLATA, 1000, Decimal("0.18")),
    Level(Nivel.ORO, 5000, Decimal("0.15")),
    Level(Nivel.DIAMANTE, 15000, Decimal("0.10")),
)
RANK = {level.nivel: index for index, level in enumerate(LEVELS)}

POINTS_TRABAJO_FINALIZADO = 100
REASON_TRABAJO_FINALIZADO = "trabajo_finalizado"  # the ledger reason: one entry per finished trabajo
POINTS_RESENA = {5: 50, 4: 10}
POINTS_CANCELADO_POR_PROFESIONAL = -100
POINTS_DISPUTA_PERDIDA = -200


def level_for(points: int) -> Level:
    """The level is recomputed from points, so it can go down as well as up."""
    current = LEVELS[0]
    for level in LEVELS:
        if points >= level.points_from:
            current = level
    return current


def next_level(points: int) -> Level | None:
    return next((level for level in LEVELS if level.points_from > points), None)


def review_points(rating: int) -> int:
    return POINTS_RESENA.get(rating, 0)
