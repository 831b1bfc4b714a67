"""The professional's own profile (API.md: /professional/profile, /me, oficios, servicios-instant,
location, payout-info, nivel). Seed and v1 paths share one handler each."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from ninja import Router, Schema
from pydantic import Field

from conectar.professionals import limits
from conectar.professionals.http.bodies import level_body, oficios_body, own_profile_body, servicio_body
from conectar.professionals.http.deps import ProfessionalBearer, own_professional
from conectar.professionals.models import Professional
from conectar.professionals.services import accounts, profile_settings

router = Router(tags=["professional"], auth=ProfessionalBearer())


class SettingsIn(Schema):
    radio_cobertura_km: int | None = Field(
        default=None, ge=limits.RADIO_COBERTURA_KM[0], le=limits.RADIO_COBERTURA_KM[1]
    )
    acepta_instant: bool | None = None
    tarifa_por_hora: Decimal | None = Field(
        default=None, ge=limits.TARIFA_POR_HORA[0], le=limits.TARIFA_POR_HORA[1], decimal_places=2
    )


class OficiosIn(Schema):
    oficio_ids: list[UUID] = Field(max_length=50)


class ServiciosIn(Schema):
    servicio_ids: list[UUID] = Field(max_length=100)


class LocationIn(Schema):
    # NaN fails these bounds too (every comparison with NaN is false).
    latitude: float = Field(ge=limits.LATITUDE[0], le=limits.LATITUDE[1])
    longitude: float = Field(ge=limits.LONGITUDE[0], le=limits.LONGITUDE[1])


class PayoutIn(Schema):
    payout_account: str = Field(min_length=1, max_length=40)


def _profile(professional: Professional) -> dict:
    professional = Professional.objects.prefetch_related("oficios", "servicios").get(pk=professional.pk)
    email = accounts.account_emails([professional.usuario_id]).get(professional.usuario_id)
    return own_profile_body(professional, email=email)


@router.get("/professional/profile", operation_id="professional_profile_get", summary="Own professional profile")
@router.get("/professional/me", operation_id="professional_me_get", summary="Own professional profile (v1)")
def profile_get(request):
    return _profile(own_professional(request))


@router.put("/professional/profile", summary="Coverage radius, instant work, hourly rate")
def profile_update(request, payload: SettingsIn):
    sent = payload.model_fields_set
    professional = profile_settings.settings_update(
        usuario_id=request.auth.user_id,
        radio_cobertura_km=payload.radio_cobertura_km,
        acepta_instant=payload.acepta_instant,
        tarifa_por_hora=payload.tarifa_por_hora,
        clear_tarifa="tarifa_por_hora" in sent and payload.tarifa_por_hora is None,
    )
    return _profile(professional)


@router.post("/professional/oficios", operation_id="professional_oficios_post", summary="Replace the set of oficios")
@router.put("/professional/oficios", operation_id="professional_oficios_put")
def oficios_set(request, payload: OficiosIn):
    return _profile(profile_settings.oficios_replace(usuario_id=request.auth.user_id, oficio_ids=payload.oficio_ids))


@router.put(
    "/professional/profile/oficios",
    operation_id="professional_profile_oficios_put",
    summary="Replace the set of oficios (v1: answers the new set)",
)
def oficios_set_v1(request, payload: OficiosIn):
    professional = profile_settings.oficios_replace(usuario_id=request.auth.user_id, oficio_ids=payload.oficio_ids)
    return oficios_body(Professional.objects.prefetch_related("oficios").get(pk=professional.pk))


@router.put("/professional/profile/servicios-instant", summary="Replace the set of instant services (the new set)")
def servicios_set(request, payload: ServiciosIn):
    professional = profile_settings.servicios_replace(
        usuario_id=request.auth.user_id, servicio_ids=payload.servicio_ids
    )
    return [servicio_body(s) for s in Professional.objects.get(pk=professional.pk).servicios.all()]


@router.post("/professional/location", operation_id="professional_location_post", summary="Base location")
@router.put("/professional/location", operation_id="professional_location_put")
@router.post("/professional/profile/location", operation_id="professional_profile_location_post")
@router.put("/professional/profile/location", operation_id="professional_profile_location_put")
def location_set(request, payload: LocationIn):
    return _profile(
        profile_settings.location_set(
            usuario_id=request.auth.user_id, latitude=payload.latitude, longitude=payload.longitude
        )
    )


@router.put("/professional/payout-info", summary="Payout account: CBU, CVU or alias")
def payout_set(request, payload: PayoutIn):
    """The profile, with v1's `status` and `message` (its `payout_account` is the masked account)."""
    professional = profile_settings.payout_account_set(
        usuario_id=request.auth.user_id, payout_account=payload.payout_account
    )
    return {**_profile(professional), "status": "ok", "message": "Información de pago actualizada correctamente"}


@router.get("/professional/nivel", summary="Level, points, commission and what the next level needs")
def level_get(request):
    return level_body(own_professional(request))
