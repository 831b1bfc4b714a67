"""The professional's portfolio: items, their images, and the public view of a findable professional."""

import io
import json
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from ninja.responses import NinjaJSONEncoder
from PIL import Image

from conectar.professionals.http.bodies import portfolio_item_v1
from conectar.professionals.http.portfolio_routes import PortfolioItemOut
from conectar.professionals.models import PortfolioImage, PortfolioItem, Professional
from conectar.professionals.selectors.portfolio import portfolio_for
from conectar.professionals.services.portfolio import MAX_IMAGES_PER_ITEM
from tests.support.accounts import admin_session, signed_up
from tests.support.concurrency import run_concurrently
from tests.support.files import NOT_IMAGES, image_bytes
from tests.support.professionals import BUENOS_AIRES, approve, new_professional

pytestmark = pytest.mark.django_db(databases="__all__")

PORTFOLIO = "/api/v1/professional/portfolio"
V1_KEYS = {"profesional_id", "fecha_creacion", "imagenes", "imagenes_urls"}  # and the frontend's imagenes_urls
ITEM_KEYS = {"id", "titulo", "descripcion", "orden", "created_at", "images"} | V1_KEYS


# --- helpers ----------------------------------------------------------------------------------------


def create_item(client, who, **body):
    body.setdefault("titulo", "Baño completo")
    return client.post(PORTFOLIO, body, content_type="application/json", headers=who.headers)


def new_item(client, who, **body) -> dict:
    response = create_item(client, who, **body)
    assert response.status_code == 201, response.content
    return response.json()


def upload(client, who, item_id, content: bytes | None = None, *, name="foto.jpg", content_type="image/jpeg"):
    content = image_bytes() if content is None else content
    return client.post(
        f"{PORTFOLIO}/{item_id}/image",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        headers=who.headers,
    )


def uploaded(client, who, item_id, content: bytes | None = None, name="foto.jpg") -> dict:
    response = upload(client, who, item_id, content, name=name)
    assert response.status_code == 200, response.content
    return response.json()


def served(client, url: str) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


def stored_files(professional_id) -> list[Path]:
    folder = Path(settings.MEDIA_ROOT) / "portfolio" / str(professional_id)
    return sorted(p for p in folder.iterdir()) if folder.exists() else []


def my_portfolio(client, who) -> list[dict]:
    response = client.get(PORTFOLIO, headers=who.headers)
    assert response.status_code == 200, response.content
    return response.json()


def locate(client, pro, at=BUENOS_AIRES) -> None:
    response = client.put(
        "/api/v1/professional/location",
        {"latitude": at[0], "longitude": at[1]},
        content_type="application/json",
        headers=pro.headers,
    )
    assert response.status_code == 200, response.content
    assert pro.refresh().location is not None


def findable(client, **kwargs):
    pro = new_professional(client, **kwargs)
    approve(pro)
    locate(client, pro)
    assert pro.refresh().matchable
    return pro


# --- items ------------------------------------------------------------------------------------------


def test_creating_an_item_answers_201_with_its_body(client):
    pro = new_professional(client)
    response = create_item(client, pro, titulo="  Instalación de termotanque  ", descripcion="Con garantía.")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == ITEM_KEYS
    assert body["titulo"] == "Instalación de termotanque"
    assert body["descripcion"] == "Con garantía."
    assert body["images"] == []
    item = PortfolioItem.objects.get(pk=body["id"])
    assert str(item.professional_id) == pro.id
    assert my_portfolio(client, pro) == [body]


def test_items_are_listed_by_orden_then_creation_and_only_the_callers(client):
    pro = new_professional(client)
    other = new_professional(client, nombre="Otra")
    new_item(client, other, titulo="De otro")
    first = new_item(client, pro, titulo="Primero")  # no orden: after the last item
    last = new_item(client, pro, titulo="Último")
    tied = new_item(client, pro, titulo="Empatado con el primero", orden=0)
    top = new_item(client, pro, titulo="Arriba", orden=0)
    assert (first["orden"], last["orden"]) == (0, 1)
    titles = [item["titulo"] for item in my_portfolio(client, pro)]
    assert titles == ["Primero", "Empatado con el primero", "Arriba", "Último"]
    assert tied["id"] != top["id"]


