"""HTTP and WebSocket in one ASGI application (development runs this; production serves HTTP
through gunicorn/WSGI and only /ws/ through an ASGI server)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectar.settings")
django_asgi_app = get_asgi_application()  # sets Django up before anything imports models

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from conectar.gateway.ws_urls import websocket_urlpatterns  # noqa: E402
from conectar.platform.metrics.websockets import CountOpenWebSockets  # noqa: E402

application = CountOpenWebSockets(  # conectar_websockets_open, whatever the socket's route
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
        }
    )
)
