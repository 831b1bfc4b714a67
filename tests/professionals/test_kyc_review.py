"""Staff review of KYC: the admin API and the Django admin (queue, previews, single and bulk
decisions)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from conectar.professionals.models import KycDecision, Professional
from conectar.professionals.services import kyc
from tests.professionals.test_kyc_uploads import fetch, submit
from tests.support.accounts import admin_session, signed_up
from tests.support.events import published
from tests.support.professionals import BUENOS_AIRES, new_professional

pytestmark = pytest.mark.django_db(databases="__all__")

APPROVED = "professionals.kyc_approved.v1"
REJECTED = "professionals.kyc_rejected.v1"
FINDABLE = "professionals.professional_approved.v1"
QUEUE = "/api/v1/admin/kyc/pendientes"
CHANGELIST = "/admin/professionals/professional/"


@pytest.fixture
def admin(client, django_user_model):
    return admin_session(client, django_user_model)


@pytest.fixture
def staff(django_user_model):
    """A staff member's browser, logged into the Django admin."""
    account = django_user_model.objects.create_superuser("revisora@example.com", "Clave-Segura-2024")
    browser = Client()
    browser.force_login(account)
    browser.account = account
    return browser


def locate(client, pro, at=BUENOS_AIRES) -> None:
    response = client.put(
        "/api/v1/professional/location",
        {"latitude": at[0], "longitude": at[1]},
        content_type="application/json",
        headers=pro.headers,
    )
    if response.status_code != 200:  # the profile routes are not there: set it as they would
        Professional.objects.filter(pk=pro.id).update(location=Point(at[1], at[0], srid=4326))


def in_review(client, nombre="Pedro", apellido="Gómez"):
    pro = new_professional(client, nombre=nombre, apellido=apellido)
    submit(client, pro)
    return pro


# --- admin API --------------------------------------------------------------------------------------


def test_the_queue_lists_professionals_in_review_oldest_first(client, admin):
    first = in_review(client, nombre="Primera")
    second = in_review(client, nombre="Segunda")
    new_professional(client, nombre="SinDocumentos")
    response = client.get(QUEUE, headers=admin.headers)
    assert response.status_code == 200
    queue = response.json()
    assert [p["professional_id"] for p in queue] == [first.id, second.id]
    assert [p["id"] for p in queue] == [first.id, second.id]  # API.md's name for the profile id
    assert [p["nombre"] for p in queue] == ["Primera", "Segunda"]
    entry = queue[0]
    assert entry["estado_verificacion"] == "EN_REVISION"
    assert len(entry["documentos"]) == 3
    document = entry["documentos"][0]
    assert fetch(client, document["url"], headers=admin.headers)[0].status_code == 200
    assert "/media/" not in response.content.decode()
    assert [
        p["professional_id"] for p in client.get(QUEUE, {"limit": 1, "offset": 1}, headers=admin.headers).json()
    ] == [second.id]


def test_approving_publishes_records_history_and_makes_a_located_professional_findable(client, admin):
    pro = in_review(client)
    locate(client, pro)
    response = client.post(f"/api/v1/admin/kyc/approve/{pro.id}", headers=admin.headers)
    assert response.status_code == 200, response.content
    assert response.json()["estado_verificacion"] == "APROBADO"
    assert pro.refresh().estado_verificacion == "APROBADO"
    decision = KycDecision.objects.filter(professional_id=pro.id).first()  # newest first
    assert (decision.estado, str(decision.decided_by)) == ("APROBADO", admin.user_id)
    [event] = published(APPROVED, "professionals")
    assert (event["professional_id"], event["decided_by"]) == (pro.id, admin.user_id)
    assert [e["professional_id"] for e in published(FINDABLE, "professionals")] == [pro.id]
    assert client.get(QUEUE, headers=admin.headers).json() == []


def test_approving_a_professional_without_location_is_not_yet_findable(client, admin):
    pro = in_review(client)
    assert client.post(f"/api/v1/admin/kyc/approve/{pro.id}", headers=admin.headers).status_code == 200
    assert len(published(APPROVED, "professionals")) == 1
    assert published(FINDABLE, "professionals") == []


def test_rejecting_needs_a_reason_the_professional_then_reads(client, admin):
    pro = in_review(client)
    path = f"/api/v1/admin/kyc/reject/{pro.id}"
    too_short = client.post(path, {"motivo": "no"}, content_type="application/json", headers=admin.headers)
    assert too_short.status_code == 422
    assert "motivo" in too_short.json()["fields"]
    blank = client.post(path, {"motivo": "  "}, content_type="application/json", headers=admin.headers)
    assert blank.status_code == 422

    motivo = "El dorso del DNI no se lee."
    response = client.post(path, {"motivo": motivo}, content_type="application/json", headers=admin.headers)
    assert response.status_code == 200
    assert (response.json()["estado_verificacion"], response.json()["motivo_rechazo"]) == ("RECHAZADO", motivo)
    [event] = published(REJECTED, "professionals")
    assert (event["professional_id"], event["motivo"]) == (pro.id, motivo)
    status = client.get("/api/v1/professional/kyc", headers=pro.headers).json()
    assert (status["estado_verificacion"], status["motivo_rechazo"]) == ("RECHAZADO", motivo)

    assert submit(client, pro)["estado_verificacion"] == "EN_REVISION"  # documents again → review again


