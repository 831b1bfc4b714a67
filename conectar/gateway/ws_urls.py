"""WebSocket routes under /ws/ (the marketplace chat mounts here)."""

websocket_urlpatterns: list = []