def test_an_item_without_orden_goes_after_the_highest(client):
    pro = new_professional(client)
    new_item(client, pro, titulo="Alto", orden=7)
    assert new_item(client, pro, titulo="Nuevo")["orden"] == 8
    assert [i["titulo"] for i in my_portfolio(client, pro)] == ["Alto", "Nuevo"]


def test_an_update_changes_only_the_fields_sent(client):
    pro = new_professional(client)
    item = new_item(client, pro, titulo="Cocina", descripcion="Antes", orden=3)
    url = f"{PORTFOLIO}/{item['id']}"

    response = client.put(url, {"descripcion": "Después"}, content_type="application/json", headers=pro.headers)
    assert response.status_code == 200
    body = response.json()
    assert (body["titulo"], body["descripcion"], body["orden"]) == ("Cocina", "Después", 3)

    response = client.put(
        url, {"titulo": "Cocina integral", "orden": 1}, content_type="application/json", headers=pro.headers
    )
    assert response.status_code == 200
    assert (response.json()["titulo"], response.json()["descripcion"], response.json()["orden"]) == (
        "Cocina integral",
        "Después",
        1,
    )

    response = client.put(url, {"descripcion": None}, content_type="application/json", headers=pro.headers)
    assert response.status_code == 200
    assert response.json()["descripcion"] == ""

    response = client.put(url, {}, content_type="application/json", headers=pro.headers)
    assert response.status_code == 200
    stored = PortfolioItem.objects.get(pk=item["id"])
    assert (stored.titulo, stored.descripcion, stored.orden) == ("Cocina integral", "", 1)


def test_reordering_through_updates_changes_the_listing(client):
    pro = new_professional(client)
    a = new_item(client, pro, titulo="A")
    new_item(client, pro, titulo="B")
    client.put(f"{PORTFOLIO}/{a['id']}", {"orden": 5}, content_type="application/json", headers=pro.headers)
    assert [i["titulo"] for i in my_portfolio(client, pro)] == ["B", "A"]


def test_the_longest_allowed_fields_are_accepted(client):
    pro = new_professional(client)
    body = new_item(client, pro, titulo="t" * 150, descripcion="d" * 2000, orden=10_000)
    assert (len(body["titulo"]), len(body["descripcion"]), body["orden"]) == (150, 2000, 10_000)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"descripcion": "sin título"}, "titulo"),
        ({"titulo": ""}, "titulo"),
        ({"titulo": "   "}, "titulo"),
        ({"titulo": None}, "titulo"),
        ({"titulo": "t" * 151}, "titulo"),
        ({"titulo": "con \x00 nulo"}, "titulo"),
        ({"titulo": 123}, "titulo"),
        ({"titulo": "Ok", "descripcion": "d" * 2001}, "descripcion"),
        ({"titulo": "Ok", "descripcion": "con \x00 nulo"}, "descripcion"),
        ({"titulo": "Ok", "orden": -1}, "orden"),
        ({"titulo": "Ok", "orden": 10_001}, "orden"),
        ({"titulo": "Ok", "orden": "primero"}, "orden"),
    ],
)
def test_invalid_fields_on_creation_are_422_and_create_nothing(client, body, field):
    pro = new_professional(client)
    response = client.post(PORTFOLIO, body, content_type="application/json", headers=pro.headers)
    assert response.status_code == 422, response.content
    error = response.json()
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert error["detail"]
    assert not PortfolioItem.objects.filter(professional_id=pro.id).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"titulo": ""}, "titulo"),
        ({"titulo": None}, "titulo"),
        ({"titulo": "t" * 151}, "titulo"),
        ({"descripcion": "d" * 2001}, "descripcion"),
        ({"orden": None}, "orden"),
        ({"orden": -3}, "orden"),
    ],
)
def test_invalid_fields_on_update_are_422_and_change_nothing(client, body, field):
    pro = new_professional(client)
    item = new_item(client, pro, titulo="Intacto", descripcion="Igual", orden=2)
    response = client.put(f"{PORTFOLIO}/{item['id']}", body, content_type="application/json", headers=pro.headers)
    assert response.status_code == 422, response.content
    assert field in response.json()["fields"]
    stored = PortfolioItem.objects.get(pk=item["id"])
    assert (stored.titulo, stored.descripcion, stored.orden) == ("Intacto", "Igual", 2)


