"""The facade functions the demo seed added: accounts with one shared hash, the professional's
set-up in one transaction, and the shipped catalogue put back."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.contrib.auth.hashers import check_password

from conectar.auth_ctx import facade as accounts
from conectar.auth_ctx.contracts import NewAccount, Role
from conectar.platform.databases import alias_for
from conectar.professionals import facade as professionals
from conectar.professionals.contracts import KycStatus, WorkProfile
from conectar.shared.errors import InvalidInput
from tests.support.accounts import bearer
from tests.support.events import published
from tests.support.professionals import BUENOS_AIRES, oficio

pytestmark = pytest.mark.django_db(databases="__all__")
PASSWORD = "Mate-Cocido-2026"
AUTH_DB = alias_for("auth_ctx")


def person(email: str, role=Role.PROFESIONAL) -> NewAccount:
    return NewAccount(email=email, nombre="Ana", apellido="Paz", role=role)


def test_seeded_accounts_share_one_real_hash_and_existing_ones_stay(client):
    first = accounts.seed_accounts(people=[person("a@example.com"), person("B@example.com")], password=PASSWORD)
    assert [(a.email, a.role, a.email_verified, created) for a, created in first] == [
        ("a@example.com", Role.PROFESIONAL, True, True),
        ("b@example.com", Role.PROFESIONAL, True, True),
    ]
    assert [p["email"] for p in published("auth_ctx.user_registered.v1", AUTH_DB)] == [
        "a@example.com",
        "b@example.com",
    ]
    login = client.post("/api/v1/auth/login", {"email": "b@example.com", "password": PASSWORD}, "application/json")
    assert login.status_code == 200

    again = accounts.seed_accounts(people=[person("a@example.com"), person("c@example.com")], password="Otra-Clave-99")
    assert [(a.email, created) for a, created in again] == [("a@example.com", False), ("c@example.com", True)]
    assert first[0][0].id == again[0][0].id
    assert len(published("auth_ctx.user_registered.v1", AUTH_DB)) == 3


def test_seeded_accounts_refuse_admins_and_weak_passwords():
    with pytest.raises(ValueError, match="admin"):
        accounts.seed_accounts(people=[person("x@example.com", Role.ADMIN)], password=PASSWORD)
    with pytest.raises(InvalidInput):
        accounts.seed_accounts(people=[person("x@example.com")], password="12345678")
    assert accounts.search_accounts(email_fragment="x@example.com") == []


def test_ensure_admin_keeps_an_existing_password(django_user_model):
    admin, created = accounts.ensure_admin(email="jefa@example.com", password=PASSWORD)
    again, created_again = accounts.ensure_admin(email="jefa@example.com", password="Otra-Clave-99")
    assert (admin.role, created, again.id, created_again) == (Role.ADMIN, True, admin.id, False)
    assert check_password(PASSWORD, django_user_model.objects.get(pk=admin.id).password)


def test_a_work_profile_is_set_up_whole_or_not_at_all(client):
    account, _ = accounts.seed_accounts(people=[person("pro@example.com")], password=PASSWORD)[0]
    access = client.post("/api/v1/auth/login", {"email": "pro@example.com", "password": PASSWORD}, "application/json")

    def me() -> dict:
        return client.get("/api/v1/professional/me", headers=bearer(access.json()["access_token"])).json()

    summary = professionals.ensure_professional(usuario_id=account.id, nombre="Ana", apellido="Paz")
    assert professionals.ensure_professional(usuario_id=account.id, nombre="Ana", apellido="Paz") == summary
    plomero = oficio("Plomero")
    good = WorkProfile(
        latitude=BUENOS_AIRES[0],
        longitude=BUENOS_AIRES[1],
        radio_cobertura_km=10,
        oficio_ids=(plomero.pk,),
        tarifa_por_hora=Decimal("20000.00"),
        payout_account="ana.paz.mp",
    )
    with pytest.raises(InvalidInput) as bad_payout:
        professionals.set_up_work_profile(usuario_id=account.id, profile=replace(good, payout_account="x"))
    assert set(bad_payout.value.fields) == {"payout_account"}
    untouched = me()
    assert (untouched["latitude"], untouched["tarifa_por_hora"], untouched["oficios"]) == (None, None, [])

    with pytest.raises(InvalidInput) as out_of_range:
        professionals.set_up_work_profile(usuario_id=account.id, profile=replace(good, radio_cobertura_km=0))
    assert set(out_of_range.value.fields) == {"radio_cobertura_km"}
    # The same bounds as the routes' schemas, NaN included.
    beyond = replace(good, latitude=float("nan"), longitude=-181.0, tarifa_por_hora=Decimal("100000000.00"))
    with pytest.raises(InvalidInput) as out_of_range:
        professionals.set_up_work_profile(usuario_id=account.id, profile=beyond)
    assert set(out_of_range.value.fields) == {"latitude", "longitude", "tarifa_por_hora"}

    professionals.set_up_work_profile(usuario_id=account.id, profile=good)
    assert professionals.payout_account(usuario_id=account.id) == "ana.paz.mp"
    set_up = me()
    assert (set_up["latitude"], set_up["tarifa_por_hora"], [o["nombre"] for o in set_up["oficios"]]) == (
        BUENOS_AIRES[0],
        "20000.00",
        ["Plomero"],
    )
    assert professionals.summary(usuario_id=account.id).estado_verificacion == KycStatus.PENDIENTE
