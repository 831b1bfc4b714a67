"""Staff review professionals' KYC in Django admin, in a real browser, while the professionals use
the API as the frontend does: log in, the queue, document previews, reject with a reason,
re-submission, approval — and a professional becomes findable only then."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import admin_pages as admin
from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD
from tests.browser.frontend import (
    IMAGE_SIZE,
    make_findable_once_approved,
    register,
    register_professional,
    search_ids,
)
from tests.support.accounts import STRONG_PASSWORD
from tests.support.professionals import oficio
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

MOTIVO = "La foto del frente del DNI está borrosa: subila de nuevo con buena luz."


def notification(pro, template: str) -> dict:
    """The professional's notification of `template`, once the worker has recorded it."""
    return wait_until(
        lambda: next((n for n in pro.notifications() if n["template"] == template), None),
        timeout=20,
        message=f"the {template} notification",
    )


def test_staff_reject_then_approve_a_kyc_and_the_professional_becomes_findable(page, worker, staff, http):
    plomero = str(oficio("Plomero").pk)
    pro = register_professional(http, nombre="Aurora", apellido="Quiroga")
    make_findable_once_approved(pro, oficio_id=plomero)
    first = pro.submit_documents()
    assert (first["estado_verificacion"], first["submission"]) == ("EN_REVISION", 1)
    assert pro.id not in search_ids(http, oficio_id=plomero)

    admin.log_in(page, STAFF_EMAIL, STAFF_PASSWORD)
    page.shot("logged-in")
    admin.open_kyc_queue(page)
    assert admin.queue_names(page) == ["Aurora Quiroga"]
    page.shot("queue")

    # The two photos are shown inline: fetched with the staff session and decoded by the browser.
    documents = admin.open_professional(page, "Aurora Quiroga")
    page.shot("documents")
    assert sorted((r.status, r.headers["content-type"]) for r in documents) == [
        (200, "image/jpeg"),
        (200, "image/png"),
    ]
    assert admin.preview_sizes(page) == [IMAGE_SIZE, IMAGE_SIZE]
    pdf, tab = admin.open_first_pdf(page)
    assert (pdf.status, pdf.headers["content-type"]) == (200, "application/pdf")
    # Chromium's PDF viewer replaces the tab's body; the bytes, fetched again with the staff session:
    assert tab.request.get(pdf.url).body().startswith(b"%PDF-")
    tab.close()

    admin.write_reject_reason(page, MOTIVO)
    page.shot("reject-reason")
    admin.submit_reject(page)
    expect(admin.success_message(page)).to_have_text("Verificación de Aurora Quiroga rechazada.")
    assert admin.queue_names(page) == []  # back on the queue, which is empty now
    page.shot("rejected")
    status = pro.kyc()
    assert (status["estado_verificacion"], status["motivo_rechazo"]) == ("RECHAZADO", MOTIVO)
    assert MOTIVO in notification(pro, "kyc_rechazado")["body"]
    assert pro.id not in search_ids(http, oficio_id=plomero)

    second = pro.submit_documents(text=b"DNI 12345678 (nitido)")
    assert (second["estado_verificacion"], second["submission"], second["motivo_rechazo"]) == ("EN_REVISION", 2, None)
    assert pro.id not in search_ids(http, oficio_id=plomero)

    admin.open_kyc_queue(page)
    assert admin.queue_names(page) == ["Aurora Quiroga"]
    page.shot("queue-again")
    documents = admin.open_professional(page, "Aurora Quiroga")
    assert len(documents) == 4  # both submissions' photos
    assert admin.preview_sizes(page) == [IMAGE_SIZE] * 4
    page.shot("second-submission")
    admin.approve(page)
    expect(admin.success_message(page)).to_have_text("Verificación de Aurora Quiroga aprobada.")
    assert admin.queue_names(page) == []
    page.shot("approved")

    assert pro.kyc()["estado_verificacion"] == "APROBADO"
    notification(pro, "kyc_aprobado")
    assert search_ids(http, oficio_id=plomero) == [pro.id]


def test_staff_reject_several_from_the_queue_with_one_reason(page, worker, staff, http):
    pros = {name: register_professional(http, nombre=name, apellido="Sosa") for name in ("Bruno", "Carla", "Dario")}
    for pro in pros.values():
        pro.submit_documents()

    admin.log_in(page, STAFF_EMAIL, STAFF_PASSWORD)
    admin.open_kyc_queue(page)
    assert admin.queue_names(page) == ["Bruno Sosa", "Carla Sosa", "Dario Sosa"]  # oldest submission first
    listed = admin.run_action_on(page, ["Bruno Sosa", "Carla Sosa"], "reject_kyc")
    assert sorted(listed) == ["Bruno Sosa — EN_REVISION", "Carla Sosa — EN_REVISION"]
    page.shot("reject-reason")
    admin.confirm_action(page, motivo=MOTIVO, submit_label="Rechazar")
    expect(admin.success_message(page)).to_have_text("Se rechazaron 2.")
    assert admin.queue_names(page) == ["Dario Sosa"]
    page.shot("rejected")

    statuses = {name: pro.kyc() for name, pro in pros.items()}
    assert {name: (s["estado_verificacion"], s["motivo_rechazo"]) for name, s in statuses.items()} == {
        "Bruno": ("RECHAZADO", MOTIVO),
        "Carla": ("RECHAZADO", MOTIVO),
        "Dario": ("EN_REVISION", None),
    }
    for name in ("Bruno", "Carla"):
        assert MOTIVO in notification(pros[name], "kyc_rechazado")["body"]


def test_the_admin_login_form_lets_only_staff_in(page, staff, http):
    """A wrong password, and a professional's own valid credentials, both stay on the login form."""
    pro_email = register(http, nombre="Elena", apellido="Paz", rol="PROFESIONAL")
    for email, password in ((STAFF_EMAIL, "no-es-la-clave"), (pro_email, STRONG_PASSWORD)):
        page.goto("/admin/professionals/professional/")
        admin.submit_login(page, email, password)
        expect(admin.login_error(page)).to_contain_text("cuenta de staff")
        assert "/admin/login/" in page.url
    page.shot("refused")

    admin.log_in(page, STAFF_EMAIL, STAFF_PASSWORD)
    admin.open_kyc_queue(page)
    page.shot("queue")