def test_validation_messages_are_in_spanish(client):
    pro = new_professional(client)
    response = create_item(client, pro, titulo="", orden=-1)
    fields = response.json()["fields"]
    assert fields["titulo"] == ["El título es obligatorio."]
    assert fields["orden"] == ["El orden tiene que ser un número entero entre 0 y 10000."]


def test_deleting_an_item_answers_204_and_removes_its_images_files_after_commit(
    client, django_capture_on_commit_callbacks
):
    pro = new_professional(client)
    item = new_item(client, pro)
    keep = new_item(client, pro, titulo="Se queda")
    uploaded(client, pro, item["id"])
    urls = [img["url"] for img in uploaded(client, pro, item["id"], image_bytes("PNG"), "b.png")["images"]]
    kept_url = uploaded(client, pro, keep["id"])["images"][0]["url"]
    assert len(stored_files(pro.id)) == 3

    with django_capture_on_commit_callbacks(using="professionals", execute=False) as callbacks:
        response = client.delete(f"{PORTFOLIO}/{item['id']}", headers=pro.headers)
    assert response.status_code == 204
    assert not PortfolioItem.objects.filter(pk=item["id"]).exists()
    assert not PortfolioImage.objects.filter(item_id=item["id"]).exists()
    assert len(stored_files(pro.id)) == 3  # not before the commit
    for callback in callbacks:
        callback()
    assert len(stored_files(pro.id)) == 1
    for url in urls:
        assert client.get(url).status_code == 404
    served(client, kept_url)
    assert [i["titulo"] for i in my_portfolio(client, pro)] == ["Se queda"]


# --- images -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_jpeg_png_and_webp_are_accepted_stored_publicly_and_served(client, fmt, ext):
    pro = new_professional(client)
    item = new_item(client, pro)
    body = uploaded(client, pro, item["id"], image_bytes(fmt), f"foto.{ext}")
    assert set(body) == ITEM_KEYS
    assert body["id"] == item["id"]
    [image] = body["images"]
    assert set(image) == {"id", "url", "orden"}
    assert image["url"].startswith(f"http://testserver/media/portfolio/{pro.id}/")  # absolute
    assert body["imagenes"] == [{"id": image["id"], "imagen_url": image["url"], "orden": image["orden"]}]
    assert (body["imagenes_urls"], body["profesional_id"]) == ([image["url"]], pro.id)
    assert image["url"].endswith(f".{ext}")
    assert Image.open(io.BytesIO(served(client, image["url"]))).format == fmt
    assert PortfolioImage.objects.get(pk=image["id"]).image.startswith(f"portfolio/{pro.id}/")


def test_the_format_is_decided_by_content_not_by_name(client):
    pro = new_professional(client)
    item = new_item(client, pro)
    body = uploaded(client, pro, item["id"], image_bytes("PNG"), "foto.jpg")
    url = body["images"][0]["url"]
    assert url.endswith(".png")
    assert Image.open(io.BytesIO(served(client, url))).format == "PNG"


