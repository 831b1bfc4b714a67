"""What the schemathesis run (test_no_server_errors.py) needs: the live merged schema served by the
WSGI application in this process, a caller of each role, and requests that stay inside the test's
database transaction."""

from __future__ import annotations

import contextlib

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

from tests.support import professionals
from tests.support.accounts import Session, admin_session, signed_up
from tests.support.events import deliver_outbox

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


def caller(client, django_user_model, role: str) -> Session:
    """A fresh account of `role` (each operation's run starts from its own, so a logout, a password
    change or a ban in one operation's examples never reaches another's)."""
    if role == "admin":
        return admin_session(client, django_user_model)
    if role == "profesional":
        return professionals.new_professional(client).session
    session = signed_up(client)
    deliver_outbox()  # the users profile, as a real client would find it
    return session
