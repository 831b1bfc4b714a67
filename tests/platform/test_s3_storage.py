"""STORAGE_BACKEND=s3 against a real S3-compatible server (moto's, from PyPI) that the tests start on
127.0.0.1 (issue 16 § 8c). The storages are built by conectar/settings.py itself from the s3
environment, the buckets by `manage.py setup_storage`, and everything else goes through the real
routes and over real HTTP: uploads land in the right bucket, a public image's plain URL serves it to
anyone, a KYC document is readable only through its signed link (an unsigned GET is refused), and
deleting an image removes its object.

moto checks that a link is signed but does not refuse an expired one (nor judge anonymous bucket
listings), so the expiry is checked on the link itself — its `Expires` and the body's `url_expires_at`
— which AWS and MinIO enforce."""

from __future__ import annotations

import io
import os
import runpy
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from pypdf import PdfWriter

from conectar.platform.object_storage import client_for, s3_storages
from tests.support.accounts import signed_up
from tests.support.files import image_bytes
from tests.support.network import unused_port
from tests.support.professionals import new_professional
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")  # file deletes run on commit

ROOT = Path(__file__).resolve().parents[2]
JSON = "application/json"
BUCKET = "conectar-test-media"
KYC_BUCKET = f"{BUCKET}-kyc"  # the settings' default: <AWS_STORAGE_BUCKET_NAME>-kyc


@pytest.fixture(scope="module")
def s3_server():
    """moto's S3 server as a process of its own on a free loopback port."""
    port = unused_port()
    log = (ROOT / "test-artifacts").joinpath("moto-server.log")
    log.parent.mkdir(exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        )
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}; see {log}")
        try:
            return httpx.get(f"{url}/moto-api/", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_until(answers, timeout=60, message="moto's S3 server")
    yield url
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    """settings.STORAGES as conectar/settings.py builds them with STORAGE_BACKEND=s3, buckets made."""
    for name, value in {
        "STORAGE_BACKEND": "s3",
        "AWS_S3_ENDPOINT_URL": s3_server,
        "AWS_ACCESS_KEY_ID": "conectar-test",
        "AWS_SECRET_ACCESS_KEY": "conectar-test-secret",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_REGION_NAME": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    built = runpy.run_path(str(ROOT / "conectar" / "settings.py"), run_name="conectar_settings_s3")
    settings.STORAGES = built["STORAGES"]
    settings.KYC_URL_SECONDS = built["KYC_URL_SECONDS"]
    call_command("setup_storage", verbosity=0)
    return client_for(s3_storages()["default"])


def pdf_document() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(300, 200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def objects(client, bucket: str) -> list[str]:
    return [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]


def key_of(url: str, bucket: str) -> str:
    path = urlsplit(url).path
    assert path.startswith(f"/{bucket}/"), url
    return path.removeprefix(f"/{bucket}/")


def test_setup_storage_makes_one_public_and_one_private_bucket_and_is_idempotent(s3):
    buckets = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert {BUCKET, KYC_BUCKET} <= buckets
    assert "Policy" in s3.get_bucket_policy(Bucket=BUCKET)
    block = s3.get_public_access_block(Bucket=KYC_BUCKET)["PublicAccessBlockConfiguration"]
    assert all(block.values()), block

    call_command("setup_storage", verbosity=0)  # a second run changes nothing and fails on nothing


def test_an_avatar_is_public_at_its_plain_url_and_the_old_one_is_deleted(client, s3):
    me = signed_up(client)
    avatars = []
    for colour in ("JPEG", "PNG"):
        upload = SimpleUploadedFile(f"foto.{colour.lower()}", image_bytes(colour), content_type="image/jpeg")
        response = client.post("/api/v1/users/me/avatar", {"file": upload}, headers=me.headers)
        assert response.status_code == 200, response.content
        avatars.append(response.json()["avatar_url"])

    first, second = avatars
    assert urlsplit(second).query == ""  # a plain, stable URL: no signature to expire
    served = httpx.get(second)  # anyone, no credentials
    assert served.status_code == 200
    assert served.content.startswith(b"\x89PNG")
    # replacing the avatar deleted the first object
    assert objects(s3, BUCKET) == [key_of(second, BUCKET)]
    assert httpx.get(first).status_code in {403, 404}


def test_a_portfolio_image_is_public_and_deleting_it_removes_the_object(client, s3):
    pro = new_professional(client)
    item = client.post("/api/v1/professional/portfolio", {"titulo": "Baño"}, content_type=JSON, headers=pro.headers)
    assert item.status_code == 201, item.content
    item_id = item.json()["id"]
    upload = SimpleUploadedFile("obra.jpg", image_bytes("JPEG"), content_type="image/jpeg")
    added = client.post(f"/api/v1/professional/portfolio/{item_id}/image", {"file": upload}, headers=pro.headers)
    assert added.status_code == 200, added.content
    [image] = added.json()["images"]
    key = key_of(image["url"], BUCKET)
    assert key.startswith("portfolio/")
    assert httpx.get(image["url"]).status_code == 200

    deleted = client.delete(f"/api/v1/professional/portfolio/{item_id}/image/{image['id']}", headers=pro.headers)

    assert deleted.status_code == 204
    assert key not in objects(s3, BUCKET)
    assert httpx.get(image["url"]).status_code in {403, 404}


def test_a_kyc_document_is_private_and_only_its_signed_link_reads_it(client, s3, settings):
    pro = new_professional(client)
    upload = SimpleUploadedFile("dni.pdf", pdf_document(), content_type="application/pdf")
    response = client.post("/api/v1/professional/kyc/upload", {"files": [upload]}, headers=pro.headers)
    assert response.status_code == 200, response.content
    before = time.time()
    [document] = client.get("/api/v1/professional/kyc", headers=pro.headers).json()["documentos"]

    # stored in the private bucket only
    key = key_of(document["url"], KYC_BUCKET)
    assert objects(s3, KYC_BUCKET) == [key]
    assert all(k.startswith(("avatars/", "portfolio/")) for k in objects(s3, BUCKET))

    # the signed link works, for KYC_URL_SECONDS
    signed = httpx.get(document["url"])
    assert signed.status_code == 200
    assert signed.content.startswith(b"%PDF-")
    assert signed.headers["content-type"] == "application/pdf"
    expires = int(parse_qs(urlsplit(document["url"]).query)["Expires"][0])
    assert before + settings.KYC_URL_SECONDS - 5 <= expires <= time.time() + settings.KYC_URL_SECONDS + 5
    assert document["url_expires_at"].startswith(time.strftime("%Y-%m-%dT%H:%M", time.gmtime(expires)))

    # without the signature, nobody reads it
    assert httpx.get(document["url"].split("?")[0]).status_code == 403