def test_the_stored_image_is_re_encoded_without_exif_or_appended_bytes(client):
    pro = new_professional(client)
    item = new_item(client, pro)
    payload = image_bytes("JPEG", exif=True) + b"<?php system($_GET['c']); ?>"
    assert b"SecretCam" in payload
    stored = served(client, uploaded(client, pro, item["id"], payload)["images"][0]["url"])
    assert b"SecretCam" not in stored
    assert b"<?php" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_images_are_listed_in_upload_order_with_the_item(client):
    pro = new_professional(client)
    item = new_item(client, pro)
    ids = [
        uploaded(client, pro, item["id"], image_bytes(fmt), f"f.{fmt.lower()}")["images"][-1]["id"]
        for fmt in ("PNG", "JPEG", "WEBP")
    ]
    [listed] = my_portfolio(client, pro)
    assert [img["id"] for img in listed["images"]] == ids
    assert [img["orden"] for img in listed["images"]] == [0, 1, 2]


@pytest.mark.parametrize(("content", "name"), NOT_IMAGES)
def test_anything_but_a_real_jpeg_png_or_webp_is_415_and_stores_nothing(client, content, name):
    pro = new_professional(client)
    item = new_item(client, pro)
    response = upload(client, pro, item["id"], content, name=name)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert not PortfolioImage.objects.filter(item_id=item["id"]).exists()
    assert stored_files(pro.id) == []


def test_over_ten_megabytes_is_413_and_stores_nothing(client):
    pro = new_professional(client)
    item = new_item(client, pro)
    big = image_bytes("PNG") + b"\0" * (settings.PORTFOLIO_IMAGE_MAX_BYTES + 1 - len(image_bytes("PNG")))
    assert len(big) == 10 * 1024 * 1024 + 1
    response = upload(client, pro, item["id"], big, name="grande.png", content_type="image/png")
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not PortfolioImage.objects.filter(item_id=item["id"]).exists()
    assert stored_files(pro.id) == []


def test_a_missing_file_is_422(client):
    pro = new_professional(client)
    item = new_item(client, pro)
    response = client.post(f"{PORTFOLIO}/{item['id']}/image", {}, headers=pro.headers)
    assert response.status_code == 422
    assert "file" in response.json()["fields"]


def test_an_item_holds_at_most_ten_images(client):
    pro = new_professional(client)
    item = new_item(client, pro)
    for _ in range(MAX_IMAGES_PER_ITEM):
        uploaded(client, pro, item["id"])
    response = upload(client, pro, item["id"])
    assert response.status_code == 400
    assert response.json()["code"] == "portfolio_image_limit"
    assert PortfolioImage.objects.filter(item_id=item["id"]).count() == MAX_IMAGES_PER_ITEM == 10
    assert len(stored_files(pro.id)) == MAX_IMAGES_PER_ITEM
    # Another item has its own allowance, and deleting an image frees a place.
    uploaded(client, pro, new_item(client, pro, titulo="Otro")["id"])
    first = my_portfolio(client, pro)[0]["images"][0]["id"]
    assert client.delete(f"{PORTFOLIO}/{item['id']}/image/{first}", headers=pro.headers).status_code == 204
    assert len(uploaded(client, pro, item["id"])["images"]) == MAX_IMAGES_PER_ITEM


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_simultaneous_uploads_never_pass_the_limit_and_losers_leave_no_file():
    client = Client()
    pro = new_professional(client)
    item = new_item(client, pro)
    for _ in range(MAX_IMAGES_PER_ITEM - 2):
        uploaded(client, pro, item["id"])
    content = image_bytes()

    statuses = run_concurrently(lambda: upload(Client(), pro, item["id"], content).status_code, times=8)

    assert sorted(statuses) == [200, 200, 400, 400, 400, 400, 400, 400]
    assert PortfolioImage.objects.filter(item_id=item["id"]).count() == MAX_IMAGES_PER_ITEM
    assert len(stored_files(pro.id)) == MAX_IMAGES_PER_ITEM


