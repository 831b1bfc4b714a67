"""PUBLIC: what other contexts may know of professionals — DTOs, enums, events, exceptions.
Standard library only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KycCounts:
    pendientes: int  # documents submitted, waiting for staff (EN_REVISION)
    aprobados: int
