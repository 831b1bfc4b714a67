"""The proxy in a real gateway process, under daphne (ASGI, development) and gunicorn (WSGI,
production): the settings lift payments to a stand-in service and notifications to a port nobody
listens on, as the environment of a deployment would (`<CTX>_SERVICE_URL`)."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from tests.e2e.system import BIN, LOGS, ROOT, Process, _answers
from tests.gateway.upstream import FIRST_CHUNK, GATE_SECONDS, Upstream, payload
from tests.support import worker as worker_harness
from tests.support.network import unused_port

MB = 1024 * 1024


def _server_cmd(kind: str, port: int) -> list[str]:
    if kind == "daphne":
        return [str(BIN / "daphne"), "-b", "127.0.0.1", "-p", str(port), "conectar.asgi:application"]
    return [
        str(BIN / "gunicorn"),
        *("--bind", f"127.0.0.1:{port}", "--workers", "1", "--threads", "4", "--worker-class", "gthread"),
        "conectar.wsgi:application",
    ]


@pytest.fixture(scope="module")
def upstream():
    server = Upstream().start()
    yield server
    server.stop()


@pytest.fixture(scope="module", params=["daphne", "gunicorn"])
def gateway(request, upstream):
    kind = request.param
    port = unused_port()
    env = {
        **os.environ,
        **worker_harness.test_database_env(),
        "DJANGO_SETTINGS_MODULE": "conectar.settings",
        "CONECTAR_ENV": "test",
        "PYTHONPATH": str(ROOT),
        "DB_POOL_SIZE": "1",
        "PAYMENTS_SERVICE_URL": upstream.url,
        "NOTIFICATIONS_SERVICE_URL": f"http://127.0.0.1:{unused_port()}",
    }
    LOGS.mkdir(parents=True, exist_ok=True)
    server = Process(f"gateway-proxy-{kind}", _server_cmd(kind, port), env)
    url = f"http://127.0.0.1:{port}"
    try:
        server.wait_for(lambda: _answers(url), what=f"{kind} answering")
        yield kind, url
    finally:
        server.terminate()
        server.wait()


@pytest.fixture
def http(gateway):
    with httpx.Client(base_url=gateway[1], timeout=GATE_SECONDS * 2) as client:
        yield client


@pytest.fixture(autouse=True)
def _fresh_gates(upstream):
    upstream.release_download.clear()
    upstream.upload_started.clear()
    upstream.download_gate.clear()


def test_a_request_reaches_the_service_with_its_id_and_the_answer_comes_back(http, upstream):
    response = http.post(
        "/api/v1/payment/refund?x=1",
        json={"monto": "10.00"},
        headers={"X-Request-ID": "req-real-1", "Authorization": "Bearer t"},
    )
    assert response.status_code == 200, response.text
    echo = response.json()
    headers = dict(echo["headers"])
    assert (echo["method"], echo["path"], echo["query"]) == ("POST", "/api/v1/payment/refund", "x=1")
    assert headers["x-request-id"] == "req-real-1"
    assert headers["authorization"] == "Bearer t"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert response.headers["X-Request-ID"] == "req-real-1"


def test_a_download_reaches_the_client_as_it_arrives(http, upstream):
    size = 8 * MB
    with http.stream("GET", f"/api/v1/payment/status/doc?stub=stream&bytes={size}") as response:
        assert response.status_code == 200
        assert response.headers["Content-Length"] == str(size)
        chunks = response.iter_raw()
        received = b""
        while len(received) < FIRST_CHUNK:
            received += next(chunks)
        upstream.release_download.set()  # the rest exists only now
        received += b"".join(chunks)
    assert upstream.download_gate == [True], "the server handed over the first chunk before the rest existed"
    assert received == payload(size)


def test_an_upload_reaches_the_service_whole(gateway, http, upstream):
    kind, _ = gateway
    # A well-formed multipart body: Twisted (under daphne) answers 400 to a malformed one itself.
    raw = encode_multipart(BOUNDARY, {"file": SimpleUploadedFile("video.mp4", payload(12 * MB), "video/mp4")})
    gate: list[bool] = []

    def body():
        yield raw[: 2 * MB]
        if kind == "gunicorn":
            # WSGI hands the gateway the socket: the service has the first part before the client
            # sends the rest. (daphne reads the whole body before Django runs: spooled to disk.)
            gate.append(upstream.upload_started.wait(GATE_SECONDS))
        yield raw[2 * MB :]

    response = http.post(
        "/api/v1/payment/payout?stub=gate-upload",
        content=body(),
        headers={"Content-Type": MULTIPART_CONTENT, "Content-Length": str(len(raw))},
    )

    assert response.status_code == 200, response.text
    echo = response.json()
    assert echo["body_bytes"] == len(raw)
    assert echo["body_sha256"] == hashlib.sha256(raw).hexdigest()
    assert gate == ([True] if kind == "gunicorn" else [])


def test_a_lifted_context_that_is_down_is_a_503_with_retry_after(http):
    response = http.get("/api/v1/notify/history")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["code"] == "service_unavailable"
    assert response.headers["X-Request-ID"]


def test_marketplaces_payment_create_stays_in_the_gateway(http, upstream):
    hits = len(upstream.hits)
    response = http.post("/api/v1/payment/create", json={})
    assert response.status_code in {401, 403, 422}, "answered by marketplace's own route here"
    assert len(upstream.hits) == hits