def test_a_reject_with_no_body_as_v1_sends_it_gives_the_default_reason(client, admin):
    pro = in_review(client)
    response = client.generic("POST", f"/api/v1/admin/kyc/reject/{pro.id}", headers=admin.headers)  # no body
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["profesional_id"], body["estado_verificacion"]) == ("rechazado", pro.id, "RECHAZADO")
    assert body["motivo_rechazo"] == kyc.DEFAULT_MOTIVO


def test_only_a_professional_in_review_can_be_decided(client, admin):
    pending = new_professional(client)
    for path in (f"/api/v1/admin/kyc/approve/{pending.id}", f"/api/v1/admin/kyc/reject/{pending.id}"):
        response = client.post(
            path, {"motivo": "Falta la selfie."}, content_type="application/json", headers=admin.headers
        )
        assert response.status_code == 400
        assert response.json()["code"] == "kyc_invalid_state"
    pro = in_review(client)
    assert client.post(f"/api/v1/admin/kyc/approve/{pro.id}", headers=admin.headers).status_code == 200
    assert client.post(f"/api/v1/admin/kyc/approve/{pro.id}", headers=admin.headers).status_code == 400
    missing = "00000000-0000-0000-0000-000000000042"
    assert client.post(f"/api/v1/admin/kyc/approve/{missing}", headers=admin.headers).status_code == 404
    assert pending.refresh().estado_verificacion == "PENDIENTE"
    assert len(published(APPROVED, "professionals")) == 1


def test_the_admin_api_is_staff_only(client):
    pro = in_review(client)
    cliente = signed_up(client)
    for who in (pro, cliente):
        assert client.get(QUEUE, headers=who.headers).status_code == 403
        assert client.post(f"/api/v1/admin/kyc/approve/{pro.id}", headers=who.headers).status_code == 403
        response = client.post(
            f"/api/v1/admin/kyc/reject/{pro.id}",
            {"motivo": "Sin motivo real."},
            content_type="application/json",
            headers=who.headers,
        )
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
    assert client.get(QUEUE).status_code == 401
    assert pro.refresh().estado_verificacion == "EN_REVISION"
    assert published(APPROVED, "professionals") == published(REJECTED, "professionals") == []


# --- Django admin -----------------------------------------------------------------------------------


def change_page(pro) -> str:
    return f"{CHANGELIST}{pro.id}/change/"


def test_the_admin_opens_on_the_review_queue(client, staff):
    first = in_review(client, nombre="Aurora", apellido="Paz")
    second = in_review(client, nombre="Bruno", apellido="Sosa")
    new_professional(client, nombre="Ceferino", apellido="Ruiz")  # no documents yet
    approved = in_review(client, nombre="Dalma", apellido="Vera")
    kyc.kyc_approve(professional_id=approved.id, by=None)

    page = staff.get(CHANGELIST)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Aurora Paz" in html
    assert "Bruno Sosa" in html
    assert "Ceferino" not in html
    assert "Dalma" not in html
    assert html.index("Aurora Paz") < html.index("Bruno Sosa")  # oldest submission first
    assert first.id in html
    assert second.id in html

    everyone = staff.get(CHANGELIST, {"kyc": "todos"}).content.decode()
    assert all(name in everyone for name in ("Aurora", "Bruno", "Ceferino", "Dalma"))


def test_the_professional_page_previews_the_documents_and_shows_the_history(client, staff):
    pro = in_review(client, nombre="Aurora", apellido="Paz")
    page = staff.get(change_page(pro))
    assert page.status_code == 200
    html = page.content.decode()
    route = "/api/v1/professional/kyc/documents/"
    images = [unescape(src) for src in re.findall(r'<img src="([^"]+)"', html) if route in src]
    document_links = [unescape(href) for href in re.findall(r'<a href="([^"]+)"[^>]*>Abrir PDF', html)]
    assert len(images) == 2  # the JPEG and the PNG
    assert len(document_links) == 1  # the PDF
    for url in [*images, *document_links]:
        assert url.startswith(route)
        response, content = fetch(staff, url)  # the staff session loads the previews
        assert response.status_code == 200
        assert content
    assert "/media/" not in html
    assert "Historial de verificación" in html
    assert "EN_REVISION" in html
    assert 'id="kyc-approve-form"' in html
    assert 'id="kyc-reject-form"' in html
    # Staff decide from the documents: they come right under the decision panel, before the record,
    # and only once.
    panel, documents, record = (
        html.index(mark) for mark in ('id="kyc-decision"', "Documentos de identidad", "Persona")
    )
    assert panel < documents < record
    assert html.count("Documentos de identidad") == 1


