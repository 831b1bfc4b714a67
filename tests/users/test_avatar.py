import io

import pytest
from PIL import Image

from tests.support.accounts import signed_up
from tests.support.files import NOT_IMAGES, image_bytes

pytestmark = pytest.mark.django_db(databases="__all__")


def upload(client, session, content: bytes, name: str, content_type: str = "image/jpeg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/api/v1/users/me/avatar",
        {"file": SimpleUploadedFile(name, content, content_type=content_type)},
        headers=session.headers,
    )


@pytest.mark.parametrize(("fmt", "ext"), [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")])
def test_jpeg_png_and_webp_are_accepted_and_served(client, fmt, ext):
    me = signed_up(client)
    response = upload(client, me, image_bytes(fmt), f"foto.{ext}")
    assert response.status_code == 200, response.content
    url = response.json()["avatar_url"]
    assert url.startswith("http://testserver/")  # absolute, as every image URL (V1-CONTRACT § 0.3)
    assert url.endswith(f".{ext}")
    served = client.get(url)
    assert served.status_code == 200
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).format == fmt


def test_the_stored_image_is_re_encoded_without_exif_or_appended_bytes(client, settings):
    me = signed_up(client)
    payload = image_bytes("JPEG", exif=True) + b"<?php system($_GET['c']); ?>"
    url = upload(client, me, payload, "foto.jpg").json()["avatar_url"]
    stored = b"".join(client.get(url).streaming_content)
    assert b"<?php" not in stored
    assert b"SecretCam" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()


@pytest.mark.parametrize(("content", "name"), NOT_IMAGES)
def test_anything_but_a_real_jpeg_png_or_webp_is_415(client, content, name):
    me = signed_up(client)
    response = upload(client, me, content, name)
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert client.get("/api/v1/users/me", headers=me.headers).json()["avatar_url"] is None


def test_over_five_megabytes_is_413(client, settings):
    me = signed_up(client)
    big = image_bytes("PNG") + b"\0" * (settings.AVATAR_MAX_BYTES + 1)
    response = upload(client, me, big, "grande.png", "image/png")
    assert response.status_code == 413


def test_a_new_avatar_replaces_the_old_file_once_committed(client, django_capture_on_commit_callbacks):
    me = signed_up(client)
    first = upload(client, me, image_bytes("PNG"), "a.png").json()["avatar_url"]
    with django_capture_on_commit_callbacks(using="users", execute=True):
        second = upload(client, me, image_bytes("JPEG"), "b.jpg").json()["avatar_url"]
    assert first != second
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200


def test_a_missing_file_is_422(client):
    me = signed_up(client)
    response = client.post("/api/v1/users/me/avatar", {}, headers=me.headers)
    assert response.status_code == 422
    assert "file" in response.json()["fields"]
