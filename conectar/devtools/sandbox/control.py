"""A small client of the sandbox's `/__sandbox/` controls (standard library only).

Used by the tests (`tests/support/mp_sandbox.py`) and by the staff "simular-pago" tool, which pays a
preference in the sandbox the way a person would on the checkout page.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any


class SandboxError(RuntimeError):
    def __init__(self, status: int, body: Any):
        super().__init__(f"sandbox answered {status}: {body}")
        self.status = status
        self.body = body


class SandboxControl:
    def __init__(self, base_url: str, *, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: Any = None, query: dict | None = None) -> Any:
        url = f"{self.base_url}{path}"
        if query:
            url += "?" + urllib.parse.urlencode({k: v for k, v in query.items() if v is not None})
        data = None if body is None else json.dumps(body, default=str).encode()
        request = urllib.request.Request(  # noqa: S310 — the sandbox's own http URL
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                return json.loads(answer.read() or b"null", parse_float=Decimal)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                payload = json.loads(raw, parse_float=Decimal)
            except ValueError:
                payload = raw.decode("utf-8", "replace")
            raise SandboxError(exc.code, payload) from None

    # --- payments and webhooks ---------------------------------------------------------------------

    def pay(
        self,
        preference_id: str,
        status: str = "approved",
        amount: Decimal | str | None = None,
        *,
        notify: bool = True,
        wait: bool = True,
        payer_email: str | None = None,
        ignore_expiry: bool = False,
    ) -> dict:
        """Pay the preference as its payer would; `amount` overrides the price (to plant a mismatch).
        With `wait`, answers once the webhook was delivered (or failed)."""
        body: dict[str, Any] = {"status": status, "notify": notify, "wait": wait, "ignore_expiry": ignore_expiry}
        if amount is not None:
            body["amount"] = str(amount)
        if payer_email:
            body["payer_email"] = payer_email
        return self._call("POST", f"/__sandbox/preferences/{urllib.parse.quote(preference_id, safe='')}/pay", body)

    def set_status(
        self, payment_id: str, status: str, *, status_detail: str | None = None, notify: bool = True, wait: bool = True
    ) -> dict:
        """MercadoPago changing the payment by itself: refunded, charged_back, in_mediation, cancelled…"""
        body = {"status": status, "notify": notify, "wait": wait}
        if status_detail:
            body["status_detail"] = status_detail
        return self._call("POST", f"/__sandbox/payments/{payment_id}/status", body)

    def replay(self, payment_id: str, copies: int = 1, *, wait: bool = True) -> list[dict]:
        """Deliver the payment's last webhook again, `copies` times (same body, fresh signature)."""
        return self._call("POST", f"/__sandbox/payments/{payment_id}/replay", {"copies": copies, "wait": wait})

    def send_webhooks(self, events: list[dict], *, wait: bool = True) -> list[dict]:
        """Send webhooks in this order: `[{"payment_id": "…", "action": "payment.updated"}, …]`."""
        return self._call("POST", "/__sandbox/webhooks/send", {"events": events, "wait": wait})

    def capture_webhooks(self, capture: bool = True) -> dict:
        """Hold webhooks (state "captured") instead of sending them, until `release`."""
        return self.configure(capture_webhooks=capture)

    def release(self, ids: list[int] | None = None, *, reverse: bool = False, wait: bool = True) -> list[dict]:
        """Send captured webhooks: these ids in this order, or all of them (oldest first, or reversed)."""
        return self._call("POST", "/__sandbox/webhooks/release", {"ids": ids, "reverse": reverse, "wait": wait})

    def webhooks(self, payment_id: str | None = None) -> list[dict]:
        return self._call("GET", "/__sandbox/webhooks", query={"payment_id": payment_id})

    def payments(self, external_reference: str | None = None) -> list[dict]:
        return self._call("GET", "/__sandbox/payments", query={"external_reference": external_reference})

    def payment(self, payment_id: str) -> dict:
        for candidate in self.payments():
            if str(candidate["id"]) == str(payment_id):
                return candidate
        raise SandboxError(404, f"payment {payment_id} not found")

    def set_transfer_status(self, intent_id: str, status: str) -> dict:
        return self._call("POST", f"/__sandbox/transaction-intents/{intent_id}/status", {"status": status})

    # --- faults, records, configuration --------------------------------------------------------------

    def fail_next(self, path_prefix: str, count: int = 1, *, status: int = 500, method: str | None = None) -> dict:
        """The next `count` API requests under `path_prefix` answer `status` without doing anything."""
        return self._fault(path_prefix, count, "error", status=status, method=method)

    def hang_next(
        self,
        path_prefix: str,
        count: int = 1,
        *,
        seconds: float = 5.0,
        perform: bool = False,
        method: str | None = None,
    ) -> dict:
        """The next `count` requests under `path_prefix` answer only after `seconds` (the client times
        out). `perform=True`: the operation IS done first (a refund happens, its answer is lost)."""
        mode = "perform_then_hang" if perform else "hang"
        return self._fault(path_prefix, count, mode, seconds=seconds, method=method)

    def _fault(self, path_prefix: str, count: int, mode: str, **extra: Any) -> dict:
        return self._call(
            "POST", "/__sandbox/faults", {"path_prefix": path_prefix, "count": count, "mode": mode, **extra}
        )

    def requests(self, path_prefix: str = "", method: str | None = None) -> list[dict]:
        """Requests received on the API (method, path, query, headers, body), oldest first."""
        return self._call("GET", "/__sandbox/requests", query={"path_prefix": path_prefix, "method": method})

    def configure(self, **settings: Any) -> dict:
        """capture_webhooks, webhook_ts_unit ("s"|"ms"), notify_on_refund, transfer_status,
        webhook_secret, webhook_timeout."""
        return self._call("POST", "/__sandbox/config", settings)

    def reset(self) -> dict:
        return self._call("POST", "/__sandbox/reset", {})

    def state(self) -> dict:
        return self._call("GET", "/__sandbox/state")

    def health(self) -> dict:
        return self._call("GET", "/__sandbox/health")
