"""Reads of the oficio catalogue."""

from __future__ import annotations

import time
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings

from conectar.professionals.contracts import OficioDTO
from conectar.professionals.models import Oficio


def oficios() -> list[OficioDTO]:
    return [
        OficioDTO(id=oficio.pk, nombre=oficio.nombre, servicio_ids=tuple(s.pk for s in oficio.servicios.all()))
        for oficio in Oficio.objects.prefetch_related("servicios")
    ]


@dataclass(frozen=True)
class _Names:
    loaded_at: float
    by_id: dict[UUID, tuple[int, str]]  # id -> (place in the catalogue's order by name, name)


_names: _Names | None = None


def named_oficios(oficio_ids: list[UUID]) -> list[dict]:
    """`[{"id": "<uuid>", "nombre": ...}]` for the given oficios, in the catalogue's order by name
    (PostgreSQL's collation, as `ORDER BY nombre` gives it). From a per-process copy of the catalogue:
    the search page's professionals carry only their oficios' ids, and reading ~50 names once in
    OFICIO_NAMES_TTL_SECONDS costs less than joining and sorting them for every professional of every
    page (~0.2 ms of a page's ~1.3 ms of SQL at 1M)."""
    global _names  # noqa: PLW0603 - one copy per process, replaced whole
    names = _names
    stale = names is None or time.monotonic() - names.loaded_at >= settings.OFICIO_NAMES_TTL_SECONDS
    if stale or not names.by_id.keys() >= set(oficio_ids):  # an oficio added since: read at once
        ordered = Oficio.objects.order_by("nombre", "pk").values_list("pk", "nombre")
        names = _names = _Names(time.monotonic(), {pk: (place, nombre) for place, (pk, nombre) in enumerate(ordered)})
    known = sorted(names.by_id[oid] + (oid,) for oid in oficio_ids if oid in names.by_id)
    return [{"id": str(oid), "nombre": nombre} for _, nombre, oid in known]
