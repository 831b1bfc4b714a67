"""The gateway's proxy to a lifted context (gateway/proxy.py), driven through Django's test client
(a WSGI request, as gunicorn gives) against a real HTTP server standing in for the service.
test_proxy_servers.py runs it under real daphne and gunicorn."""

from __future__ import annotations

import hashlib
import json
import types

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import include, path

from conectar.gateway.proxy import proxy_urlpatterns, service_breaker
from conectar.platform.breakers import reset_all
from tests.gateway.upstream import FIRST_CHUNK, Upstream, payload
from tests.support.network import unused_port

MB = 1024 * 1024


@pytest.fixture
def upstream():
    server = Upstream().start()
    yield server
    server.stop()


def mount(settings, remote_contexts: dict[str, str]) -> None:
    """This test's gateway: only the proxy, for `remote_contexts`, under /api/v1/."""
    urlconf = types.ModuleType("proxy_test_urls")
    urlconf.urlpatterns = [path("api/v1/", include(proxy_urlpatterns(remote_contexts)))]
    settings.ROOT_URLCONF = urlconf


@pytest.fixture
def lifted(settings, upstream):
    """payments, professionals and notifications lifted, all three served by the stand-in."""
    mount(settings, dict.fromkeys(("payments", "professionals", "notifications"), upstream.url))
    return upstream


def _echo(response) -> dict:
    assert response.status_code == 200, response.content[:500]
    return json.loads(b"".join(response.streaming_content))


def _header(echo: dict, name: str) -> list[str]:
    return [value for key, value in echo["headers"] if key == name]


def _is_service_unavailable(response) -> bool:
    body = json.loads(b"".join(response.streaming_content) if response.streaming else response.content)
    return (
        response.status_code == 503
        and response["Retry-After"] == "5"
        and body["code"] == "service_unavailable"
        and set(body) == {"detail", "code"}
    )


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_method_path_query_headers_and_body_reach_the_service(client, lifted, method):
    body = json.dumps({"monto": "1500.00", "nota": "ñandú"}).encode()
    response = client.generic(
        method,
        "/api/v1/payment/status/pay-123?page=2&q=%C3%B1and%C3%BA&q=otro",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer the-access-token",
        HTTP_X_REQUEST_ID="req-proxy-1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
        HTTP_ACCEPT_LANGUAGE="es-AR",
        HTTP_CONNECTION="keep-alive, X-Hop",
        HTTP_X_HOP="only for the gateway's own connection",
        HTTP_KEEP_ALIVE="timeout=5",
        HTTP_TE="trailers",
        HTTP_PROXY_AUTHORIZATION="Basic c2VjcmV0",
    )
    echo = _echo(response)

    assert echo["method"] == method
    assert echo["path"] == "/api/v1/payment/status/pay-123"
    assert echo["query"] == "page=2&q=%C3%B1and%C3%BA&q=otro", "the query as the client sent it"
    assert echo["body_bytes"] == len(body)
    assert echo["body_sha256"] == hashlib.sha256(body).hexdigest()
    assert _header(echo, "content-type") == ["application/json"]
    assert _header(echo, "content-length") == [str(len(body))]
    assert _header(echo, "authorization") == ["Bearer the-access-token"]
    assert _header(echo, "accept-language") == ["es-AR"]
    assert _header(echo, "x-request-id") == ["req-proxy-1"]
    assert _header(echo, "x-forwarded-for") == ["203.0.113.9, 127.0.0.1"], "the client's address appended"
    assert _header(echo, "x-forwarded-proto") == ["http"]
    assert _header(echo, "x-forwarded-host") == ["testserver"]
    assert _header(echo, "host") == [lifted.url.removeprefix("http://")], "the service's own host"
    for hop_by_hop in ("keep-alive", "te", "proxy-authorization", "x-hop", "transfer-encoding"):
        assert _header(echo, hop_by_hop) == [], hop_by_hop
    assert _header(echo, "accept-encoding") == [], "httpx adds none of its own"
    assert response["X-Request-ID"] == "req-proxy-1"


def test_a_request_without_an_id_gets_one_the_service_and_the_client_both_see(client, lifted):
    response = client.get("/api/v1/notify/history")
    echo = _echo(response)
    assert _header(echo, "x-request-id") == [response["X-Request-ID"]]
    assert len(response["X-Request-ID"]) >= 16


@pytest.mark.parametrize("status", [201, 204, 400, 401, 403, 404, 405, 409, 422, 429, 500, 503])
def test_the_services_status_headers_and_body_pass_through(client, lifted, status):
    response = client.post(f"/api/v1/payment/refund?stub=status&code={status}", HTTP_X_REQUEST_ID="req-status")

    assert response.status_code == status
    content = b"".join(response.streaming_content)
    if status != 204:
        assert json.loads(content) == {"detail": f"upstream {status}", "code": "upstream"}
        assert response["Content-Type"] == "application/json"
    else:
        assert content == b""
    assert response["X-Upstream"] == "yes"
    assert response["Allow"] == "GET, POST"
    assert {name: cookie.value for name, cookie in response.cookies.items()} == {"first": "1", "second": "2"}
    assert not response.has_header("Keep-Alive"), "hop-by-hop: not the client's connection"
    assert response["X-Request-ID"] == "req-status"


