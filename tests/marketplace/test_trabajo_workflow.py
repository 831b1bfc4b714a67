"""The trabajo state machine, row by row: every action from every state by every actor, through the
real routes (people) and the service (the system's actions: payments' events and time)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from conectar.marketplace.contracts import Actor, EstadoEscrow
from conectar.marketplace.models import Message, Trabajo, TrabajoHistory
from conectar.marketplace.services import trabajos
from conectar.marketplace.workflow import TABLE, Action
from tests.marketplace.deals import new_deal, trabajo_in
from tests.marketplace.helpers import JSON
from tests.support.accounts import admin_session
from tests.support.events import published

E = EstadoEscrow
C, P, S, X = Actor.CLIENTE, Actor.PROFESIONAL, Actor.STAFF, Actor.SISTEMA

# DOMAIN.md § Trabajo and escrow, written out independently of marketplace.workflow: every allowed
# (from, action, actor) and where it leads. Everything else must be refused.
EXPECTED = {
    (E.PENDIENTE_PAGO, Action.CONFIRMAR_PAGO, X): E.PAGADO_EN_ESCROW,
    (E.PENDIENTE_PAGO, Action.VENCER_PAGO, X): E.CANCELADO,
    (E.PENDIENTE_PAGO, Action.CANCELAR, C): E.CANCELADO,
    (E.PENDIENTE_PAGO, Action.CANCELAR, P): E.CANCELADO,
    (E.PENDIENTE_PAGO, Action.CANCELAR, S): E.CANCELADO,
    (E.CANCELADO, Action.PAGO_TARDIO, X): E.CANCELADO_REEMBOLSADO,
    (E.PAGADO_EN_ESCROW, Action.ENTREGAR, P): E.ENTREGADO,
    (E.PAGADO_EN_ESCROW, Action.FINALIZAR, C): E.LIBERADO,
    (E.ENTREGADO, Action.FINALIZAR, C): E.LIBERADO,
    (E.ENTREGADO, Action.LIBERAR_AUTOMATICO, X): E.LIBERADO,
    (E.PAGADO_EN_ESCROW, Action.CANCELAR, C): E.CANCELADO_REEMBOLSADO,
    (E.PAGADO_EN_ESCROW, Action.CANCELAR, P): E.CANCELADO_REEMBOLSADO,
    (E.PAGADO_EN_ESCROW, Action.CANCELAR, S): E.CANCELADO_REEMBOLSADO,
    (E.ENTREGADO, Action.CANCELAR, P): E.CANCELADO_REEMBOLSADO,
    (E.ENTREGADO, Action.CANCELAR, S): E.CANCELADO_REEMBOLSADO,
    (E.EN_DISPUTA, Action.CANCELAR, S): E.CANCELADO_REEMBOLSADO,
    (E.PAGADO_EN_ESCROW, Action.ABRIR_DISPUTA, C): E.EN_DISPUTA,
    (E.ENTREGADO, Action.ABRIR_DISPUTA, C): E.EN_DISPUTA,
    (E.PAGADO_EN_ESCROW, Action.CONTRACARGO, X): E.EN_DISPUTA,
    (E.ENTREGADO, Action.CONTRACARGO, X): E.EN_DISPUTA,
    (E.EN_DISPUTA, Action.RESOLVER, S): E.RESUELTO,
    (E.PAGADO_EN_ESCROW, Action.REEMBOLSO_EXTERNO, X): E.CANCELADO_REEMBOLSADO,
    (E.ENTREGADO, Action.REEMBOLSO_EXTERNO, X): E.CANCELADO_REEMBOLSADO,
    (E.EN_DISPUTA, Action.REEMBOLSO_EXTERNO, X): E.CANCELADO_REEMBOLSADO,
}

# How a person asks for each action over HTTP (path template, body).
PERSON_ROUTES = {
    (Action.ENTREGAR, P): ("/api/v1/trabajo/{id}/entregar", None),
    (Action.ENTREGAR, C): ("/api/v1/trabajo/{id}/entregar", None),
    (Action.FINALIZAR, C): ("/api/v1/cliente/trabajo/{id}/finalizar", None),
    (Action.FINALIZAR, P): ("/api/v1/trabajo/{id}/finalizar", None),
    (Action.CANCELAR, C): ("/api/v1/cliente/trabajo/{id}/cancelar", {"motivo": "Ya no lo necesito"}),
    (Action.CANCELAR, P): ("/api/v1/trabajo/{id}/cancelar", {"motivo": "No llego a hacerlo"}),
    (Action.CANCELAR, S): ("/api/v1/admin/trabajo/{id}/cancelar", {"motivo": "Pedido de soporte"}),
    (Action.ABRIR_DISPUTA, C): ("/api/v1/trabajo/{id}/disputa", {"motivo": "El trabajo quedó a medias"}),
    (Action.ABRIR_DISPUTA, P): ("/api/v1/trabajo/{id}/disputa", {"motivo": "El cliente no me deja terminar"}),
    (Action.RESOLVER, S): ("/api/v1/admin/trabajo/{id}/resolver", {"porcentaje_reembolso": 30, "nota": "Mitad hecha"}),
}
SYSTEM_ACTIONS = [
    Action.CONFIRMAR_PAGO,
    Action.VENCER_PAGO,
    Action.LIBERAR_AUTOMATICO,
    Action.CONTRACARGO,
    Action.REEMBOLSO_EXTERNO,
    Action.PAGO_TARDIO,
]


def test_the_workflow_table_is_exactly_the_domain_rules():
    allowed = {(row.source, row.action, actor): row.target for row in TABLE for actor in row.actors}
    assert allowed == EXPECTED


@pytest.mark.django_db(databases="__all__")
def test_every_person_action_from_every_state_moves_or_is_refused_with_the_state_named(client, django_user_model):
    deal = new_deal(client)
    staff = admin_session(client, django_user_model)
    who = {C: deal.cliente, P: deal.pro.session, S: staff}
    checked = 0
    for estado in E:
        for (action, actor), (path, body) in PERSON_ROUTES.items():
            trabajo = trabajo_in(deal, estado)
            response = client.post(
                path.format(id=trabajo.pk), body or {}, content_type=JSON, headers=who[actor].headers
            )
            case = f"{actor} {action} from {estado}"
            target = EXPECTED.get((estado, action, actor))
            if target is not None:
                assert response.status_code == 200, (case, response.content)
                assert Trabajo.objects.get(pk=trabajo.pk).estado == target, case
                assert response.json()["trabajo"]["estado_escrow"] == target, case
                history = TrabajoHistory.objects.get(trabajo=trabajo)
                assert (history.desde, history.hacia, history.actor) == (estado, target, actor), case
                assert Message.objects.filter(chat_id=deal.chat_id, kind="sistema").exists(), case
            elif any(a == action and r == actor for (_, a, r) in EXPECTED):
                assert response.status_code == 400, (case, response.content)
                error = response.json()
                assert error["code"] == "invalid_transition", case
                assert estado.value in error["detail"], case
                assert Trabajo.objects.get(pk=trabajo.pk).estado == estado, case
            else:  # this actor may never do this action
                assert response.status_code == 403, (case, response.content)
                assert Trabajo.objects.get(pk=trabajo.pk).estado == estado, case
            checked += 1
    assert checked == len(E) * len(PERSON_ROUTES)


@pytest.mark.django_db(databases="__all__")
def test_every_system_action_from_every_state_moves_only_where_the_table_says(client):
    deal = new_deal(client)
    for estado in E:
        for action in SYSTEM_ACTIONS:
            trabajo = trabajo_in(deal, estado)
            moved = trabajos.apply_if_allowed(trabajo_id=trabajo.pk, action=action)
            target = EXPECTED.get((estado, action, X))
            assert Trabajo.objects.get(pk=trabajo.pk).estado == (target or estado), (action, estado)
            assert (moved is not None) == (target is not None), (action, estado)


@pytest.mark.django_db(databases="__all__")
def test_another_users_trabajo_is_not_found_for_every_route(client):
    mine, other = new_deal(client), new_deal(client, nombre="Otro")
    trabajo = trabajo_in(mine, E.PAGADO_EN_ESCROW)
    for session in (other.cliente, other.pro.session):
        assert client.get(f"/api/v1/trabajo/{trabajo.pk}", headers=session.headers).status_code == 404
        assert client.get(f"/api/v1/cliente/trabajo/{trabajo.pk}", headers=session.headers).status_code == 404
        for path, body in {p: b for (p, b) in PERSON_ROUTES.values() if "/admin/" not in p}.items():
            response = client.post(path.format(id=trabajo.pk), body or {}, content_type=JSON, headers=session.headers)
            assert response.status_code in {403, 404}, (path, response.content)
    assert Trabajo.objects.get(pk=trabajo.pk).estado == E.PAGADO_EN_ESCROW
    for path, body in PERSON_ROUTES.values():
        if "/admin/" in path:
            response = client.post(path.format(id=trabajo.pk), body, content_type=JSON, headers=mine.cliente.headers)
            assert response.status_code == 403


@pytest.mark.django_db(databases="__all__")
def test_finalizing_freezes_the_split_and_publishes_work_completed(client):
    deal = new_deal(client)
    trabajo = trabajo_in(deal, E.ENTREGADO, precio=Decimal("12345.67"), tasa=Decimal("0.150"))
    response = client.post(f"/api/v1/cliente/trabajo/{trabajo.pk}/finalizar", headers=deal.cliente.headers)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["trabajo"]["comision_plataforma"], body["trabajo"]["monto_liberado"]) == ("1851.85", "10493.82")
    assert body["payout_id"]
    (event,) = published("marketplace.work_completed.v1", "marketplace")
    assert (event["comision_plataforma"], event["monto_liberado"], event["tasa_comision"]) == (
        "1851.85",
        "10493.82",
        "0.150",
    )


@pytest.mark.django_db(databases="__all__")
def test_a_dispute_split_charges_commission_on_the_released_part_only(client, django_user_model):
    deal = new_deal(client)
    staff = admin_session(client, django_user_model)
    trabajo = trabajo_in(deal, E.EN_DISPUTA, precio=Decimal("10000.00"), tasa=Decimal("0.200"))
    response = client.post(
        f"/api/v1/admin/trabajo/{trabajo.pk}/resolver",
        {"porcentaje_reembolso": 30, "nota": "Quedó una parte sin hacer"},
        content_type=JSON,
        headers=staff.headers,
    )
    assert response.status_code == 200, response.content
    body = response.json()["trabajo"]
    assert (body["monto_reembolsado"], body["comision_plataforma"], body["monto_liberado"]) == (
        "3000.00",
        "1400.00",
        "5600.00",
    )
    (event,) = published("marketplace.dispute_resolved.v1", "marketplace")
    assert (event["porcentaje_reembolso"], event["professional_lost"]) == (30, False)


@pytest.mark.django_db(databases="__all__")
def test_bad_input_on_actions_is_422_and_changes_nothing(client, django_user_model):
    deal = new_deal(client)
    staff = admin_session(client, django_user_model)
    trabajo = trabajo_in(deal, E.EN_DISPUTA)
    for body in ({"porcentaje_reembolso": 101, "nota": "x"}, {"porcentaje_reembolso": -1}, {"nota": "sin porcentaje"}):
        response = client.post(
            f"/api/v1/admin/trabajo/{trabajo.pk}/resolver", body, content_type=JSON, headers=staff.headers
        )
        assert response.status_code == 422, body
    paid = trabajo_in(deal, E.PAGADO_EN_ESCROW)
    response = client.post(
        f"/api/v1/trabajo/{paid.pk}/disputa", {"motivo": "corto"}, content_type=JSON, headers=deal.cliente.headers
    )
    assert response.status_code == 422
    assert "motivo" in response.json()["fields"]
    assert Trabajo.objects.get(pk=paid.pk).estado == E.PAGADO_EN_ESCROW
    assert Trabajo.objects.get(pk=trabajo.pk).estado == E.EN_DISPUTA


@pytest.mark.django_db(databases="__all__")
def test_time_moves_unpaid_and_delivered_trabajos(client):
    from datetime import timedelta

    from django.utils import timezone

    deal = new_deal(client)
    unpaid, unpaid_fresh = trabajo_in(deal, E.PENDIENTE_PAGO), trabajo_in(deal, E.PENDIENTE_PAGO)
    Trabajo.objects.filter(pk=unpaid.pk).update(pago_vence_en=timezone.now() - timedelta(minutes=1))
    delivered, delivered_fresh = trabajo_in(deal, E.ENTREGADO), trabajo_in(deal, E.ENTREGADO)
    Trabajo.objects.filter(pk=delivered.pk).update(liberacion_automatica_en=timezone.now() - timedelta(minutes=1))

    assert trabajos.unpaid_expire_due() == 1
    assert trabajos.delivered_release_due() == 1
    states = dict(Trabajo.objects.values_list("pk", "estado"))
    assert states[unpaid.pk] == E.CANCELADO
    assert states[unpaid_fresh.pk] == E.PENDIENTE_PAGO
    assert states[delivered.pk] == E.LIBERADO
    assert states[delivered_fresh.pk] == E.ENTREGADO
    assert TrabajoHistory.objects.get(trabajo_id=delivered.pk).actor == Actor.SISTEMA
    assert trabajos.unpaid_expire_due() == 0  # a second sweep finds nothing more


@pytest.mark.django_db(databases="__all__")
def test_each_side_lists_its_own_trabajos_newest_first(client):
    deal, other = new_deal(client), new_deal(client, nombre="Otro")
    older, newer = trabajo_in(deal, E.PAGADO_EN_ESCROW), trabajo_in(deal, E.LIBERADO)
    trabajo_in(other, E.ENTREGADO)
    mine = client.get("/api/v1/cliente/trabajos", headers=deal.cliente.headers).json()
    assert [t["id"] for t in mine] == [str(newer.pk), str(older.pk)]
    assert mine[0]["acciones_disponibles"] == []  # LIBERADO: nothing left to do
    assert mine[1]["acciones_disponibles"] == ["finalizar", "cancelar", "abrir_disputa"]
    theirs = client.get("/api/v1/professional/trabajos", {"limit": 1}, headers=deal.pro.headers).json()
    assert [t["id"] for t in theirs] == [str(newer.pk)]
    page_two = client.get("/api/v1/professional/trabajos", {"limit": 1, "page": 2}, headers=deal.pro.headers).json()
    assert [t["id"] for t in page_two] == [str(older.pk)]
    # /cliente/* is for any account acting as a client (v1, V1-CONTRACT § 6.9): the professional has none
    assert client.get("/api/v1/cliente/trabajos", headers=deal.pro.headers).json() == []
    assert [t["estado"] for t in mine] == ["LIBERADO", "PAGADO_EN_ESCROW"]  # the frontend's names
    assert client.get("/api/v1/professional/trabajos", headers=deal.cliente.headers).status_code == 403
    assert client.get("/api/v1/cliente/trabajos", {"limit": 51}, headers=deal.cliente.headers).status_code == 422