def test_the_approve_button_approves_through_the_service(client, staff):
    pro = in_review(client)
    locate(client, pro)
    response = staff.post(f"{CHANGELIST}{pro.id}/kyc/aprobar/")
    assert response.status_code == 302
    assert pro.refresh().estado_verificacion == "APROBADO"
    decision = KycDecision.objects.filter(professional_id=pro.id).first()
    assert (decision.estado, decision.decided_by) == ("APROBADO", staff.account.pk)
    [event] = published(APPROVED, "professionals")
    assert event["decided_by"] == str(staff.account.pk)
    assert len(published(FINDABLE, "professionals")) == 1
    history = staff.get(change_page(pro)).content.decode()
    assert staff.account.email in history  # who decided, in the history
    assert 'id="kyc-approve-form"' not in history  # decided: no buttons any more


def test_the_reject_button_needs_a_reason(client, staff):
    pro = in_review(client)
    staff.post(f"{CHANGELIST}{pro.id}/kyc/rechazar/", {"motivo": "no"})
    assert pro.refresh().estado_verificacion == "EN_REVISION"
    staff.post(f"{CHANGELIST}{pro.id}/kyc/rechazar/", {"motivo": "La selfie no muestra la cara."})
    professional = pro.refresh()
    assert (professional.estado_verificacion, professional.kyc_motivo_rechazo) == (
        "RECHAZADO",
        "La selfie no muestra la cara.",
    )
    assert [e["motivo"] for e in published(REJECTED, "professionals")] == ["La selfie no muestra la cara."]
    assert staff.get(f"{CHANGELIST}{pro.id}/kyc/aprobar/").status_code == 405


def test_bulk_approve_approves_every_selected_professional_in_review(client, staff):
    pros = [in_review(client, nombre=f"Pro{n}") for n in range(2)]
    response = staff.post(CHANGELIST, {"action": "approve_kyc", "_selected_action": [p.id for p in pros]})
    assert response.status_code == 302
    assert [p.refresh().estado_verificacion for p in pros] == ["APROBADO", "APROBADO"]
    assert sorted(e["professional_id"] for e in published(APPROVED, "professionals")) == sorted(p.id for p in pros)
    assert KycDecision.objects.filter(estado="APROBADO", decided_by=staff.account.pk).count() == 2


def test_bulk_reject_asks_for_the_reason_then_rejects_all_selected(client, staff):
    pros = [in_review(client, nombre=f"Pro{n}") for n in range(3)]
    selected = [p.id for p in pros[:2]]
    form = staff.post(CHANGELIST, {"action": "reject_kyc", "_selected_action": selected})
    assert form.status_code == 200  # the intermediate page
    html = form.content.decode()
    assert 'name="motivo"' in html
    assert all(pk in html for pk in selected)
    assert [p.refresh().estado_verificacion for p in pros] == ["EN_REVISION"] * 3

    short = staff.post(
        CHANGELIST, {"action": "reject_kyc", "_selected_action": selected, "apply": "yes", "motivo": "x"}
    )
    assert short.status_code == 200  # asked again
    assert [p.refresh().estado_verificacion for p in pros] == ["EN_REVISION"] * 3

    motivo = "Los documentos están vencidos."
    done = staff.post(
        CHANGELIST, {"action": "reject_kyc", "_selected_action": selected, "apply": "yes", "motivo": motivo}
    )
    assert done.status_code == 302
    assert [p.refresh().estado_verificacion for p in pros] == ["RECHAZADO", "RECHAZADO", "EN_REVISION"]
    assert all(p.refresh().kyc_motivo_rechazo == motivo for p in pros[:2])
    assert sorted(e["professional_id"] for e in published(REJECTED, "professionals")) == sorted(selected)


def test_the_admin_is_staff_only(client, django_user_model):
    pro = in_review(client)
    someone = signed_up(client, rol="PROFESIONAL")
    browser = Client()
    browser.force_login(django_user_model.objects.get(pk=someone.user_id))
    for url in (CHANGELIST, change_page(pro)):
        response = browser.get(url)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
    for data_url, data in (
        (f"{CHANGELIST}{pro.id}/kyc/aprobar/", {}),
        (CHANGELIST, {"action": "approve_kyc", "_selected_action": [pro.id]}),
    ):
        assert browser.post(data_url, data).status_code == 302
    assert Client().post(f"{CHANGELIST}{pro.id}/kyc/aprobar/").status_code == 302  # anonymous
    assert pro.refresh().estado_verificacion == "EN_REVISION"
    assert published(APPROVED, "professionals") == []


def test_catalogue_and_professionals_are_registered(staff):
    assert staff.get("/admin/professionals/oficio/").status_code == 200
    assert "Plomero" in staff.get("/admin/professionals/oficio/").content.decode()
    assert staff.get("/admin/professionals/oficio/add/").status_code == 200
    assert staff.get(CHANGELIST, {"kyc": "todos"}).status_code == 200
