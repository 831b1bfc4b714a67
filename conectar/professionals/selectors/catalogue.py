"""Reads of the oficio catalogue."""

from __future__ import annotations

from conectar.professionals.contracts import OficioDTO
from conectar.professionals.models import Oficio


def oficios() -> list[OficioDTO]:
    return [
        OficioDTO(id=oficio.pk, nombre=oficio.nombre, servicio_ids=tuple(s.pk for s in oficio.servicios.all()))
        for oficio in Oficio.objects.prefetch_related("servicios")
    ]
