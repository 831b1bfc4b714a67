"""The sandbox's HTTP face: MercadoPago's API paths we use, the checkout page, and `/__sandbox/` controls.

MercadoPago API (needs `Authorization: Bearer <any non-empty token>`, else 401; every request is
recorded and may be hit by an injected fault):
    POST /checkout/preferences                    GET /checkout/preferences/{id}
    GET  /v1/payments/{id}                        GET /v1/payments/search
    POST /v1/payments/{id}/refunds                GET /v1/payments/{id}/refunds
    POST /v1/transaction-intents/process          GET /v1/transaction-intents/{id}
Checkout page (a person pays here):
    GET  /checkout/v1/redirect?pref_id=…          POST /checkout/v1/redirect (form: pref_id, decision)
Controls (JSON in and out; no auth; see `control.SandboxControl` for a client):
    POST /__sandbox/reset                         GET  /__sandbox/state | /__sandbox/health
    GET  /__sandbox/requests?path_prefix=&method= POST /__sandbox/faults, GET /__sandbox/faults
    GET|POST /__sandbox/config                    GET  /__sandbox/payments?external_reference=
    POST /__sandbox/preferences/{id}/pay          POST /__sandbox/payments/{id}/status
    POST /__sandbox/payments/{id}/replay          GET  /__sandbox/webhooks?payment_id=
    POST /__sandbox/webhooks/send                 POST /__sandbox/webhooks/release
    POST /__sandbox/transaction-intents/{id}/status
Controls that emit webhooks take `"wait": true` to answer only once they were delivered (or failed).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import urllib.parse
from collections.abc import Callable
from decimal import Decimal
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from conectar.devtools.sandbox import page
from conectar.devtools.sandbox.state import Delivery, SandboxState, dumps

_MAX_BODY = 1_000_000
Answer = tuple[int, Any]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    sandbox: MercadoPagoSandbox


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "MercadoPagoSandbox/1.0"

    # --- plumbing -----------------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.sandbox.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _read_body(self, *, form: bool) -> tuple[bytes, Any]:
        """The checkout page posts a form; the API and the controls take JSON whatever the header."""
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, _MAX_BODY)) if length else b""
        if not raw:
            return raw, None
        if form:
            return raw, dict(urllib.parse.parse_qsl(raw.decode("utf-8", "replace")))
        try:
            return raw, json.loads(raw, parse_float=Decimal)
        except ValueError:
            return raw, raw.decode("utf-8", "replace")

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        with contextlib.suppress(OSError):  # the client may have given up (timeouts, hangs)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    def _json(self, answer: Answer) -> None:
        status, body = answer
        if isinstance(body, Delivery):
            body = body.public()
        elif isinstance(body, list):
            body = [b.public() if isinstance(b, Delivery) else b for b in body]
        self._send(status, dumps(body), "application/json; charset=utf-8")

    def _html(self, status: int, html: str) -> None:
        self._send(status, html.encode(), "text/html; charset=utf-8")

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.FOUND, b"", "text/plain", {"Location": location})

    def _dispatch(self, method: str) -> None:
        sandbox = self.server.sandbox
        parsed = urllib.parse.urlsplit(self.path)
        path = parsed.path
        query = dict(urllib.parse.parse_qsl(parsed.query))
        try:
            _, body = self._read_body(form=path.startswith("/checkout/v1/"))
        except (OSError, ValueError):
            self._json((400, {"message": "unreadable body", "error": "bad_request", "status": 400, "cause": []}))
            return
        if path.startswith("/__sandbox/"):
            self._route(_CONTROL_ROUTES, method, path, query, body)
            return
        if path.startswith("/checkout/v1/"):
            self._route(_PAGE_ROUTES, method, path, query, body)
            return
        state = sandbox.state
        state.record(method=method, path=path, query=parsed.query, headers=dict(self.headers.items()), body=body)
        fault = state.take_fault(method, path)
        if fault is not None and fault.mode == "error":
            self._json(
                (
                    fault.status,
                    {
                        "message": "internal_error",
                        "error": "internal_server_error",
                        "status": fault.status,
                        "cause": [],
                    },
                )
            )
            return
        if fault is not None and fault.mode == "hang":
            state.hang(fault.seconds)
            self._json((504, {"message": "timeout", "error": "gateway_timeout", "status": 504, "cause": []}))
            return
        authorization = self.headers.get("Authorization", "")
        if not authorization.startswith("Bearer ") or not authorization[len("Bearer ") :].strip():
            self._json((401, {"message": "invalid access token", "error": "unauthorized", "status": 401, "cause": []}))
            return
        answer = self._resolve(_API_ROUTES, method, path, query, body)
        if fault is not None:  # perform_then_hang: done, but the answer comes too late for the client
            state.hang(fault.seconds)
        self._json(answer)

    def _resolve(self, routes: list, method: str, path: str, query: dict, body: Any) -> Answer:
        for route_method, pattern, handler in routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return handler(self, query, body, *match.groups())
        return 404, {"message": f"resource {path} not found", "error": "not_found", "status": 404, "cause": []}

    def _route(self, routes: list, method: str, path: str, query: dict, body: Any) -> None:
        answer = self._resolve(routes, method, path, query, body)
        if answer is not None:
            self._json(answer)

    @property
    def _idempotency_key(self) -> str | None:
        return self.headers.get("X-Idempotency-Key") or None

    # --- MercadoPago API ----------------------------------------------------------------------------

    def api_create_preference(self, query: dict, body: Any) -> Answer:
        return self.server.sandbox.state.create_preference(body, self._idempotency_key)

    def api_get_preference(self, query: dict, body: Any, pref_id: str) -> Answer:
        return self.server.sandbox.state.get_preference(pref_id)

    def api_search_payments(self, query: dict, body: Any) -> Answer:
        return self.server.sandbox.state.search_payments(query)

    def api_get_payment(self, query: dict, body: Any, payment_id: str) -> Answer:
        return self.server.sandbox.state.get_payment(payment_id)

    def api_refund(self, query: dict, body: Any, payment_id: str) -> Answer:
        return self.server.sandbox.state.refund(payment_id, body, self._idempotency_key)

    def api_list_refunds(self, query: dict, body: Any, payment_id: str) -> Answer:
        return self.server.sandbox.state.list_refunds(payment_id)

    def api_process_transfer(self, query: dict, body: Any) -> Answer:
        return self.server.sandbox.state.process_transfer(body, self._idempotency_key)

    def api_get_transfer(self, query: dict, body: Any, intent_id: str) -> Answer:
        return self.server.sandbox.state.get_transfer(intent_id)

    # --- checkout page ------------------------------------------------------------------------------

    def page_checkout(self, query: dict, body: Any) -> None:
        state = self.server.sandbox.state
        status, preference = state.get_preference(query.get("pref_id", ""))
        if status != HTTPStatus.OK:
            self._html(404, page.message("Pago no encontrado", "No existe esa preferencia de pago."))
            return
        amount = state.preference_amount(preference)
        self._html(200, page.checkout(preference, amount, expired=state.preference_expired(preference)))

    def page_pay(self, query: dict, body: Any) -> None:
        state = self.server.sandbox.state
        form = body if isinstance(body, dict) else {}
        decision = form.get("decision")
        if decision not in ("approved", "rejected"):
            self._html(400, page.message("Pago inválido", "Elegí Aprobar o Rechazar."))
            return
        pref_id = form.get("pref_id", "")
        spec = {"status": decision, "payer_email": form.get("payer_email") or None}
        status, payment = state.pay(pref_id, spec)
        if status != HTTPStatus.CREATED:
            self._html(status, page.message("No se pudo pagar", payment.get("message", "")))
            return
        preference = state.get_preference(pref_id)[1]
        target = (preference.get("back_urls") or {}).get(
            {"approved": "success", "rejected": "failure"}.get(payment["status"], "pending")
        )
        if not target:
            self._html(200, page.result(payment))
            return
        params = {
            "collection_id": payment["id"],
            "collection_status": payment["status"],
            "payment_id": payment["id"],
            "status": payment["status"],
            "external_reference": payment.get("external_reference") or "null",
            "payment_type": payment["payment_type_id"],
            "merchant_order_id": payment["order"]["id"],
            "preference_id": pref_id,
            "site_id": "MLA",
            "processing_mode": "aggregator",
            "merchant_account_id": "null",
        }
        separator = "&" if "?" in target else "?"
        self._redirect(f"{target}{separator}{urllib.parse.urlencode(params)}")

    # --- controls -----------------------------------------------------------------------------------

    def _waited(self, answer: Answer, body: Any) -> Answer:
        """Answer after the webhooks the control emitted were delivered, if asked to wait."""
        status, result = answer
        if not (isinstance(body, dict) and body.get("wait")) or status >= HTTPStatus.BAD_REQUEST:
            return answer
        sandbox = self.server.sandbox
        deliveries = result if isinstance(result, list) else sandbox.state.list_deliveries(str(result.get("id")))
        for delivery in deliveries:
            if isinstance(delivery, Delivery):
                delivery.done.wait(sandbox.state.webhook_timeout + 2)
        return answer

    def ctl_health(self, query: dict, body: Any) -> Answer:
        return 200, {"ok": True, "url": self.server.sandbox.url}

    def ctl_reset(self, query: dict, body: Any) -> Answer:
        return 200, self.server.sandbox.state.reset()

    def ctl_state(self, query: dict, body: Any) -> Answer:
        return 200, self.server.sandbox.state.snapshot()

    def ctl_requests(self, query: dict, body: Any) -> Answer:
        state = self.server.sandbox.state
        return 200, state.list_requests(path_prefix=query.get("path_prefix", ""), method=query.get("method"))

    def ctl_add_fault(self, query: dict, body: Any) -> Answer:
        return self.server.sandbox.state.add_fault(body if isinstance(body, dict) else {})

    def ctl_faults(self, query: dict, body: Any) -> Answer:
        return 200, [f.public() for f in self.server.sandbox.state.faults]

    def ctl_get_config(self, query: dict, body: Any) -> Answer:
        return 200, self.server.sandbox.state.public_config()

    def ctl_set_config(self, query: dict, body: Any) -> Answer:
        return self.server.sandbox.state.configure(body if isinstance(body, dict) else {})

    def ctl_payments(self, query: dict, body: Any) -> Answer:
        return 200, self.server.sandbox.state.list_payments(query.get("external_reference"))

    def ctl_pay(self, query: dict, body: Any, pref_id: str) -> Answer:
        spec = body if isinstance(body, dict) else {}
        return self._waited(self.server.sandbox.state.pay(pref_id, spec), spec)

    def ctl_set_status(self, query: dict, body: Any, payment_id: str) -> Answer:
        spec = body if isinstance(body, dict) else {}
        state = self.server.sandbox.state
        before = {d.id for d in state.list_deliveries(payment_id)}
        answer = state.set_status(payment_id, spec)
        if spec.get("wait") and answer[0] == HTTPStatus.OK:
            for delivery in state.list_deliveries(payment_id):
                if delivery.id not in before:
                    delivery.done.wait(state.webhook_timeout + 2)
        return answer

    def ctl_replay(self, query: dict, body: Any, payment_id: str) -> Answer:
        spec = body if isinstance(body, dict) else {}
        try:
            copies = int(spec.get("copies", 1))
        except (TypeError, ValueError):
            copies = 1
        return self._waited(self.server.sandbox.state.replay(payment_id, copies), spec)

    def ctl_webhooks(self, query: dict, body: Any) -> Answer:
        return 200, self.server.sandbox.state.list_deliveries(query.get("payment_id"))

    def ctl_send_webhooks(self, query: dict, body: Any) -> Answer:
        spec = body if isinstance(body, dict) else {}
        return self._waited(self.server.sandbox.state.send_webhooks(spec.get("events")), spec)

    def ctl_release(self, query: dict, body: Any) -> Answer:
        spec = body if isinstance(body, dict) else {}
        ids = spec.get("ids")
        if ids is not None and not (isinstance(ids, list) and all(isinstance(i, int) for i in ids)):
            return 400, {"message": "ids must be a list of integers", "error": "bad_request"}
        return self._waited(self.server.sandbox.state.release(ids, reverse=bool(spec.get("reverse"))), spec)

    def ctl_set_transfer_status(self, query: dict, body: Any, intent_id: str) -> Answer:
        return self.server.sandbox.state.set_transfer_status(intent_id, body if isinstance(body, dict) else {})


def _routes(*specs: tuple[str, str, Callable]) -> list:
    return [(method, re.compile(pattern), handler) for method, pattern, handler in specs]


_SEGMENT = r"([^/]+)"
_API_ROUTES = _routes(
    ("POST", r"/checkout/preferences", _Handler.api_create_preference),
    ("GET", rf"/checkout/preferences/{_SEGMENT}", _Handler.api_get_preference),
    ("GET", r"/v1/payments/search", _Handler.api_search_payments),
    ("GET", rf"/v1/payments/{_SEGMENT}", _Handler.api_get_payment),
    ("POST", rf"/v1/payments/{_SEGMENT}/refunds", _Handler.api_refund),
    ("GET", rf"/v1/payments/{_SEGMENT}/refunds", _Handler.api_list_refunds),
    ("POST", r"/v1/transaction-intents/process", _Handler.api_process_transfer),
    ("GET", rf"/v1/transaction-intents/{_SEGMENT}", _Handler.api_get_transfer),
)
_PAGE_ROUTES = _routes(
    ("GET", r"/checkout/v1/redirect", _Handler.page_checkout),
    ("POST", r"/checkout/v1/redirect", _Handler.page_pay),
)
_CONTROL_ROUTES = _routes(
    ("GET", r"/__sandbox/health", _Handler.ctl_health),
    ("POST", r"/__sandbox/reset", _Handler.ctl_reset),
    ("GET", r"/__sandbox/state", _Handler.ctl_state),
    ("GET", r"/__sandbox/requests", _Handler.ctl_requests),
    ("POST", r"/__sandbox/faults", _Handler.ctl_add_fault),
    ("GET", r"/__sandbox/faults", _Handler.ctl_faults),
    ("GET", r"/__sandbox/config", _Handler.ctl_get_config),
    ("POST", r"/__sandbox/config", _Handler.ctl_set_config),
    ("GET", r"/__sandbox/payments", _Handler.ctl_payments),
    ("POST", rf"/__sandbox/preferences/{_SEGMENT}/pay", _Handler.ctl_pay),
    ("POST", rf"/__sandbox/payments/{_SEGMENT}/status", _Handler.ctl_set_status),
    ("POST", rf"/__sandbox/payments/{_SEGMENT}/replay", _Handler.ctl_replay),
    ("GET", r"/__sandbox/webhooks", _Handler.ctl_webhooks),
    ("POST", r"/__sandbox/webhooks/send", _Handler.ctl_send_webhooks),
    ("POST", r"/__sandbox/webhooks/release", _Handler.ctl_release),
    ("POST", rf"/__sandbox/transaction-intents/{_SEGMENT}/status", _Handler.ctl_set_transfer_status),
)


class MercadoPagoSandbox:
    """A local stand-in for MercadoPago's API. `start()` serves in a background thread (tests);
    `serve_forever()` blocks (`python -m conectar.devtools.sandbox`)."""

    def __init__(
        self,
        *,
        webhook_secret: str,
        host: str = "127.0.0.1",
        port: int = 0,
        public_url: str | None = None,
        webhook_timeout: float = 5.0,
        notification_url: str | None = None,
        verbose: bool = False,
    ):
        self.verbose = verbose
        self._httpd = _Server((host, port), _Handler)
        self._httpd.sandbox = self
        bound_host, bound_port = self._httpd.server_address[:2]
        self.url = (public_url or f"http://{bound_host}:{bound_port}").rstrip("/")
        self.port = bound_port
        self.state = SandboxState(
            webhook_secret=webhook_secret,
            base_url=self.url,
            webhook_timeout=webhook_timeout,
            notification_url=notification_url,
        )
        self._thread: threading.Thread | None = None

    def start(self) -> MercadoPagoSandbox:
        self.state.start()
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="mp-sandbox", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.state.start()
        try:
            self._httpd.serve_forever()
        finally:
            self.state.stop()
            self._httpd.server_close()

    def stop(self) -> None:
        self.state.release_hangs()
        self._httpd.shutdown()
        self._httpd.server_close()
        self.state.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
