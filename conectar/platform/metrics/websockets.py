"""Open WebSockets: an ASGI wrapper around the whole application, so every socket route counts.

A socket counts from the server's `websocket.accept` until it is closed (the application sends
`websocket.close` or returns after the client left)."""

from __future__ import annotations

from prometheus_client import Gauge

OPEN = Gauge(
    "conectar_websockets_open",
    "WebSocket connections accepted and not yet closed.",
    multiprocess_mode="livesum",
)


class CountOpenWebSockets:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        state = {"open": False}

        def closed() -> None:
            if state["open"]:
                state["open"] = False
                OPEN.dec()

        async def counting_send(message):
            if message["type"] == "websocket.accept" and not state["open"]:
                state["open"] = True
                OPEN.inc()
            elif message["type"] == "websocket.close":
                closed()
            await send(message)

        try:
            return await self.app(scope, receive, counting_send)
        finally:
            closed()