def test_a_multipart_upload_of_several_megabytes_reaches_the_service_whole(client, lifted):
    document = SimpleUploadedFile("dni.pdf", payload(6 * MB), content_type="application/pdf")
    raw = encode_multipart(BOUNDARY, {"kind": "dni_frente", "file": document})

    # 6 MB: more than DATA_UPLOAD_MAX_MEMORY_SIZE (1 MB), so this passes only because the proxy
    # streams the body instead of reading request.body, and leaves multipart parsing to the service.
    response = client.generic("POST", "/api/v1/professional/kyc/upload", data=raw, content_type=MULTIPART_CONTENT)
    echo = _echo(response)

    assert echo["method"] == "POST"
    assert echo["body_bytes"] == len(raw)
    assert echo["body_sha256"] == hashlib.sha256(raw).hexdigest()
    assert _header(echo, "content-type") == [MULTIPART_CONTENT]
    assert _header(echo, "content-length") == [str(len(raw))], "sent with its length, not chunked"


def test_a_download_is_handed_over_as_it_arrives(client, lifted):
    size = 5 * MB
    # The service sends the first chunk, then holds the rest until this test has that chunk: a
    # proxy that waited for the whole body would never return (the gate's failsafe would record it).
    response = client.get(f"/api/v1/professional/kyc/documents/doc-1?stub=stream&bytes={size}")

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Length"] == str(size)
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="documento.bin"'
    chunks = iter(response.streaming_content)
    received = next(chunks)
    while len(received) < FIRST_CHUNK:
        received += next(chunks)
    lifted.release_download.set()
    received += b"".join(chunks)

    assert lifted.download_gate == [True], "the first chunk reached the client before the rest existed"
    assert received == payload(size)


def test_a_service_that_does_not_answer_in_time_is_a_503_with_retry_after(client, lifted, settings):
    settings.GATEWAY_PROXY = {"read_timeout": 0.2}
    response = client.get("/api/v1/payment/status/pay-1?stub=hang")
    assert _is_service_unavailable(response)
    assert response.has_header("X-Request-ID")


def test_a_service_that_refuses_connections_is_a_503_with_retry_after(client, settings):
    mount(settings, {"payments": f"http://127.0.0.1:{unused_port()}"})
    assert _is_service_unavailable(client.post("/api/v1/payment/refund", {"x": 1}, content_type="application/json"))


def test_the_breaker_opens_after_its_failures_and_then_answers_503_without_calling(client, lifted):
    fail_max = service_breaker("payments").fail_max
    for _ in range(fail_max):  # the service hangs up without answering, each time
        assert _is_service_unavailable(client.get("/api/v1/payment/status/pay-1?stub=drop"))
    assert len(lifted.hits) == fail_max

    response = client.get("/api/v1/payment/status/pay-1")  # the service would answer this one
    assert _is_service_unavailable(response)
    assert len(lifted.hits) == fail_max, "the open breaker did not call the service"

    assert _echo(client.get("/api/v1/notify/history"))["path"] == "/api/v1/notify/history", "one breaker per context"
    reset_all()
    assert _echo(client.get("/api/v1/payment/status/pay-1"))["path"] == "/api/v1/payment/status/pay-1"


def test_the_services_own_5xx_answers_do_not_open_its_breaker(client, lifted):
    calls = service_breaker("payments").fail_max + 2
    for _ in range(calls):
        assert client.get("/api/v1/payment/status/pay-1?stub=status&code=503").status_code == 503
    assert len(lifted.hits) == calls, "every request reached the service"
    assert _echo(client.get("/api/v1/payment/status/pay-1"))["method"] == "GET"


def test_only_the_paths_a_lifted_context_owns_are_proxied(client, settings, upstream):
    mount(settings, {"payments": upstream.url})

    # MercadoPago's notifications reach a lifted payments through the gateway, on both paths.
    for webhook in ("/api/v1/payment/webhook/mercadopago", "/api/v1/webhook/mercadopago"):
        assert (
            _echo(client.post(f"{webhook}?data.id=123&type=payment", {}, content_type="application/json"))["path"]
            == webhook
        )
    # /payment/create is marketplace's checkout, not a payments route: not sent to payments.
    assert client.post("/api/v1/payment/create", {}, content_type="application/json").status_code == 404
    assert client.get("/api/v1/professional/me").status_code == 404
    assert upstream.hits == ["/api/v1/payment/webhook/mercadopago", "/api/v1/webhook/mercadopago"]
