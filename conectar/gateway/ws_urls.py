"""WebSocket routes under /ws/ (the marketplace chat mounts here, where the marketplace runs)."""

from django.conf import settings
from django.urls import path

websocket_urlpatterns: list = []
if "marketplace" in settings.CONTEXTS_HERE:
    from conectar.marketplace.http.chat_socket import ChatConsumer

    websocket_urlpatterns.append(path("ws/chat/<uuid:chat_id>/", ChatConsumer.as_asgi()))
