"""What the schemathesis run (test_no_server_errors.py) needs: the live merged schema served by the
WSGI application in this process, a caller of each role, and requests that stay inside the test's
database transaction."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.marketplace.deals import new_deal, offer
from tests.support.accounts import Session, admin_session
from tests.support.professionals import oficio

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
ROLES = ("cliente", "profesional", "admin")


def load_schema():
    """GET /api/v1/schema through the real application, as any client reads it."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema", get_wsgi_application())
    # Our callers' tokens, not generated ones: the Authorization header is the role's (see caller).
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], with_security_parameters=False
    )
    return schema


@contextlib.contextmanager
def requests_in_the_test_transaction():
    """Django's handler closes "obsolete" connections around each request, which inside a test's
    transaction means closing it; Django's test Client switches that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@dataclass
class World:
    """A cliente and an approved professional with their chat, an open oferta, a trabajo waiting for
    its payment (MercadoPago: the local sandbox) and a portfolio item, and an admin: made afresh for
    each operation's run, so a logout, a password change or a ban in one operation's examples never
    reaches another's."""

    callers: dict[str, Session]
    ids: dict[str, str]  # path parameter name → an existing object's id


def new_world(client, django_user_model) -> World:
    deal = new_deal(client)
    accepted = offer(client, deal)
    assert accepted.status_code == 201, accepted.content
    accept = client.post(f"/api/v1/offers/{accepted.json()['id']}/accept", headers=deal.cliente.headers)
    assert accept.status_code == 200, accept.content
    oferta = offer(client, deal, descripcion="Revisión de la instalación de gas")
    assert oferta.status_code == 201, oferta.content
    json = {"content_type": "application/json", "headers": deal.pro.headers}
    item = client.post("/api/v1/professional/portfolio", {"titulo": "Baño completo"}, **json)
    assert item.status_code == 201, item.content
    ids = {
        "chat_id": deal.chat_id,
        "oferta_id": oferta.json()["id"],
        "trabajo_id": accept.json()["trabajo_id"],
        "professional_id": deal.pro.id,
        "id": deal.pro.id,  # /public/professional/{id}/portfolio
        "item_id": item.json()["id"],
        "oficio_id": str(oficio().pk),
    }
    callers = {
        "cliente": deal.cliente,
        "profesional": deal.pro.session,
        "admin": admin_session(client, django_user_model),
    }
    return World(callers, ids)


def aim_at_the_world(case, world: World, me: Session) -> None:
    """Positive examples name existing objects in their path (the caller's own where the path names
    a person), so the routes' real work runs with fuzzed bodies and queries; negative examples keep
    their generated (broken) path parameters."""
    if case.meta is None or case.meta.generation.mode != GenerationMode.POSITIVE:
        return
    for name in case.path_parameters:
        known = me.user_id if name == "user_id" else world.ids.get(name)
        if known is not None:
            case.path_parameters[name] = known
