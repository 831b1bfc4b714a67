"""The staff-kept catalogue of oficios and instant services."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction

from conectar.platform.databases import alias_for
from conectar.professionals.models import Oficio, ServicioInstant
from conectar.shared.errors import Conflict, NotFound

DB = alias_for("professionals")


def oficio_create(*, nombre: str, descripcion: str = "") -> Oficio:
    nombre = " ".join(nombre.split())
    if Oficio.objects.filter(nombre__iexact=nombre).exists():
        raise Conflict(f"Ya existe el oficio «{nombre}».", code="oficio_exists")
    try:
        with transaction.atomic(using=DB):
            return Oficio.objects.create(nombre=nombre, descripcion=descripcion)
    except IntegrityError as exc:  # created concurrently with the same name
        raise Conflict(f"Ya existe el oficio «{nombre}».", code="oficio_exists") from exc


def servicio_create(
    *, oficio_id: UUID, nombre: str, descripcion: str = "", precio_fijo: Decimal | None
) -> ServicioInstant:
    oficio = Oficio.objects.filter(pk=oficio_id).first()
    if oficio is None:
        raise NotFound("Oficio inexistente.", code="oficio_not_found")
    nombre = " ".join(nombre.split())
    if oficio.servicios.filter(nombre__iexact=nombre).exists():
        raise Conflict(f"«{oficio.nombre}» ya tiene el servicio «{nombre}».", code="servicio_exists")
    try:
        with transaction.atomic(using=DB):
            return ServicioInstant.objects.create(
                oficio=oficio, nombre=nombre, descripcion=descripcion, precio_fijo=precio_fijo
            )
    except IntegrityError as exc:
        raise Conflict(f"«{oficio.nombre}» ya tiene el servicio «{nombre}».", code="servicio_exists") from exc
