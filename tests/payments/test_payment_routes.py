"""Reading payments over HTTP (status, history) and the staff views of the ledger in Django admin."""

import uuid

import pytest
from django.test import Client

from conectar.payments.models import LedgerTransaction, PaymentAlert
from tests.payments.helpers import (
    apply_mercadopago,
    cancelled,
    emit,
    new_checkout,
    paid_trabajo,
    sandbox_pay,
    webhooks_nowhere,  # noqa: F401 - autouse fixture
)
from tests.support.accounts import admin_session, signed_up

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def people(client, django_user_model):
    return {
        "cliente": signed_up(client),
        "profesional": signed_up(client, rol="PROFESIONAL"),
        "otro": signed_up(client),
        "admin": admin_session(client, django_user_model),
    }


def test_a_payment_is_shown_to_its_client_its_professional_and_staff_only(client, mp_sandbox, people):
    trabajo = paid_trabajo(
        mp_sandbox, cliente_id=people["cliente"].user_id, profesional_id=people["profesional"].user_id
    )
    emit(cancelled(trabajo, refund=True))
    url = f"/api/v1/payment/status/{trabajo.checkout.payment_id}"

    for who in ("cliente", "profesional", "admin"):
        response = client.get(url, headers=people[who].headers)
        assert response.status_code == 200, (who, response.content)
    body = response.json()
    assert body["payment_id"] == str(trabajo.checkout.payment_id)
    assert body["trabajo_id"] == str(trabajo.id)
    assert (body["amount"], body["status"], body["escrow_balance"]) == ("10000.00", "approved", "0.00")
    assert body["mercadopago_payment_id"] == trabajo.mp_payment_id
    assert [(r["amount"], r["status"], r["initiated_by"]) for r in body["refunds"]] == [
        ("10000.00", "requested", "marketplace")
    ]
    assert body["payout"] is None

    stranger = client.get(url, headers=people["otro"].headers)
    assert (stranger.status_code, stranger.json()["code"]) == (404, "not_found")
    assert client.get(f"/api/v1/payment/status/{uuid.uuid4()}", headers=people["admin"].headers).status_code == 404
    assert client.get("/api/v1/payment/status/not-a-uuid", headers=people["admin"].headers).status_code == 422
    assert client.get(url).status_code == 401


def test_history_lists_my_payments_as_client_or_professional_newest_first(client, mp_sandbox, people):
    cliente, profesional = people["cliente"], people["profesional"]
    older = new_checkout(cliente_id=cliente.user_id, profesional_id=profesional.user_id)
    newer = paid_trabajo(mp_sandbox, cliente_id=cliente.user_id)
    new_checkout()  # someone else's

    mine = client.get(f"/api/v1/payment/history/{cliente.user_id}", headers=cliente.headers)
    as_pro = client.get(f"/api/v1/payment/history/{profesional.user_id}", headers=profesional.headers)
    page = client.get(f"/api/v1/payment/history/{cliente.user_id}?limit=1&page=2", headers=cliente.headers)

    assert mine.status_code == 200
    assert [p["trabajo_id"] for p in mine.json()] == [str(newer.id), str(older.id)]
    assert [p["trabajo_id"] for p in as_pro.json()] == [str(older.id)]
    assert [p["trabajo_id"] for p in page.json()] == [str(older.id)]
    assert client.get(f"/api/v1/payment/history/{cliente.user_id}", headers=people["admin"].headers).status_code == 200
    assert client.get(f"/api/v1/payment/history/{cliente.user_id}", headers=people["otro"].headers).status_code == 404
    too_many = client.get(f"/api/v1/payment/history/{cliente.user_id}?limit=500", headers=cliente.headers)
    assert too_many.status_code == 422


def test_the_ledger_is_read_only_in_django_admin(mp_sandbox, django_user_model):
    trabajo = paid_trabajo(mp_sandbox)
    txn = LedgerTransaction.objects.get(trabajo_id=trabajo.id)
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("contadora@example.com", "Clave-Segura-2024"))

    listing = staff.get("/admin/payments/ledgertransaction/")
    detail = staff.get(f"/admin/payments/ledgertransaction/{txn.pk}/change/")

    assert listing.status_code == 200
    assert str(trabajo.id) in listing.content.decode()
    assert detail.status_code == 200
    assert "10000" in detail.content.decode()
    assert staff.get("/admin/payments/ledgertransaction/add/").status_code == 403
    assert staff.post(f"/admin/payments/ledgertransaction/{txn.pk}/delete/", {"post": "yes"}).status_code == 403
    assert staff.post(f"/admin/payments/ledgertransaction/{txn.pk}/change/", {"memo": "x"}).status_code == 403
    assert staff.get("/admin/payments/ledgeraccount/").status_code == 200
    assert staff.get("/admin/payments/payment/").status_code == 200
    assert staff.get("/admin/payments/refund/").status_code == 200
    assert staff.get("/admin/payments/paymentalert/").status_code == 200
    assert staff.get("/admin/payments/webhooknotification/").status_code == 200
    assert LedgerTransaction.objects.get(pk=txn.pk).memo == txn.memo


def test_staff_see_alerts_and_acknowledge_them(mp_sandbox, django_user_model):
    trabajo = new_checkout()
    apply_mercadopago(sandbox_pay(mp_sandbox, trabajo, amount="1.00"))  # an approval for another amount
    alert = PaymentAlert.objects.get(trabajo_id=trabajo.id)
    account = django_user_model.objects.create_superuser("guardia@example.com", "Clave-Segura-2024")
    staff = Client()
    staff.force_login(account)

    listing = staff.get("/admin/payments/paymentalert/")
    resolved = staff.post("/admin/payments/paymentalert/", {"action": "resolve", "_selected_action": [alert.pk]})

    assert "monto distinto" in listing.content.decode()
    assert resolved.status_code == 302
    alert.refresh_from_db()
    assert (alert.resolved_by, alert.resolved_at is not None) == (account.pk, True)