def test_deleting_an_image_answers_204_and_removes_its_file_after_commit(client, django_capture_on_commit_callbacks):
    pro = new_professional(client)
    item = new_item(client, pro)
    uploaded(client, pro, item["id"])
    images = uploaded(client, pro, item["id"], image_bytes("PNG"), "b.png")["images"]
    gone, kept = images[0], images[1]

    with django_capture_on_commit_callbacks(using="professionals", execute=False) as callbacks:
        response = client.delete(f"{PORTFOLIO}/{item['id']}/image/{gone['id']}", headers=pro.headers)
    assert response.status_code == 204
    assert client.get(gone["url"]).status_code == 200  # the file outlives the transaction only
    for callback in callbacks:
        callback()
    assert client.get(gone["url"]).status_code == 404
    served(client, kept["url"])
    assert [img["id"] for img in my_portfolio(client, pro)[0]["images"]] == [kept["id"]]


def test_deleting_an_image_with_on_commit_executed(client, django_capture_on_commit_callbacks):
    pro = new_professional(client)
    item = new_item(client, pro)
    image = uploaded(client, pro, item["id"])["images"][0]
    with django_capture_on_commit_callbacks(using="professionals", execute=True):
        assert client.delete(f"{PORTFOLIO}/{item['id']}/image/{image['id']}", headers=pro.headers).status_code == 204
    assert stored_files(pro.id) == []
    assert not PortfolioImage.objects.filter(pk=image["id"]).exists()


# --- who may do what --------------------------------------------------------------------------------


def private_routes(item_id, image_id):
    """Every professional-only route, aimed at (item_id, image_id): (method, path, kwargs)."""
    as_json = {"content_type": "application/json"}
    return [
        ("get", PORTFOLIO, {}),
        ("post", PORTFOLIO, {"data": {"titulo": "x"}, **as_json}),
        ("put", f"{PORTFOLIO}/{item_id}", {"data": {"titulo": "Robado"}, **as_json}),
        ("delete", f"{PORTFOLIO}/{item_id}", {}),
        ("post", f"{PORTFOLIO}/{item_id}/image", {"data": {"file": SimpleUploadedFile("f.jpg", image_bytes())}}),
        ("delete", f"{PORTFOLIO}/{item_id}/image/{image_id}", {}),
    ]


def call(client, method, path, kwargs, headers=None):
    kwargs = dict(kwargs)
    if "data" in kwargs and "file" in kwargs["data"]:  # a fresh upload for every call
        kwargs["data"] = {"file": SimpleUploadedFile("f.jpg", image_bytes(), content_type="image/jpeg")}
    return getattr(client, method)(path, headers=headers or {}, **kwargs)


def test_another_professionals_item_or_image_is_404_on_every_route(client):
    owner = new_professional(client)
    intruder = new_professional(client, nombre="Intruso")
    item = new_item(client, owner, titulo="Mío", descripcion="Privado", orden=4)
    image = uploaded(client, owner, item["id"])["images"][0]
    own_item = new_item(client, intruder, titulo="Del intruso")
    own_image = uploaded(client, intruder, own_item["id"])["images"][0]

    for method, path, kwargs in private_routes(item["id"], image["id"])[2:]:
        response = call(client, method, path, kwargs, intruder.headers)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["code"] == "not_found"
    # Mixing: the intruder's own item with the owner's image, and the reverse.
    mixed = [
        f"{PORTFOLIO}/{own_item['id']}/image/{image['id']}",
        f"{PORTFOLIO}/{item['id']}/image/{own_image['id']}",
    ]
    for path in mixed:
        assert client.delete(path, headers=intruder.headers).status_code == 404, path

    stored = PortfolioItem.objects.get(pk=item["id"])
    assert (stored.titulo, stored.descripcion, stored.orden) == ("Mío", "Privado", 4)
    assert list(PortfolioImage.objects.filter(item_id=item["id"]).values_list("pk", flat=True)) == [
        uuid.UUID(image["id"])
    ]
    served(client, image["url"])
    assert [i["titulo"] for i in my_portfolio(client, intruder)] == ["Del intruso"]
    assert len(my_portfolio(client, intruder)[0]["images"]) == 1


