"""Devtools' routes under /api/v1, mounted by conectar/urls.py only where devtools is installed."""

from django.urls import path

from conectar.devtools.http import router
from conectar.platform.ninja_api import build_ninja_api

api = build_ninja_api(urls_namespace="devtools")
api.add_router("", router)

urlpatterns = [path("", api.urls)]
