"""The Ninja API under /api/v1: every Ninja-served context's router is mounted here."""

from conectar.gateway.compositions.marketplace import FacadeDirectory
from conectar.gateway.session import router as session_router
from conectar.marketplace.http.api import router as marketplace_router
from conectar.marketplace.http.directory import plug
from conectar.notifications.http.api import router as notifications_router
from conectar.payments.http.api import router as payments_router
from conectar.platform.ninja_api import build_ninja_api
from conectar.professionals.http.api import router as professionals_router

api = build_ninja_api(urls_namespace="api")
api.add_router("", session_router)
api.add_router("", professionals_router)
plug(FacadeDirectory())  # the marketplace's pages name people from users and professionals
api.add_router("", marketplace_router)
api.add_router("", notifications_router)
api.add_router("", payments_router)