def test_an_image_of_another_item_of_the_same_professional_is_404(client):
    pro = new_professional(client)
    a = new_item(client, pro, titulo="A")
    b = new_item(client, pro, titulo="B")
    image = uploaded(client, pro, a["id"])["images"][0]
    assert client.delete(f"{PORTFOLIO}/{b['id']}/image/{image['id']}", headers=pro.headers).status_code == 404
    assert PortfolioImage.objects.filter(pk=image["id"]).exists()


@pytest.mark.parametrize("bad_id", [lambda: str(uuid.uuid4()), lambda: "no-es-un-uuid", lambda: "123"])
def test_unknown_ids_are_404_on_every_route(client, bad_id):
    pro = new_professional(client)
    item = new_item(client, pro)
    image = uploaded(client, pro, item["id"])["images"][0]
    unknown = bad_id()
    for method, path, kwargs in private_routes(unknown, image["id"])[2:]:
        response = call(client, method, path, kwargs, pro.headers)
        assert response.status_code == 404, (method, path, response.content)
        assert response.json()["code"] == "not_found"
    response = client.delete(f"{PORTFOLIO}/{item['id']}/image/{unknown}", headers=pro.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert PortfolioImage.objects.filter(pk=image["id"]).exists()


def test_clients_and_admins_are_403_on_every_professional_route(client, django_user_model):
    pro = new_professional(client)
    item = new_item(client, pro)
    image = uploaded(client, pro, item["id"])["images"][0]
    for session in (signed_up(client), admin_session(client, django_user_model)):
        for method, path, kwargs in private_routes(item["id"], image["id"]):
            response = call(client, method, path, kwargs, session.headers)
            assert response.status_code == 403, (method, path, response.content)
            assert "code" in response.json()
    assert PortfolioItem.objects.filter(professional_id=pro.id).count() == 1
    assert PortfolioImage.objects.filter(item_id=item["id"]).count() == 1


def test_no_token_is_401_on_every_professional_route(client):
    pro = new_professional(client)
    item = new_item(client, pro)
    image = uploaded(client, pro, item["id"])["images"][0]
    for method, path, kwargs in private_routes(item["id"], image["id"]):
        response = call(client, method, path, kwargs)
        assert response.status_code == 401, (method, path, response.content)
        assert response.json()["code"] == "not_authenticated"
    for method, path, kwargs in private_routes(item["id"], image["id"]):
        response = call(client, method, path, kwargs, {"Authorization": "Bearer no-es-un-token"})
        assert response.status_code == 401, (method, path, response.content)
    assert PortfolioImage.objects.filter(item_id=item["id"]).count() == 1


# --- public -----------------------------------------------------------------------------------------


def public(client, professional_id):
    return client.get(f"/api/v1/public/professional/{professional_id}/portfolio")


def test_a_findable_professionals_portfolio_is_public(client):
    pro = findable(client)
    second = new_item(client, pro, titulo="Segundo", orden=2)
    first = new_item(client, pro, titulo="Primero", descripcion="Detalle", orden=1)
    image = uploaded(client, pro, first["id"], image_bytes("WEBP"), "a.webp")["images"][0]

    response = public(Client(), pro.id)  # no credentials at all

    assert response.status_code == 200
    body = response.json()
    assert [i["id"] for i in body] == [first["id"], second["id"]]
    assert set(body[0]) == ITEM_KEYS
    assert body[0]["descripcion"] == "Detalle"
    assert body[0]["images"] == [image]
    assert Image.open(io.BytesIO(served(Client(), image["url"]))).format == "WEBP"
    assert body == my_portfolio(client, pro)


def test_the_public_portfolio_tells_nothing_about_accounts(client):
    customer = signed_up(client)  # a client exists in the system; nothing of theirs may leak
    pro = findable(client)
    item = new_item(client, pro, titulo="Techo")
    uploaded(client, pro, item["id"])
    response = public(Client(), pro.id)
    assert response.status_code == 200
    text = response.content.decode()
    assert pro.session.email not in text
    assert "@" not in text
    assert pro.session.user_id not in text
    assert customer.user_id not in text
    assert customer.email not in text
    for entry in response.json():
        assert set(entry) == ITEM_KEYS
        for image in entry["images"]:
            assert set(image) == {"id", "url", "orden"}


def test_the_public_route_ignores_credentials(client):
    pro = findable(client)
    new_item(client, pro)
    assert (
        client.get(
            f"/api/v1/public/professional/{pro.id}/portfolio", headers={"Authorization": "Bearer basura"}
        ).status_code
        == 200
    )


def test_an_unapproved_professionals_portfolio_is_404(client):
    pro = new_professional(client)
    locate(client, pro)
    new_item(client, pro)
    response = public(client, pro.id)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_an_unlocated_professionals_portfolio_is_404(client):
    pro = new_professional(client)
    approve(pro)
    new_item(client, pro)
    assert pro.refresh().location is None
    assert public(client, pro.id).status_code == 404


def test_a_banned_professionals_portfolio_is_404(client):
    pro = findable(client)
    new_item(client, pro)
    assert public(client, pro.id).status_code == 200
    Professional.objects.filter(pk=pro.id).update(account_active=False)  # the copy the ban event keeps
    assert public(client, pro.id).status_code == 404


@pytest.mark.parametrize("unknown", [lambda pro: str(uuid.uuid4()), lambda pro: pro.session.user_id, lambda pro: "x1"])
def test_an_unknown_professional_or_an_account_id_is_404(client, unknown):
    pro = findable(client)
    new_item(client, pro)
    response = public(client, unknown(pro))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_portfolio_for_returns_exactly_the_public_bodies(client):
    pro = findable(client)
    item = new_item(client, pro, titulo="Uno", descripcion="Texto")
    uploaded(client, pro, item["id"])
    new_item(client, pro, titulo="Dos")
    bodies = portfolio_for(pro.refresh())
    assert [set(b) for b in bodies] == [ITEM_KEYS - V1_KEYS] * 2
    # As the API renders it: v1's keys and absolute URLs added, through the item schema and Ninja's encoder.
    request = RequestFactory().get("/")
    v1 = [portfolio_item_v1(request, b, professional_id=pro.id) for b in bodies]
    rendered = json.loads(
        json.dumps([PortfolioItemOut.model_validate(b).model_dump() for b in v1], cls=NinjaJSONEncoder)
    )
    assert rendered == public(client, pro.id).json()
    plain = ITEM_KEYS - V1_KEYS - {"images"}  # the images differ only by their URLs, made absolute
    assert [{k: b[k] for k in plain} for b in json.loads(json.dumps(bodies, cls=NinjaJSONEncoder))] == [
        {k: r[k] for k in plain} for r in rendered
    ]
    assert portfolio_for(uuid.UUID(pro.id)) == bodies


def test_the_public_profile_embeds_the_same_portfolio(client):
    pro = findable(client)
    item = new_item(client, pro, titulo="Baño", descripcion="Completo")
    uploaded(client, pro, item["id"], image_bytes("PNG"), "a.png")
    profile = client.get(f"/api/v1/public/professional/{pro.id}")
    assert profile.status_code == 200
    assert profile.json()["portfolio"] == public(client, pro.id).json()
    assert profile.json()["portfolio"][0]["images"][0]["url"].endswith(".png")
