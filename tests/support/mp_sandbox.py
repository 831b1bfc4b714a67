"""The local MercadoPago for tests: the real SDK talks HTTP to it on 127.0.0.1.

Fixtures (registered for the whole suite by `pytest_plugins` in tests/conftest.py):
- `mp_sandbox`: the sandbox, reset for this test, with Django settings pointing at it
  (MERCADOPAGO_BASE_URL, _ACCESS_TOKEN, _WEBHOOK_SECRET, MERCADOPAGO_SANDBOX=True, a tiny retry
  backoff) and the "mercadopago" breaker closed. It is an `MPSandbox` (below): the control client
  plus a few waiting/reading helpers. Webhooks go to each preference's `notification_url`, whatever
  it is (a `live_server` URL, or `mp_webhook_receiver.url`).
- `mp_webhook_receiver`: a tiny HTTP server recording the webhooks it gets (answers 200, or what
  `respond_with(status)` says), for tests that want the raw notification rather than our endpoint.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from conectar.devtools.sandbox import MercadoPagoSandbox, SandboxControl
from conectar.platform import breakers
from tests.support.waiting import wait_until

WEBHOOK_SECRET = "test-webhook-secret"
ACCESS_TOKEN = "TEST-0000000000000000-000000-sandbox"


def header(request: dict, name: str) -> str | None:
    """A header of a recorded request, by case-insensitive name."""
    wanted = name.lower()
    return next((value for key, value in request["headers"].items() if key.lower() == wanted), None)


class MPSandbox(SandboxControl):
    """Control client of the in-process sandbox (see `SandboxControl` for pay/set_status/replay/
    send_webhooks/capture_webhooks/release/fail_next/hang_next/requests/configure/reset…)."""

    def __init__(self, server: MercadoPagoSandbox):
        super().__init__(server.url)
        self.server = server
        self.url = server.url
        self.webhook_secret = server.state.webhook_secret
        self.access_token = ACCESS_TOKEN

    def refunds(self, payment_id: str) -> list[dict]:
        """The refunds MercadoPago holds for the payment."""
        return self.payment(payment_id)["refunds"]

    def transfers(self) -> list[dict]:
        return self.state()["transaction_intents"]

    def wait_for_webhooks(self, *, payment_id: str | None = None, count: int = 1, timeout: float = 10.0) -> list[dict]:
        """Wait until at least `count` webhooks (of the payment) were delivered or failed; return them."""

        def finished() -> list[dict] | None:
            done = [w for w in self.webhooks(payment_id) if w["state"] in ("delivered", "failed", "skipped")]
            return done if len(done) >= count else None

        return wait_until(finished, timeout=timeout, message=f"{count} webhook(s) delivered")


_server: MercadoPagoSandbox | None = None
# What the test worker process needs to reach the sandbox: it reads its settings from the
# environment, so these are exported before it starts (pytest_configure runs before any fixture).
WORKER_ENVIRONMENT = {
    "MERCADOPAGO_ACCESS_TOKEN": ACCESS_TOKEN,
    "MERCADOPAGO_WEBHOOK_SECRET": WEBHOOK_SECRET,
    "MERCADOPAGO_SANDBOX": "true",
    "MERCADOPAGO_RETRY_BACKOFF_SECONDS": "0.01",
    "PAYMENTS_RETRY_BACKOFF_SECONDS": "0.2",
}


def pytest_configure(config):
    # The SDK warns on every preference with a notification_url; we set it on purpose (client.py).
    config.addinivalue_line("filterwarnings", "ignore:notification_url is deprecated:DeprecationWarning")
    global _server  # noqa: PLW0603 - one sandbox per test session
    _server = MercadoPagoSandbox(webhook_secret=WEBHOOK_SECRET, webhook_timeout=3.0).start()
    os.environ.update({**WORKER_ENVIRONMENT, "MERCADOPAGO_BASE_URL": _server.url})


def pytest_unconfigure(config):
    if _server is not None:
        _server.stop()


@pytest.fixture(scope="session")
def mp_sandbox_server():
    return _server


@pytest.fixture
def mp_sandbox(mp_sandbox_server, settings):
    sandbox = MPSandbox(mp_sandbox_server)
    sandbox.reset()
    settings.MERCADOPAGO_BASE_URL = mp_sandbox_server.url
    settings.MERCADOPAGO_ACCESS_TOKEN = ACCESS_TOKEN
    settings.MERCADOPAGO_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.MERCADOPAGO_SANDBOX = True
    settings.MERCADOPAGO_RETRY_BACKOFF_SECONDS = 0.01
    breakers.reset_all()  # MercadoPago's among them (payments' own reset is its internal)
    yield sandbox
    sandbox.reset()  # also wakes any request still held by a hang fault
    breakers.reset_all()  # MercadoPago's among them (payments' own reset is its internal)


@dataclass
class ReceivedWebhook:
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any


class WebhookReceiver:
    def __init__(self):
        self.received: list[ReceivedWebhook] = []
        self.status = 200
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                parts = urlsplit(self.path)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with receiver._lock:
                    receiver.received.append(
                        ReceivedWebhook(
                            path=parts.path,
                            query=dict(parse_qsl(parts.query)),
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                        )
                    )
                    status = receiver.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/webhook/mercadopago"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def respond_with(self, status: int) -> None:
        with self._lock:
            self.status = status

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedWebhook]:
        return wait_until(
            lambda: list(self.received) if len(self.received) >= count else None,
            timeout=timeout,
            message=f"{count} webhook(s) received",
        )

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def mp_webhook_receiver():
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()
