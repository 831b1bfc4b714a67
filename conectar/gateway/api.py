"""The Ninja API under /api/v1: every Ninja-served context's router is mounted here."""

from django.conf import settings

from conectar.gateway.session import router as session_router
from conectar.platform.ninja_api import build_ninja_api

api = build_ninja_api(urls_namespace="api")
if not settings.CONECTAR_SERVICE:  # the gateway's own routes; a context's service serves only its own
    api.add_router("", session_router)
# Only the contexts this process runs: a lifted one's modules cannot be imported here (its app is
# not installed) and the gateway proxies its paths instead (gateway/proxy.py).
if "professionals" in settings.CONTEXTS_HERE:
    from conectar.professionals.http.api import router as professionals_router

    api.add_router("", professionals_router)
if "marketplace" in settings.CONTEXTS_HERE:
    from conectar.gateway.compositions.marketplace import FacadeDirectory
    from conectar.marketplace.http.api import router as marketplace_router
    from conectar.marketplace.http.directory import plug

    plug(FacadeDirectory())  # the marketplace's pages name people from users and professionals
    api.add_router("", marketplace_router)
if "notifications" in settings.CONTEXTS_HERE:
    from conectar.notifications.http.api import router as notifications_router

    api.add_router("", notifications_router)
if "payments" in settings.CONTEXTS_HERE:
    from conectar.payments.http.api import router as payments_router

    api.add_router("", payments_router)
