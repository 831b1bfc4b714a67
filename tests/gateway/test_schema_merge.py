"""The merged OpenAPI document at /api/v1/schema is the same whether contexts are lifted or not
(gateway/openapi.py): a lifted context's part comes from its service (stand-ins serving what a
service serves, `context_schema(context)`), and is never silently missing."""

from __future__ import annotations

import json

import pytest

from conectar.gateway.openapi import context_schema, gateway_schema, merged_schema
from conectar.platform.topology import CONTEXTS
from tests.gateway.upstream import Upstream
from tests.support.network import unused_port


@pytest.fixture
def services():
    """A stand-in service per context, each serving that context's own document."""
    started = {context: Upstream(schema=context_schema(context)).start() for context in CONTEXTS}
    yield started
    for server in started.values():
        server.stop()


def _text(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False)


def test_a_services_document_holds_only_its_own_operations():
    payments = context_schema("payments")["paths"]
    assert "/api/v1/payment/webhook/mercadopago" in payments
    assert "/api/v1/payment/status/{payment_id}" in payments
    assert "/api/v1/payment/create" not in payments, "marketplace's checkout"
    assert "/api/v1/session" not in payments, "the gateway's own"
    assert set(context_schema("marketplace")["paths"]) >= {"/api/v1/payment/create", "/api/v1/chat/list"}


@pytest.mark.parametrize("lifted", [*([context] for context in CONTEXTS), ["payments", "notifications"], CONTEXTS])
def test_the_document_is_identical_whichever_contexts_are_lifted(services, lifted):
    monolith = merged_schema()
    composed = gateway_schema({context: services[context].url for context in lifted})

    assert composed == monolith
    assert _text(composed) == _text(monolith), "byte for byte, key order included"
    assert all(services[context].hits == ["/api/v1/schema"] for context in lifted), "each asked once"


def test_the_schema_route_serves_the_composed_document(client, settings, services):
    monolith = client.get("/api/v1/schema").content
    settings.REMOTE_CONTEXTS = {context: services[context].url for context in ("payments", "notifications")}

    response = client.get("/api/v1/schema")

    assert response.status_code == 200
    assert response.content == monolith


def test_a_service_that_is_down_makes_the_schema_a_503_never_a_partial_document(client, settings):
    settings.REMOTE_CONTEXTS = {"payments": f"http://127.0.0.1:{unused_port()}"}

    response = client.get("/api/v1/schema")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["code"] == "service_unavailable"


def test_a_failed_fetch_is_asked_again_and_a_good_one_is_kept(client, settings):
    service = Upstream(schema=None).start()  # answers 404 for its schema: not a document
    try:
        settings.REMOTE_CONTEXTS = {"payments": service.url}
        assert client.get("/api/v1/schema").status_code == 503

        service.schema = context_schema("payments")
        first = client.get("/api/v1/schema")
        assert first.status_code == 200
        assert first.json() == json.loads(_text(gateway_schema({})))
    finally:
        service.stop()
    # Kept for the life of the process (same code base as the gateway): the service being down now
    # does not take the document away.
    again = client.get("/api/v1/schema")
    assert again.status_code == 200
    assert again.content == first.content


def test_a_contexts_service_serves_only_its_own_part(client, settings):
    settings.CONECTAR_SERVICE = "payments"
    response = client.get("/api/v1/schema")
    assert response.status_code == 200
    assert response.json() == json.loads(_text(context_schema("payments")))
