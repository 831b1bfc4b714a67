"""What the marketplace and payments ask of the professionals context."""

import uuid
from decimal import Decimal

import pytest

from conectar.professionals import facade
from tests.support.professionals import approve, matchable_professional, new_professional

pytestmark = pytest.mark.django_db(databases="__all__")


def test_work_eligibility_names_what_is_missing(client):
    pro = new_professional(client)
    user_id = uuid.UUID(pro.session.user_id)
    eligibility = facade.work_eligibility(usuario_id=user_id)
    assert (eligibility.can_receive_work, "verificación" in eligibility.reason) == (False, True)
    approve(pro)
    eligibility = facade.work_eligibility(usuario_id=user_id)
    assert (eligibility.can_receive_work, "ubicación" in eligibility.reason) == (False, True)
    assert facade.work_eligibility(usuario_id=uuid.uuid4()).can_receive_work is False


def test_a_matchable_professional_can_receive_work(client):
    pro = matchable_professional(client)
    assert facade.work_eligibility(usuario_id=uuid.UUID(pro.session.user_id)).can_receive_work is True


def test_commission_payout_and_summary(client):
    pro = matchable_professional(client, nombre="Sol", apellido="Díaz")
    user_id = uuid.UUID(pro.session.user_id)
    assert facade.commission_rate(usuario_id=user_id) == Decimal("0.200")
    assert facade.payout_account(usuario_id=user_id) is None
    client.put(
        "/api/v1/professional/payout-info",
        {"payout_account": "sol.diaz.mp"},
        content_type="application/json",
        headers=pro.headers,
    )
    assert facade.payout_account(usuario_id=user_id) == "sol.diaz.mp"
    summary = facade.summary(usuario_id=user_id)
    assert (summary.id, summary.nombre, summary.apellido, summary.nivel) == (uuid.UUID(pro.id), "Sol", "Díaz", "BRONCE")
    assert facade.summary(usuario_id=uuid.uuid4()) is None
    assert facade.commission_rate(usuario_id=uuid.uuid4()) is None


def test_kyc_counts_for_the_admin_metrics(client):
    approve(new_professional(client))
    new_professional(client)
    counts = facade.kyc_counts()
    assert (counts.aprobados, counts.pendientes) == (1, 0)


def test_a_professional_just_created_reports_decimals_not_strings():
    """The model's defaults are Decimals, so the very instance that was created speaks the contract."""
    summary = facade.ensure_professional(usuario_id=uuid.uuid4(), nombre="Nadia", apellido="Paz")
    assert isinstance(summary.rating_promedio, Decimal)
    assert summary.rating_promedio == Decimal("0.00")


def test_the_shipped_catalogue_is_put_back_when_missing():
    from conectar.professionals.models import Oficio, ServicioInstant

    ServicioInstant.objects.filter(oficio__nombre="Plomero").delete()
    Oficio.objects.filter(nombre="Plomero").delete()
    catalogue = {o.nombre: o for o in facade.ensure_catalogue()}
    assert len(catalogue["Plomero"].servicio_ids) == 2
    assert len(facade.ensure_catalogue()) == len(catalogue)
