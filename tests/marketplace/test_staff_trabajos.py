"""Staff tools for trabajos: the admin API list and the Django admin (queues, read-only records,
cancel with refund and dispute resolution through the same transition table)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from conectar.marketplace.contracts import EstadoEscrow
from conectar.marketplace.models import Trabajo
from tests.marketplace.deals import new_deal, offer, trabajo_in
from tests.support.accounts import admin_session
from tests.support.events import published

pytestmark = pytest.mark.django_db(databases="__all__")
E = EstadoEscrow


@pytest.fixture
def staff(django_user_model):
    account = django_user_model.objects.create_superuser("soporte@example.com", "Clave-Segura-2024")
    browser = Client()
    browser.force_login(account)
    return browser


def test_the_admin_api_lists_trabajos_by_state_for_staff_only(client, django_user_model):
    deal = new_deal(client)
    disputed, paid = trabajo_in(deal, E.EN_DISPUTA), trabajo_in(deal, E.PAGADO_EN_ESCROW)
    admin = admin_session(client, django_user_model)
    everything = client.get("/api/v1/admin/trabajos", headers=admin.headers).json()
    assert {t["id"] for t in everything} == {str(disputed.pk), str(paid.pk)}
    only = client.get("/api/v1/admin/trabajos", {"estado": "EN_DISPUTA"}, headers=admin.headers).json()
    assert [t["id"] for t in only] == [str(disputed.pk)]
    assert client.get("/api/v1/admin/trabajos", {"estado": "NADA"}, headers=admin.headers).status_code == 422
    for who in (deal.cliente, deal.pro.session):
        assert client.get("/api/v1/admin/trabajos", headers=who.headers).status_code == 403
    # staff may read any trabajo
    assert client.get(f"/api/v1/trabajo/{paid.pk}", headers=admin.headers).status_code == 200


def test_admin_pages_show_trabajos_disputes_ofertas_and_reviews_read_only(client, staff):
    deal = new_deal(client)
    offer(client, deal)
    disputed, paid = trabajo_in(deal, E.EN_DISPUTA), trabajo_in(deal, E.PAGADO_EN_ESCROW)
    for path in (
        "/admin/marketplace/trabajo/",
        "/admin/marketplace/oferta/",
        "/admin/marketplace/resena/",
        f"/admin/marketplace/trabajo/{paid.pk}/change/",
    ):
        assert staff.get(path).status_code == 200, path
    queue = staff.get("/admin/marketplace/disputa/").content.decode()
    assert str(disputed.pk) in queue
    assert str(paid.pk) not in queue
    page = staff.get(f"/admin/marketplace/trabajo/{paid.pk}/change/").content.decode()
    assert 'name="_save"' not in page  # nothing to edit by hand
    assert staff.get("/admin/marketplace/trabajo/add/").status_code == 403


def test_staff_resolve_a_dispute_from_the_admin_with_a_split(client, staff):
    deal = new_deal(client)
    disputed = trabajo_in(deal, E.EN_DISPUTA, precio=Decimal("10000.00"), tasa=Decimal("0.200"))
    untouched = trabajo_in(deal, E.ENTREGADO)
    selection = {"action": "resolve_dispute", "_selected_action": [str(disputed.pk), str(untouched.pk)]}
    form = staff.post("/admin/marketplace/trabajo/", selection)
    assert form.status_code == 200
    assert "Reintegro al cliente" in form.content.decode()
    bad = staff.post(
        "/admin/marketplace/trabajo/", {**selection, "apply": "yes", "porcentaje_reembolso": 120, "nota": "x"}
    )
    assert bad.status_code == 200  # the form again, with its error
    assert Trabajo.objects.get(pk=disputed.pk).estado == E.EN_DISPUTA
    done = staff.post(
        "/admin/marketplace/trabajo/",
        {**selection, "apply": "yes", "porcentaje_reembolso": 50, "nota": "Mitad y mitad"},
        follow=True,
    )
    assert done.status_code == 200
    stored = Trabajo.objects.get(pk=disputed.pk)
    assert (stored.estado, stored.monto_reembolsado, stored.monto_liberado) == (
        E.RESUELTO,
        Decimal("5000.00"),
        Decimal("4000.00"),
    )
    assert Trabajo.objects.get(pk=untouched.pk).estado == E.ENTREGADO  # not in dispute: left alone, and said so
    assert "Sin cambios" in done.content.decode()
    assert len(published("marketplace.dispute_resolved.v1", "marketplace")) == 1


def test_staff_cancel_with_refund_from_the_admin(client, staff):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, E.ENTREGADO)
    response = staff.post(
        "/admin/marketplace/trabajo/",
        {"action": "cancel_with_refund", "_selected_action": [str(trabajo.pk)], "apply": "yes", "motivo": "Fraude"},
    )
    assert response.status_code == 302
    stored = Trabajo.objects.get(pk=trabajo.pk)
    assert (stored.estado, stored.cancelado_por, stored.monto_reembolsado) == (
        E.CANCELADO_REEMBOLSADO,
        "STAFF",
        stored.precio_final,
    )
    (event,) = published("marketplace.work_cancelled.v1", "marketplace")
    assert (event["refund"], event["cancelled_by"]) == (True, "STAFF")
