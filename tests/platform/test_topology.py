"""Which contexts a process runs (platform/topology.py), and what a context's own service can and
cannot reach: only its own database alias, only its own queues and routes; every other context's facade is a
remote call and its internals cannot even be imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conectar.platform.topology import CONTEXTS, TopologyError, topology_from

ROOT = Path(__file__).resolve().parents[2]


def test_no_service_urls_is_the_monolith():
    topology = topology_from({})
    assert (topology.service, topology.here, topology.remote) == ("", CONTEXTS, {})


def test_a_service_url_lifts_that_context_out_of_the_gateway_process():
    topology = topology_from({"PAYMENTS_SERVICE_URL": "http://payments:8000/", "NOTIFICATIONS_SERVICE_URL": " "})
    assert topology.is_gateway
    assert "payments" not in topology.here
    assert "notifications" in topology.here  # a blank URL lifts nothing
    assert topology.remote == {"payments": "http://payments:8000"}


def test_a_context_service_runs_only_itself_and_finds_the_rest_at_the_gateway_or_their_own_service():
    topology = topology_from(
        {
            "CONECTAR_SERVICE": "notifications",
            "GATEWAY_SERVICE_URL": "http://gateway:8000",
            "PAYMENTS_SERVICE_URL": "http://payments:8000",
        }
    )
    assert (topology.service, topology.here) == ("notifications", ("notifications",))
    assert topology.remote["payments"] == "http://payments:8000"
    assert topology.remote["auth_ctx"] == topology.remote["marketplace"] == "http://gateway:8000"
    assert "notifications" not in topology.remote


@pytest.mark.parametrize(
    "environ",
    [{"CONECTAR_SERVICE": "billing", "GATEWAY_SERVICE_URL": "http://g"}, {"CONECTAR_SERVICE": "payments"}],
)
def test_a_service_that_cannot_work_refuses_to_start(environ):
    with pytest.raises(TopologyError):
        topology_from(environ)


PROBE = textwrap.dedent(
    """
    import json, django
    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.db.utils import ConnectionDoesNotExist
    import io

    found = {"aliases": sorted(settings.DATABASES), "default": settings.DATABASES["default"]["ENGINE"]}
    try:
        connections["marketplace"].ensure_connection()
        found["marketplace"] = "reached"
    except ConnectionDoesNotExist:
        found["marketplace"] = "no such alias"
    try:
        import conectar.marketplace.models  # noqa: F401
        found["marketplace_models"] = "imported"
    except RuntimeError:
        found["marketplace_models"] = "not installed"
    from conectar.marketplace import facade as marketplace
    from conectar.payments import facade as payments
    found["marketplace_facade_remote"] = hasattr(marketplace.trabajo, "__facade__")
    found["payments_facade_remote"] = hasattr(payments.payment_summary, "__facade__")
    found["apps"] = sorted(a for a in settings.INSTALLED_APPS if a.startswith("conectar."))
    from django.urls import Resolver404, resolve
    served = {}
    for path in ("/api/v1/payment/webhook/mercadopago", "/api/v1/users/me", "/api/v1/auth/login", "/admin/"):
        try:
            resolve(path)
            served[path] = True
        except Resolver404:
            served[path] = False
    found["served"] = served
    out = io.StringIO()
    call_command("celery_queues", "all", stdout=out)
    found["queues"] = out.getvalue().strip().split(",")
    print(json.dumps(found))
    """
)


def test_a_lifted_payments_process_has_no_other_contexts_database_code_or_queues():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "conectar.settings",
        "CONECTAR_ENV": "development",
        "CONECTAR_SERVICE": "payments",
        "GATEWAY_SERVICE_URL": "http://127.0.0.1:9",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["aliases"] == ["default", "payments"]
    assert found["default"] == "django.db.backends.dummy"
    assert found["marketplace"] == "no such alias"
    assert found["marketplace_models"] == "not installed"
    assert (found["marketplace_facade_remote"], found["payments_facade_remote"]) == (True, False)
    assert found["apps"] == ["conectar.payments", "conectar.platform", "conectar.platform.eventbus"]
    assert sorted(found["queues"]) == ["celery", "eventbus.payments", "events.payments"]
    # Its own routes only: not the gateway's compositions, another context's routes, or the admin.
    assert found["served"] == {
        "/api/v1/payment/webhook/mercadopago": True,
        "/api/v1/users/me": False,
        "/api/v1/auth/login": False,
        "/admin/": False,
    }


def test_a_publisher_elsewhere_routes_to_exactly_the_handlers_a_context_registers(settings):
    """The declaration a publisher in another process reads (AppConfig.listens) names the same
    (event, handler) pairs the subscriber registers where it runs, with the same atomicity."""
    from conectar.platform.eventbus import subscriptions

    lifted = ("payments", "notifications", "marketplace", "professionals", "users")
    settings.REMOTE_CONTEXTS = dict.fromkeys(lifted, "http://127.0.0.1:9")
    subscriptions._remote_subscriptions.cache_clear()
    try:
        declared = {
            (s.event_type, s.key, s.context, s.atomic)
            for subs in subscriptions._remote_subscriptions().values()
            for s in subs
        }
    finally:
        subscriptions._remote_subscriptions.cache_clear()
    registered = {
        (s.event_type, s.key, s.context, s.atomic)
        for subs in subscriptions._by_event.values()
        for s in subs
        if s.context in lifted and s.key.startswith("conectar.")
    }
    assert declared == registered
    assert {context for *_, context, _ in declared} == set(lifted)
