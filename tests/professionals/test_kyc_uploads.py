"""The professional's side of KYC: uploading documents, reading the status, and fetching the
private documents through their signed links."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.test import Client
from PIL import Image

from conectar.professionals.models import KycDocument
from conectar.professionals.selectors.kyc import link_signature
from conectar.professionals.services import kyc
from tests.professionals.test_kyc_files import NOT_DOCUMENTS, image_bytes, pdf_bytes
from tests.support.accounts import admin_session, signed_up
from tests.support.events import published
from tests.support.professionals import new_professional

pytestmark = pytest.mark.django_db(databases="__all__")

SUBMITTED = "professionals.kyc_submitted.v1"
UPLOAD_PATHS = ("/api/v1/professional/kyc/submit", "/api/v1/professional/kyc/upload")
STATUS = "/api/v1/professional/kyc"


def a_file(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def dni_set() -> list[SimpleUploadedFile]:
    return [
        a_file("frente.jpg", image_bytes("JPEG"), "image/jpeg"),
        a_file("dorso.png", image_bytes("PNG"), "image/png"),
        a_file("matricula.pdf", pdf_bytes(), "application/pdf"),
    ]


def upload(client, who, files, *, kinds=None, path=UPLOAD_PATHS[1]):
    data = {"files": files}
    if kinds is not None:
        data["kinds"] = kinds
    return client.post(path, data, headers=who.headers)


def submit(client, who, files=None, kinds=("DNI_FRENTE", "DNI_DORSO", "MATRICULA")) -> dict:
    response = upload(client, who, files if files is not None else dni_set(), kinds=list(kinds))
    assert response.status_code == 200, response.content
    return response.json()


def stored_files() -> list[Path]:
    root = Path(storages["kyc"].location)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def fetch(client, url, **extra):
    response = client.get(url, **extra)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


# --- upload -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", UPLOAD_PATHS)
def test_pdf_jpeg_and_png_go_to_review_and_announce_it(client, path, settings):
    pro = new_professional(client)
    response = upload(client, pro, dni_set(), kinds=["DNI_FRENTE", "DNI_DORSO", "MATRICULA"], path=path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["estado_verificacion"] == "EN_REVISION"
    assert body["professional_id"] == pro.id
    assert body["motivo_rechazo"] is None
    assert body["submitted_at"] is not None
    assert body["submission"] == 1
    docs = body["documentos"]
    assert [(d["kind"], d["content_type"]) for d in docs] == [
        ("DNI_FRENTE", "image/jpeg"),
        ("DNI_DORSO", "image/png"),
        ("MATRICULA", "application/pdf"),
    ]
    assert [d["original_name"] for d in docs] == ["frente.jpg", "dorso.png", "matricula.pdf"]

    professional = pro.refresh()
    assert professional.estado_verificacion == "EN_REVISION"
    assert KycDocument.objects.filter(professional_id=pro.id).count() == 3
    [event] = published(SUBMITTED, "professionals")
    assert event["professional_id"] == pro.id
    assert event["documents"] == 3

    # Stored in the private storage only, never under the public media root.
    assert len(stored_files()) == 3
    media = Path(settings.MEDIA_ROOT)
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_one_to_five_files_are_accepted_and_kinds_default_to_otro(client):
    pro = new_professional(client)
    body = submit(client, pro, [a_file("dni.pdf", pdf_bytes())], kinds=())
    assert [d["kind"] for d in body["documentos"]] == ["OTRO"]

    five = [a_file(f"doc{n}.pdf", pdf_bytes(text=b"pagina %d" % n)) for n in range(5)]
    body = submit(client, pro, five, kinds=["selfie,dni_frente, dni_dorso,MATRICULA,OTRO"])
    assert body["submission"] == 2
    assert [d["kind"] for d in body["documentos"]] == ["SELFIE", "DNI_FRENTE", "DNI_DORSO", "MATRICULA", "OTRO"]
    assert len(published(SUBMITTED, "professionals")) == 2


def test_six_files_are_422_and_nothing_is_stored(client, settings):
    """More than KYC_MAX_DOCUMENTS is a validation error of the `files` field (422), refused before
    any file is read."""
    pro = new_professional(client)
    six = [a_file(f"doc{n}.pdf", pdf_bytes()) for n in range(settings.KYC_MAX_DOCUMENTS + 1)]
    response = upload(client, pro, six)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"
    assert "files" in response.json()["fields"]
    assert stored_files() == []
    assert pro.refresh().estado_verificacion == "PENDIENTE"


def test_a_flood_of_parts_is_422_not_a_crash(client, settings):
    pro = new_professional(client)
    flood = [a_file(f"doc{n}.pdf", b"%PDF-") for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)]
    response = upload(client, pro, flood)
    assert response.status_code == 422
    assert "files" in response.json()["fields"]
    assert stored_files() == []


def test_no_file_is_422(client):
    pro = new_professional(client)
    response = client.post(UPLOAD_PATHS[0], {}, headers=pro.headers)
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "code", "fields"}
    assert "files" in response.json()["fields"]
    assert published(SUBMITTED, "professionals") == []


@pytest.mark.parametrize(
    "kinds",
    [["PASAPORTE"], ["DNI_FRENTE", "DNI_DORSO"]],
    ids=["unknown kind", "one kind per file"],
)
def test_kinds_must_be_known_and_one_per_file(client, kinds):
    pro = new_professional(client)
    response = upload(client, pro, [a_file("dni.pdf", pdf_bytes())], kinds=kinds)
    assert response.status_code == 422
    assert "kinds" in response.json()["fields"]
    assert stored_files() == []


@pytest.mark.parametrize(
    "case",
    [
        "windows executable named .pdf",
        "linux executable named .pdf",
        "shell script named .pdf",
        "html with a script",
        "script named .png",
        "pdf with an open action script",
        "encrypted pdf",
    ],
)
def test_content_that_is_not_a_clean_document_is_415(client, case):
    content, name = NOT_DOCUMENTS[case]
    pro = new_professional(client)
    # The declared type lies too: only the bytes decide.
    response = upload(client, pro, [a_file("ok.pdf", pdf_bytes()), a_file(name, content, "application/pdf")])
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert stored_files() == []  # the good file of the same submission was not stored either
    assert KycDocument.objects.count() == 0
    assert pro.refresh().estado_verificacion == "PENDIENTE"


def test_a_file_over_ten_megabytes_is_413(client, settings):
    pro = new_professional(client)
    big = pdf_bytes() + b"%" + b"0" * settings.KYC_DOCUMENT_MAX_BYTES
    response = upload(client, pro, [a_file("dni.pdf", pdf_bytes()), a_file("grande.pdf", big, "application/pdf")])
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert stored_files() == []
    assert pro.refresh().estado_verificacion == "PENDIENTE"


def test_only_professionals_upload(client):
    cliente = signed_up(client)
    response = upload(client, cliente, dni_set())
    assert response.status_code == 403
    assert response.json()["code"] in {"permission_denied", "not_a_professional"}
    assert client.get(STATUS, headers=cliente.headers).status_code == 403
    assert client.post(UPLOAD_PATHS[0], {"files": dni_set()}).status_code == 401
    assert stored_files() == []


def test_an_approved_professional_cannot_resubmit(client):
    pro = new_professional(client)
    submit(client, pro)
    kyc.kyc_approve(professional_id=pro.id, by=None)
    before = stored_files()
    response = upload(client, pro, dni_set())
    assert response.status_code == 400
    assert response.json()["code"] == "kyc_invalid_state"
    assert stored_files() == before
    assert pro.refresh().estado_verificacion == "APROBADO"


def test_a_database_failure_leaves_no_stored_file(client):
    """A real failure of the database part (a trigger refusing the rows): the files already
    stored are deleted and the state does not move."""
    pro = new_professional(client)
    with connections["professionals"].cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION kyc_test_refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'disco lleno'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER kyc_test_refuse BEFORE INSERT ON professionals_kycdocument "
            "FOR EACH ROW EXECUTE FUNCTION kyc_test_refuse()"
        )
    response = upload(client, pro, dni_set())
    assert response.status_code == 500
    assert stored_files() == []
    assert pro.refresh().estado_verificacion == "PENDIENTE"
    assert published(SUBMITTED, "professionals") == []


# --- status, rejection, re-submission ---------------------------------------------------------------


def test_status_shows_the_reason_after_a_rejection_and_a_new_submission_goes_back_to_review(client):
    pro = new_professional(client)
    initial = client.get(STATUS, headers=pro.headers).json()
    assert (initial["estado_verificacion"], initial["documentos"], initial["submission"]) == ("PENDIENTE", [], 0)

    submit(client, pro)
    kyc.kyc_reject(professional_id=pro.id, by=None, motivo="La foto del DNI está borrosa.")
    status = client.get(STATUS, headers=pro.headers).json()
    assert status["estado_verificacion"] == "RECHAZADO"
    assert status["motivo_rechazo"] == "La foto del DNI está borrosa."

    again = submit(client, pro, [a_file("frente.png", image_bytes("PNG"))], kinds=["DNI_FRENTE"])
    assert again["estado_verificacion"] == "EN_REVISION"
    assert again["motivo_rechazo"] is None
    assert again["submission"] == 2
    assert [d["kind"] for d in again["documentos"]] == ["DNI_FRENTE"]  # the new round only
    assert client.get(STATUS, headers=pro.headers).json()["estado_verificacion"] == "EN_REVISION"
    assert len(published(SUBMITTED, "professionals")) == 2


# --- private documents ------------------------------------------------------------------------------


def test_no_public_url_exists_for_a_document(client):
    pro = new_professional(client)
    body = submit(client, pro)
    status_text = json.dumps(client.get(STATUS, headers=pro.headers).json())
    names = list(KycDocument.objects.values_list("file", flat=True))
    for text in (json.dumps(body), status_text):
        assert "/media/" not in text
        for name in names:
            assert name not in text
    for document in body["documentos"]:
        assert urlsplit(document["url"]).path == f"/api/v1/professional/kyc/documents/{document['id']}"
    for name in names:
        assert client.get(f"/media/{name}").status_code == 404
        assert client.get(f"/media/kyc/{name}").status_code == 404


def test_the_owner_fetches_their_document_through_its_signed_link(client):
    pro = new_professional(client)
    pdf = pdf_bytes()
    body = submit(
        client,
        pro,
        [a_file("dni.pdf", pdf, "application/pdf"), a_file("selfie.jpg", image_bytes("JPEG", exif=True))],
        kinds=("DNI_FRENTE", "SELFIE"),
    )
    pdf_doc, selfie = body["documentos"]

    response, content = fetch(client, pdf_doc["url"], headers=pro.headers)
    assert response.status_code == 200
    assert content == pdf
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"

    response, content = fetch(client, selfie["url"], headers=pro.headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(content)).format == "JPEG"
    assert b"SecretCam" not in content  # re-encoded without its metadata
    assert len(content) == selfie["size"]


def test_nobody_else_gets_a_document_even_with_its_link(client):
    owner, other = new_professional(client), new_professional(client, nombre="Otro")
    cliente = signed_up(client)
    url = submit(client, owner)["documentos"][0]["url"]
    for stranger in (other, cliente):
        response, _ = fetch(client, url, headers=stranger.headers)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert client.get(url).status_code == 401  # no credentials at all


def test_a_tampered_or_expired_link_is_refused(client, settings):
    pro = new_professional(client)
    first, second, _ = submit(client, pro)["documentos"]
    url = urlsplit(first["url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}

    def get(document_id, expires, signature):
        path = f"/api/v1/professional/kyc/documents/{document_id}"
        return client.get(path, {"expires": expires, "signature": signature}, headers=pro.headers)

    assert get(first["id"], query["expires"], query["signature"]).status_code == 200
    forged = ("A" if query["signature"][0] != "A" else "B") + query["signature"][1:]
    assert get(first["id"], query["expires"], forged).status_code == 403
    assert get(first["id"], int(query["expires"]) + 3600, query["signature"]).status_code == 403  # longer life
    assert get(second["id"], query["expires"], query["signature"]).status_code == 403  # another document
    assert get(first["id"], "", "").status_code == 403
    assert client.get(f"/api/v1/professional/kyc/documents/{first['id']}", headers=pro.headers).status_code == 403

    past = int(time.time()) - 1
    expired = get(first["id"], past, link_signature(first["id"], past))
    assert expired.status_code == 403
    assert expired.json()["code"] == "kyc_link_expired"

    settings.KYC_URL_SECONDS = -5  # links handed out now are born expired
    stale = client.get(STATUS, headers=pro.headers).json()["documentos"][0]["url"]
    assert client.get(stale, headers=pro.headers).status_code == 403


def test_staff_fetch_any_document_by_token_or_admin_session(client, django_user_model):
    pro = new_professional(client)
    document = submit(client, pro)["documentos"][2]
    admin = admin_session(client, django_user_model)
    response, content = fetch(client, document["url"], headers=admin.headers)
    assert response.status_code == 200
    assert content == pdf_bytes()

    staff_browser = Client()
    staff_browser.force_login(django_user_model.objects.get(pk=admin.user_id))
    response, content = fetch(staff_browser, document["url"])
    assert response.status_code == 200
    assert content == pdf_bytes()

    # A logged-in session that is not staff is no way in.
    someone = signed_up(client)
    browser = Client()
    browser.force_login(django_user_model.objects.get(pk=someone.user_id))
    assert browser.get(document["url"]).status_code == 401


def test_with_s3_the_storage_signs_short_lived_links_itself(client, settings):
    """STORAGE_BACKEND=s3: the private bucket's own presigned URLs (computed locally by boto3, no
    request is made), never a plain object URL."""
    pro = new_professional(client)
    settings.STORAGES = {
        **settings.STORAGES,
        "kyc": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "endpoint_url": "http://127.0.0.1:9",
                "access_key": "kyc-test",
                "secret_key": "kyc-test-secret",
                "bucket_name": "conectar-kyc",
                "region_name": "us-east-1",
                "querystring_auth": True,
                "querystring_expire": settings.KYC_URL_SECONDS,
                "default_acl": "private",
                "custom_domain": None,
            },
        },
    }
    KycDocument.objects.create(
        professional_id=pro.id, kind="DNI_FRENTE", file=f"{pro.id}/abc.pdf", content_type="application/pdf", size=10
    )
    [document] = client.get(STATUS, headers=pro.headers).json()["documentos"]
    url = urlsplit(document["url"])
    query = parse_qs(url.query)
    assert (url.netloc, url.path) == ("127.0.0.1:9", f"/conectar-kyc/{pro.id}/abc.pdf")
    assert query["Signature"]
    expires = int(query["Expires"][0])  # botocore's default presigning states the end itself
    assert abs(expires - (time.time() + settings.KYC_URL_SECONDS)) < 30
    assert query["response-content-disposition"] == ["inline"]
