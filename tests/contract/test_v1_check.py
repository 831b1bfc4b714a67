"""The contract table and its checker themselves: every v1 route has one row, and the checker
catches a key that disappears, changes type, carries the wrong kind of id or leaves its enum."""

from __future__ import annotations

import uuid
from collections import Counter

from tests.contract.v1_check import Ids, check
from tests.contract.v1_table import OFERTA, ROUTES, TRABAJO

USER, PRO, OTHER = (str(uuid.uuid4()) for _ in range(3))


def ids() -> Ids:
    known = Ids()
    known.users.add(USER)
    known.professionals.add(PRO)
    return known


def oferta(**changes) -> dict:
    body = {
        "id": OTHER,
        "profesional_id": USER,
        "cliente_id": USER,
        "chat_id": OTHER,
        "descripcion": "Cambio de canilla",
        "precio_final": "1500.00",
        "estado": "OFERTADO",
        "fecha_creacion": "2025-10-24T12:00:00.123456Z",
        "fecha_actualizacion": "2025-10-24T12:00:00+00:00",
        "extra_of_this_project": {"anything": 1},
    }
    return {**body, **changes}


def test_one_row_per_v1_route_with_its_number():
    assert [r["n"] for r in ROUTES] == list(range(1, 64))
    assert not [k for k, n in Counter((r["method"], r["path"]) for r in ROUTES).items() if n > 1]
    assert {r["status"] for r in ROUTES} == {200, 201, 204}


def test_a_v1_body_with_extra_keys_passes():
    assert check(OFERTA, oferta(), ids()) == []
    assert check([OFERTA], [oferta(), oferta()], ids()) == []


def test_a_missing_key_a_retyped_key_and_a_wrong_scale_fail():
    body = oferta(precio_final=1500)
    del body["descripcion"]
    assert check(OFERTA, body, ids()) == [
        "descripcion: missing",
        "precio_final: wrong type (dec2), got number",
    ]
    assert check(OFERTA, oferta(precio_final="0.200"), ids()) == [
        "precio_final: wrong type (dec2), got the string '0.200'"
    ]
    assert check(OFERTA, oferta(fecha_creacion="ayer"), ids()) == [
        "fecha_creacion: wrong type (datetime), got a string"
    ]


def test_enum_values_and_nulls():
    [problem] = check(OFERTA, oferta(estado="OFERTADA"), ids())
    assert problem.startswith("estado: 'OFERTADA' is not one of ['OFERTADO', 'ACEPTADO', 'RECHAZADO', 'RETIRADO',")
    assert check(OFERTA, oferta(descripcion=None), ids()) == ["descripcion: null, expected string"]
    trabajo = dict.fromkeys(TRABAJO)
    assert "comision_plataforma: null, expected dec2" not in check(TRABAJO, trabajo, ids())
    assert "precio_final: null, expected dec2" in check(TRABAJO, trabajo, ids())


def test_which_id_is_which():
    assert check(OFERTA, oferta(profesional_id=PRO), ids()) == [
        "profesional_id: not a user id (a professional id) (id:user), got a uuid string"
    ]
    assert check({"id": "id:professional"}, {"id": USER}, ids()) == [
        "id: not a professional id (a user id) (id:professional), got a uuid string"
    ]


def test_arrays_and_numbers():
    assert check([OFERTA], [], ids()) == ["body: empty array (items not checked)"]
    assert check({"rating": "number"}, {"rating": "4.50"}, ids()) == [
        "rating: wrong type (number), got a numeric string"
    ]
    assert check({"n": "integer"}, {"n": True}, ids()) == ["n: wrong type (integer), got boolean"]
    assert check({"u": "url"}, {"u": "/media/a.png"}, ids()) == ["u: wrong type (url), got a relative path"]
