"""WebSocket routes under /ws/ (the marketplace chat mounts here)."""

from django.urls import path

from conectar.marketplace.http.chat_socket import ChatConsumer

websocket_urlpatterns: list = [
    path("ws/chat/<uuid:chat_id>/", ChatConsumer.as_asgi()),
]
