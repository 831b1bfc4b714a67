"""Where API.md names a seed path and a v1 path (the Next.js frontend's) for one action, both
answer the same on the running system. The path tests use the v1 paths; this checks their twins."""

from __future__ import annotations

import pytest

from tests.e2e import journey

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]

TUCUMAN = (-26.8083, -65.2176)
DESCRIPCION = "Instalación de termotanque a gas"


def without_moments(body: dict) -> dict:
    """A body minus what changes with every request (timestamps, short-lived signed links)."""
    return {k: v for k, v in body.items() if not k.startswith(("fecha_actualizacion", "updated_at"))}


def same_answer(*responses) -> dict:
    bodies = [journey.expect(r) for r in responses]
    assert all(b == bodies[0] for b in bodies), bodies
    return bodies[0]


def assert_my_chats_is_v1s(person, listed: list[dict]) -> None:
    """v1's path answers `{chats, total_unread}` (V1-CONTRACT § 3.11 R58): the seed list's chats with
    the last message's text as `last_message` and its object as `last_message_detail`."""
    mine = journey.expect(person.get("/chat/my-chats"))
    assert [(c["id"], c["last_message"], c["last_message_detail"]) for c in mine["chats"]] == [
        (c["id"], c["last_message"]["text"], c["last_message"]) for c in listed
    ]
    assert mine["total_unread"] == sum(c["unread_count"] for c in listed)


def test_seed_and_v1_paths_answer_the_same(e2e, api, staff):
    cliente = journey.register(api, rol="CLIENTE", nombre="Sofia", apellido="Paz")
    pro = journey.register(api, rol="PROFESIONAL", nombre="Diego", apellido="Ruiz")
    journey.become_professional(
        pro, at=TUCUMAN, radio_km=20, tarifa="7000.00", oficios=["Gasista matriculado"], payout_account="diego.ruiz.mp"
    )

    # The professional's profile and its settings.
    same_answer(pro.get("/professional/profile"), pro.get("/professional/me"))
    oficios = {"oficio_ids": [journey.oficio_id(api, "Gasista matriculado"), journey.oficio_id(api, "Plomero")]}
    profile = same_answer(
        pro.post("/professional/oficios", json=oficios),
        pro.put("/professional/oficios", json=oficios),
    )
    # v1's path answers the new set itself (V1-CONTRACT § 3.5 R14), the seed paths the profile
    assert journey.expect(pro.put("/professional/profile/oficios", json=oficios)) == profile["oficios"]
    where = {"latitude": TUCUMAN[0], "longitude": TUCUMAN[1]}
    same_answer(
        pro.post("/professional/location", json=where),
        pro.put("/professional/location", json=where),
        pro.post("/professional/profile/location", json=where),
        pro.put("/professional/profile/location", json=where),
    )

    # KYC: seed `submit`, then v1 `upload` (a new round of documents), both → EN_REVISION.
    files = [("files", ("dni.pdf", journey.pdf_bytes(), "application/pdf"))]
    first = journey.expect(pro.post("/professional/kyc/submit", files=files))
    second = journey.expect(pro.post("/professional/kyc/upload", files=files))
    assert (first["estado_verificacion"], second["estado_verificacion"]) == ("EN_REVISION", "EN_REVISION")
    assert second["submission"] == first["submission"] + 1
    journey.approve_kyc(staff, pro, documents=1)

    # Chat: the chat list and sending.
    chat_id = journey.open_chat(cliente, pro)
    by_seed = journey.expect(cliente.post(f"/chat/{chat_id}/message", json={"text": "¿Cuándo podés venir?"}), 201)
    by_v1 = journey.send_message(cliente, chat_id, "¿Y cuánto sale?")
    assert set(by_seed) == set(by_v1)
    listed = journey.expect(cliente.get("/chat/list"))
    assert [(c["id"], c["last_message"]["id"]) for c in listed] == [(chat_id, by_v1["id"])]
    assert_my_chats_is_v1s(cliente, listed)

    # Ofertas: made, listed, rejected and accepted on either path.
    body = {"cliente_id": cliente.user_id, "chat_id": chat_id, "descripcion": DESCRIPCION, "precio_final": "30000.00"}
    made = [
        journey.expect(pro.post(path, json=body), 201)
        for path in ("/offers/create", "/professional/ofertas", "/offers/create", "/professional/ofertas")
    ]
    assert {o["estado"] for o in made} == {"OFERTADO"}
    same_answer(pro.get("/offers"), pro.get("/professional/ofertas"))
    same_answer(cliente.get("/offers"), cliente.get("/cliente/ofertas"))
    rejected = [
        journey.expect(cliente.post(f"/offers/{made[0]['id']}/reject")),
        journey.expect(cliente.post(f"/cliente/ofertas/{made[1]['id']}/reject")),
    ]
    assert [r["estado"] for r in rejected] == ["RECHAZADO", "RECHAZADO"]
    accepted = [
        journey.expect(cliente.post(f"/offers/{made[2]['id']}/accept")),
        journey.expect(cliente.post(f"/cliente/ofertas/{made[3]['id']}/accept")),
    ]
    assert set(accepted[0]) == set(accepted[1])
    assert all(a["payment_url"].startswith(e2e.sandbox_url) for a in accepted)
    twice = [cliente.post(f"/offers/{made[2]['id']}/accept"), cliente.post(f"/cliente/ofertas/{made[2]['id']}/accept")]
    assert [r.status_code for r in twice] == [400, 400]
    assert twice[0].json() == twice[1].json()

    # Trabajos: read, and cancelled unpaid on either path (nothing to refund).
    trabajo_ids = [a["trabajo_id"] for a in accepted]
    for trabajo_id in trabajo_ids:
        seed, v1 = cliente.get(f"/trabajo/{trabajo_id}"), cliente.get(f"/cliente/trabajo/{trabajo_id}")
        assert without_moments(journey.expect(seed)) == without_moments(journey.expect(v1))
    cancelled = [
        journey.expect(cliente.post(f"/trabajo/{trabajo_ids[0]}/cancelar", json={"motivo": "Me arrepentí"})),
        journey.expect(cliente.post(f"/cliente/trabajo/{trabajo_ids[1]}/cancelar", json={"motivo": "Me arrepentí"})),
    ]
    assert [(c["trabajo"]["estado_escrow"], c["refund_id"]) for c in cancelled] == [("CANCELADO", None)] * 2
    # What a closed trabajo refuses, it refuses alike on both paths.
    for action in ("finalizar", "resena"):
        body = {"rating": 5} if action == "resena" else None
        seed = cliente.post(f"/trabajo/{trabajo_ids[0]}/{action}", json=body)
        v1 = cliente.post(f"/cliente/trabajo/{trabajo_ids[0]}/{action}", json=body)
        assert seed.status_code == v1.status_code >= 400
        assert seed.json() == v1.json()

    # The password: seed PATCH /users/me/password and v1 POST /users/me/change-password.
    changed = journey.expect(
        cliente.call(
            "PATCH",
            "/users/me/password",
            json={"current_password": journey.PASSWORD, "new_password": "Canilla-Nueva-2025"},
        )
    )
    cliente.access = changed["access_token"]
    back = journey.expect(
        cliente.post(
            "/users/me/change-password",
            json={"current_password": "Canilla-Nueva-2025", "new_password": journey.PASSWORD},
        )
    )
    assert set(changed) == set(back)
    assert journey.login(api, cliente.email)
