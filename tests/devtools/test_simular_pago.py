"""The staff's `simular-pago` (API.md), served by the development tools: the sandbox approves the
trabajo's checkout as its payer would and sends MercadoPago's webhook; not found wherever MercadoPago
is not the local sandbox."""

from __future__ import annotations

import uuid

import pytest

from conectar.devtools.simulated_payment import simulate_payment
from conectar.shared.errors import Conflict, NotFound
from tests.marketplace.deals import new_deal, offer
from tests.support.accounts import admin_session
from tests.support.network import unused_port

pytestmark = pytest.mark.django_db(databases="__all__")

NOWHERE = "http://127.0.0.1:9"  # the discard port: the sandbox's webhook is refused at once


@pytest.fixture
def pending(client, mp_sandbox, settings):
    """A trabajo waiting for its payment, made through the routes (accepting an oferta)."""
    settings.PUBLIC_API_URL = NOWHERE
    deal = new_deal(client)
    oferta_id = offer(client, deal).json()["id"]
    accepted = client.post(f"/api/v1/cliente/ofertas/{oferta_id}/accept", headers=deal.cliente.headers)
    assert accepted.status_code == 200, accepted.content
    deal.trabajo_id = accepted.json()["trabajo_id"]
    deal.preference_id = accepted.json()["payment_preference_id"]
    return deal


def path(trabajo_id) -> str:
    return f"/api/v1/admin/trabajo/{trabajo_id}/simular-pago"


def test_staff_pay_in_the_sandbox_and_get_the_trabajo_back(client, django_user_model, mp_sandbox, pending):
    admin = admin_session(client, django_user_model)

    response = client.post(path(pending.trabajo_id), headers=admin.headers)

    assert response.status_code == 200, response.content
    body = response.json()
    seen = client.get(f"/api/v1/trabajo/{pending.trabajo_id}", headers=admin.headers).json()
    assert body == {**seen, "trabajo_id": pending.trabajo_id, "mensaje": body["mensaje"]}  # v1's TrabajoRead
    assert body["estado_escrow"] == "PENDIENTE_PAGO"  # the confirmation comes with the webhook
    [paid] = mp_sandbox.payments(external_reference=pending.trabajo_id)
    assert (paid["status"], paid["preference_id"]) == ("approved", pending.preference_id)
    mp_sandbox.wait_for_webhooks(payment_id=str(paid["id"]))


def test_only_staff_and_only_existing_trabajos(client, django_user_model, mp_sandbox, pending):
    assert client.post(path(pending.trabajo_id), headers=pending.cliente.headers).status_code == 403
    admin = admin_session(client, django_user_model)
    assert client.post(path(uuid.uuid4()), headers=admin.headers).status_code == 404
    assert mp_sandbox.payments() == []


def test_not_found_unless_the_provider_is_the_sandbox(client, django_user_model, mp_sandbox, pending, settings):
    settings.MERCADOPAGO_SANDBOX = False
    admin = admin_session(client, django_user_model)

    assert client.post(path(pending.trabajo_id), headers=admin.headers).status_code == 404
    with pytest.raises(NotFound):
        simulate_payment(trabajo_id=uuid.UUID(pending.trabajo_id))
    assert mp_sandbox.payments() == []


def test_a_sandbox_out_of_reach_is_a_conflict_not_a_server_error(pending, settings):
    settings.MERCADOPAGO_BASE_URL = f"http://127.0.0.1:{unused_port()}"
    with pytest.raises(Conflict) as refused:
        simulate_payment(trabajo_id=uuid.UUID(pending.trabajo_id))
    assert refused.value.code == "sandbox_refused"
