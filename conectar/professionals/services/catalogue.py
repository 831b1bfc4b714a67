"""The staff-kept catalogue of oficios and instant services."""

from __future__ import annotations

import importlib
from decimal import Decimal
from uuid import UUID

from django.db import IntegrityError, transaction

from conectar.platform.databases import alias_for
from conectar.professionals.models import Oficio, ServicioInstant
from conectar.shared.errors import Conflict, NotFound

DB = alias_for("professionals")
# The data migration's OFICIOS is the one source of the catalogue Conectar ships with.
SEED_MIGRATION = "conectar.professionals.migrations.0002_seed_catalogue"


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


def catalogue_ensure() -> None:
    """Put back whatever part of the shipped catalogue is missing (a database flushed after it was
    migrated), idempotent by name: existing oficios and services, staff's edits included, stay."""
    shipped = importlib.import_module(SEED_MIGRATION).OFICIOS
    present = set(Oficio.objects.filter(nombre__in=shipped).values_list("nombre", flat=True))
    services_present = set(
        ServicioInstant.objects.filter(oficio__nombre__in=shipped).values_list("oficio__nombre", "nombre")
    )
    wanted = {(oficio, nombre) for oficio, (_, servicios) in shipped.items() for nombre, _, _ in servicios}
    if present == set(shipped) and wanted <= services_present:
        return
    with transaction.atomic(using=DB):
        for nombre, (descripcion, servicios) in shipped.items():
            oficio, _ = Oficio.objects.get_or_create(nombre=nombre, defaults={"descripcion": descripcion})
            for servicio, servicio_descripcion, precio in servicios:
                ServicioInstant.objects.get_or_create(
                    oficio=oficio,
                    nombre=servicio,
                    defaults={"descripcion": servicio_descripcion, "precio_fijo": Decimal(precio)},
                )
