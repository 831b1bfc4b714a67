"""The professional's working settings: coverage, rates, oficios, services, location, payout."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from django.contrib.gis.geos import Point
from django.db import transaction

from conectar.platform.databases import alias_for
from conectar.platform.events import publish
from conectar.professionals import limits
from conectar.professionals.contracts import LocationUpdated, WorkProfile
from conectar.professionals.models import Oficio, Professional, ServicioInstant
from conectar.professionals.payout import normalize_payout_account
from conectar.professionals.services.profiles import changing
from conectar.shared.errors import InvalidInput, NotFound

MAX_OFICIOS = 20
DB = alias_for("professionals")


def work_profile_set(*, usuario_id: UUID, profile: WorkProfile) -> Professional:
    """Coverage, rate, oficios, instant services, location and payout account in one transaction
    (nobody sees the professional half set up), through the same steps as the routes, with the
    bounds the routes' schemas check."""
    problems = limits.out_of_bounds(
        latitude=(profile.latitude, limits.LATITUDE),
        longitude=(profile.longitude, limits.LONGITUDE),
        radio_cobertura_km=(profile.radio_cobertura_km, limits.RADIO_COBERTURA_KM),
        tarifa_por_hora=(profile.tarifa_por_hora, limits.TARIFA_POR_HORA),
    )
    if problems:
        raise InvalidInput(fields=problems)
    with transaction.atomic(using=DB):
        settings_update(
            usuario_id=usuario_id,
            radio_cobertura_km=profile.radio_cobertura_km,
            acepta_instant=profile.acepta_instant,
            tarifa_por_hora=profile.tarifa_por_hora,
            clear_tarifa=profile.tarifa_por_hora is None,
        )
        oficios_replace(usuario_id=usuario_id, oficio_ids=list(profile.oficio_ids))
        servicios_replace(usuario_id=usuario_id, servicio_ids=list(profile.servicio_ids))
        professional = location_set(usuario_id=usuario_id, latitude=profile.latitude, longitude=profile.longitude)
        if profile.payout_account:
            professional = payout_account_set(usuario_id=usuario_id, payout_account=profile.payout_account)
    return professional


def settings_update(
    *,
    usuario_id: UUID,
    radio_cobertura_km: int | None = None,
    acepta_instant: bool | None = None,
    tarifa_por_hora: Decimal | None = None,
    clear_tarifa: bool = False,
) -> Professional:
    with changing(usuario_id) as professional:
        if radio_cobertura_km is not None:
            professional.radio_cobertura_km = radio_cobertura_km
        if acepta_instant is not None:
            professional.acepta_instant = acepta_instant
        if tarifa_por_hora is not None or clear_tarifa:
            professional.tarifa_por_hora = tarifa_por_hora
    return professional


def oficios_replace(*, usuario_id: UUID, oficio_ids: list[UUID]) -> Professional:
    wanted = set(oficio_ids)
    if len(wanted) > MAX_OFICIOS:
        raise InvalidInput(fields={"oficio_ids": [f"Elegí hasta {MAX_OFICIOS} oficios."]})
    found = set(Oficio.objects.filter(pk__in=wanted).values_list("pk", flat=True))
    if missing := wanted - found:
        raise NotFound(f"Oficio inexistente: {sorted(map(str, missing))[0]}.", code="oficio_not_found")
    with changing(usuario_id) as professional:
        professional.oficios.set(found)
        # Instant services hang from an oficio: those of dropped oficios go with them.
        professional.servicios.remove(*professional.servicios.exclude(oficio_id__in=found))
    return professional


def servicios_replace(*, usuario_id: UUID, servicio_ids: list[UUID]) -> Professional:
    wanted = set(servicio_ids)
    servicios = list(ServicioInstant.objects.filter(pk__in=wanted))
    if missing := wanted - {s.pk for s in servicios}:
        raise NotFound(f"Servicio inexistente: {sorted(map(str, missing))[0]}.", code="servicio_not_found")
    with changing(usuario_id) as professional:
        own_oficios = set(professional.oficios.values_list("pk", flat=True))
        foreign = [s.nombre for s in servicios if s.oficio_id not in own_oficios]
        if foreign:
            raise InvalidInput(
                fields={"servicio_ids": [f"«{foreign[0]}» es de un oficio que no ofrecés; agregá el oficio primero."]}
            )
        professional.servicios.set(servicios)
    return professional


def location_set(*, usuario_id: UUID, latitude: float, longitude: float) -> Professional:
    with changing(usuario_id) as professional:
        professional.location = Point(longitude, latitude, srid=4326)
        publish(
            LocationUpdated(
                professional_id=professional.pk,
                latitude=latitude,
                longitude=longitude,
                radio_cobertura_km=professional.radio_cobertura_km,
            )
        )
    return professional


def payout_account_set(*, usuario_id: UUID, payout_account: str) -> Professional:
    try:
        normalized = normalize_payout_account(payout_account)
    except ValueError as exc:
        raise InvalidInput(fields={"payout_account": [str(exc)]}) from exc
    with changing(usuario_id) as professional:
        professional.payout_account = normalized
    return professional
