"""Professionals made the way the system makes them: registered through the API, created from the
registration event, profile filled through the routes, KYC decided by the KYC services."""

from __future__ import annotations

import importlib
import uuid
from dataclasses import dataclass

from django.apps import apps as django_apps
from django.db import connections

from conectar.platform.databases import alias_for
from conectar.professionals.models import Oficio, Professional
from conectar.professionals.services import gamification, kyc
from tests.support.accounts import Session, signed_up
from tests.support.events import deliver_outbox
from tests.support.waiting import wait_until

BUENOS_AIRES = (-34.6037, -58.3816)  # Obelisco (lat, lng)


@dataclass
class Pro:
    session: Session
    id: str

    @property
    def headers(self) -> dict:
        return self.session.headers

    def refresh(self) -> Professional:
        return Professional.objects.get(pk=self.id)


def seed_catalogue() -> None:
    """The catalogue as the data migration seeds it (idempotent by name). A transactional test ends
    with a flush that empties migration data too, so a test that relies on it seeds it first."""
    seed = importlib.import_module("conectar.professionals.migrations.0002_seed_catalogue")
    with connections[alias_for("professionals")].schema_editor(atomic=False) as editor:
        seed.seed(django_apps, editor)


def oficio(nombre: str = "Plomero") -> Oficio:
    found = Oficio.objects.filter(nombre=nombre).first()
    if found is None:
        seed_catalogue()
        found = Oficio.objects.get(nombre=nombre)
    return found


def new_professional(client, *, nombre="Pedro", apellido="Gómez") -> Pro:
    session = signed_up(client, rol="PROFESIONAL", nombre=nombre, apellido=apellido)
    deliver_outbox()
    # In transactional tests a running worker may have taken the registration event first:
    # wait for its outcome rather than assume who delivered it.
    professional = wait_until(
        lambda: Professional.objects.filter(usuario_id=session.user_id).first(), message="the professional"
    )
    return Pro(session, str(professional.pk))


def award_points(pro: Pro, delta: int) -> None:
    """Points as the professionals' handlers award them (finished trabajos, reviews): the level and
    the commission rate follow."""
    gamification.points_award(usuario_id=pro.session.user_id, delta=delta, reason="test", source_event_id=uuid.uuid4())


def approve(pro: Pro, *, by=None) -> None:
    kyc.kyc_mark_submitted(usuario_id=pro.session.user_id, documents=3)
    kyc.kyc_approve(professional_id=pro.id, by=by)


def matchable_professional(
    client,
    *,
    at=BUENOS_AIRES,
    radio_km: int = 10,
    oficios=("Plomero",),
    tarifa=None,
    acepta_instant=False,
    nombre="Pedro",
    apellido="Gómez",
) -> Pro:
    pro = new_professional(client, nombre=nombre, apellido=apellido)
    json = {"content_type": "application/json", "headers": pro.headers}
    assert (
        client.put("/api/v1/professional/location", {"latitude": at[0], "longitude": at[1]}, **json).status_code == 200
    )
    profile = {"radio_cobertura_km": radio_km, "acepta_instant": acepta_instant}
    if tarifa is not None:
        profile["tarifa_por_hora"] = str(tarifa)
    assert client.put("/api/v1/professional/profile", profile, **json).status_code == 200
    ids = [str(oficio(name).pk) for name in oficios]
    assert client.put("/api/v1/professional/oficios", {"oficio_ids": ids}, **json).status_code == 200
    approve(pro)
    return pro
