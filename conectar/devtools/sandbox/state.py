"""What the sandbox knows and does, without HTTP: preferences, payments, refunds, Money Out intents,
idempotency, recorded requests, injected faults and webhook deliveries. Standard library only.

Every operation answers `(http_status, json_body)` in MercadoPago's shapes (a subset of their fields,
same names). All state sits behind one lock; webhooks are sent by one background thread, in the
order they were emitted, each with a short timeout, and what our server answered is recorded.
"""

from __future__ import annotations

import itertools
import json
import queue
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from conectar.devtools.sandbox.signing import sign_webhook

AR_TZ = timezone(timedelta(hours=-3))  # MercadoPago Argentina stamps dates in -03:00
COLLECTOR_ID = 1_234_567_890  # the platform's MercadoPago account in the sandbox
SITE_ID = "MLA"
CURRENCY_ID = "ARS"
_CENT = Decimal("0.01")
_CBU_CVU = re.compile(r"\d{22}")
_ALIAS = re.compile(r"[A-Za-z0-9.]{6,20}")
_NOW_EXPR = re.compile(r"NOW(?:-(\d+)(DAYS|HOURS|MINUTES))?")

PAYMENT_STATUSES = (
    "approved",
    "rejected",
    "pending",
    "in_process",
    "authorized",
    "refunded",
    "charged_back",
    "in_mediation",
    "cancelled",
)
DEFAULT_STATUS_DETAIL = {
    "approved": "accredited",
    "rejected": "cc_rejected_other_reason",
    "pending": "pending_waiting_payment",
    "in_process": "pending_contingency",
    "authorized": "pending_capture",
    "refunded": "refunded",
    "charged_back": "settled",
    "in_mediation": "in_mediation",
    "cancelled": "by_collector",
}
TRANSFER_STATUSES = ("approved", "processing", "rejected", "cancelled")
FAULT_MODES = ("error", "hang", "perform_then_hang")

DEFAULT_CONFIG: dict[str, Any] = {
    "capture_webhooks": False,  # keep webhooks (status "captured") until released, instead of sending
    "webhook_ts_unit": "s",  # "s" or "ms": the unit of `ts` in x-signature
    "notify_on_refund": True,  # an API refund sends payment.updated, as MercadoPago does
    "transfer_status": "approved",  # what a new Money Out intent answers
    # The webhook URL "configured in MercadoPago's panel": used when a preference has no notification_url.
    "notification_url": None,
}


class _RedirectsAreAnswers(urllib.request.HTTPRedirectHandler):
    """MercadoPago does not follow a redirect of its webhook POST: a 3xx is what our server answered."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_NO_REDIRECTS = urllib.request.build_opener(_RedirectsAreAnswers)


def now() -> datetime:
    return datetime.now(AR_TZ)


def stamp(moment: datetime | None = None) -> str:
    return (moment or now()).isoformat(timespec="milliseconds")


def _error(status: int, message: str, error: str, cause: list | None = None) -> tuple[int, dict]:
    return status, {"message": message, "error": error, "status": status, "cause": cause or []}


def _not_found(message: str) -> tuple[int, dict]:
    return _error(404, message, "not_found", [{"code": "not_found", "description": message}])


def _bad_request(message: str, error: str = "bad_request", code: str = "bad_request") -> tuple[int, dict]:
    return _error(400, message, error, [{"code": code, "description": message}])


def _money(value: Any) -> Decimal | None:
    """A positive amount with at most 2 decimals, or None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(_CENT):
        return None
    return amount.quantize(_CENT)


def _parse_date(value: str) -> datetime | None:
    value = value.strip()
    match = _NOW_EXPR.fullmatch(value)
    if match:
        amount, unit = match.groups()
        if not amount:
            return now()
        return now() - timedelta(**{unit.lower(): int(amount)})
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def dumps(body: Any) -> bytes:
    """JSON with Decimal amounts as numbers."""
    return json.dumps(body, default=float, ensure_ascii=False).encode()


@dataclass
class Fault:
    id: int
    path_prefix: str
    method: str | None
    mode: str
    remaining: int
    status: int = 500
    seconds: float = 0.0

    def public(self) -> dict:
        return {
            "id": self.id,
            "path_prefix": self.path_prefix,
            "method": self.method,
            "mode": self.mode,
            "remaining": self.remaining,
            "status": self.status,
            "seconds": self.seconds,
        }


@dataclass
class Delivery:
    id: int
    payment_id: str
    action: str
    url: str | None
    body: dict
    state: str  # captured | queued | delivered | failed | skipped
    created_at: str = field(default_factory=stamp)
    request_id: str | None = None
    headers: dict = field(default_factory=dict)
    response_status: int | None = None
    error: str | None = None
    delivered_at: str | None = None
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    def public(self) -> dict:
        return {
            "id": self.id,
            "payment_id": self.payment_id,
            "action": self.action,
            "url": self.url,
            "body": self.body,
            "state": self.state,
            "created_at": self.created_at,
            "request_id": self.request_id,
            "headers": self.headers,
            "response_status": self.response_status,
            "error": self.error,
            "delivered_at": self.delivered_at,
        }


class SandboxState:
    def __init__(
        self, *, webhook_secret: str, base_url: str, webhook_timeout: float = 5.0, notification_url: str | None = None
    ):
        self.webhook_secret = webhook_secret
        self.panel_notification_url = notification_url
        self.base_url = base_url
        self.webhook_timeout = webhook_timeout
        self._lock = threading.RLock()
        self._release_hangs = threading.Event()
        # Ids grow from the start time, so a restarted sandbox does not reuse ids a database kept.
        start = int(time.time() * 1000)
        self._ids = itertools.count(start)
        self._seq = itertools.count(1)
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._clear()

    def _clear(self) -> None:
        self.config = {**DEFAULT_CONFIG, "notification_url": self.panel_notification_url}
        self.preferences: dict[str, dict] = {}
        self.payments: dict[str, dict] = {}
        self.transfers: dict[str, dict] = {}
        self.idempotency: dict[tuple[str, str], tuple[int, dict]] = {}
        self.requests: list[dict] = []
        self.faults: list[Fault] = []
        self.deliveries: list[Delivery] = []
        self.last_notification: dict[str, dict] = {}  # payment id -> last webhook body

    # --- lifecycle ----------------------------------------------------------------------------------

    def start(self) -> None:
        self._worker = threading.Thread(target=self._deliver_loop, name="mp-sandbox-webhooks", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        self.release_hangs()
        if self._worker is not None:
            self._queue.put(None)
            self._worker.join(timeout=self.webhook_timeout + 1)
            self._worker = None

    def reset(self) -> dict:
        self.release_hangs()
        with self._lock:
            for delivery in self.deliveries:  # queued ones still in the worker's queue are dropped
                if delivery.state in ("queued", "captured"):
                    delivery.state = "skipped"
                    delivery.error = "reset"
                    delivery.done.set()
            self._clear()
        return {"reset": True}

    def release_hangs(self) -> None:
        """Wake every request held by a hang fault (reset and shutdown must not wait for them)."""
        with self._lock:
            event, self._release_hangs = self._release_hangs, threading.Event()
        event.set()

    def hang(self, seconds: float) -> None:
        with self._lock:
            event = self._release_hangs
        event.wait(seconds)

    def _next_id(self) -> int:
        return next(self._ids)

    # --- recording and faults -----------------------------------------------------------------------

    def record(self, *, method: str, path: str, query: str, headers: dict[str, str], body: Any) -> None:
        with self._lock:
            self.requests.append(
                {
                    "seq": next(self._seq),
                    "at": stamp(),
                    "method": method,
                    "path": path,
                    "query": query,
                    "headers": headers,
                    "body": body,
                }
            )

    def list_requests(self, *, path_prefix: str = "", method: str | None = None) -> list[dict]:
        with self._lock:
            return [
                r
                for r in self.requests
                if r["path"].startswith(path_prefix) and (method is None or r["method"] == method.upper())
            ]

    def add_fault(self, spec: dict) -> tuple[int, dict]:
        mode = spec.get("mode", "error")
        path_prefix = spec.get("path_prefix")
        if mode not in FAULT_MODES or not isinstance(path_prefix, str) or not path_prefix.startswith("/"):
            return _bad_request(f"mode must be one of {FAULT_MODES} and path_prefix a path")
        try:
            fault = Fault(
                id=next(self._seq),
                path_prefix=path_prefix,
                method=(spec.get("method") or None) and str(spec["method"]).upper(),
                mode=mode,
                remaining=int(spec.get("count", 1)),
                status=int(spec.get("status", 500)),
                seconds=float(spec.get("seconds", 0)),
            )
        except (TypeError, ValueError):
            return _bad_request("count, status and seconds must be numbers")
        with self._lock:
            self.faults.append(fault)
        return 201, fault.public()

    def take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.remaining > 0 and path.startswith(fault.path_prefix) and fault.method in (None, method):
                    fault.remaining -= 1
                    return fault
        return None

    # --- configuration ------------------------------------------------------------------------------

    _SETTINGS: ClassVar[dict[str, Callable[[Any], bool]]] = {
        "webhook_secret": lambda v: isinstance(v, str) and bool(v),
        "webhook_timeout": lambda v: isinstance(v, int | float) and v > 0,
        "webhook_ts_unit": lambda v: v in ("s", "ms"),
        "transfer_status": lambda v: v in TRANSFER_STATUSES,
        "capture_webhooks": lambda v: isinstance(v, bool),
        "notify_on_refund": lambda v: isinstance(v, bool),
        "notification_url": lambda v: v is None or isinstance(v, str),
    }

    def configure(self, changes: dict) -> tuple[int, dict]:
        invalid = [key for key, value in changes.items() if not self._SETTINGS.get(key, lambda _: False)(value)]
        if invalid:
            return _bad_request(f"unknown or invalid settings: {invalid}")
        with self._lock:
            for key, value in changes.items():
                if key == "webhook_secret":
                    self.webhook_secret = value
                elif key == "webhook_timeout":
                    self.webhook_timeout = float(value)
                else:
                    self.config[key] = value or None if key == "notification_url" else value
            return 200, self.public_config()

    def public_config(self) -> dict:
        with self._lock:
            return {**self.config, "webhook_timeout": self.webhook_timeout}

    # --- idempotency --------------------------------------------------------------------------------

    def _remembered(self, scope: str, key: str | None) -> tuple[int, dict] | None:
        return self.idempotency.get((scope, key)) if key else None

    def _remember(self, scope: str, key: str | None, answer: tuple[int, dict]) -> tuple[int, dict]:
        if key:
            self.idempotency[(scope, key)] = answer
        return answer

    # --- preferences --------------------------------------------------------------------------------

    def create_preference(self, body: Any, idempotency_key: str | None) -> tuple[int, dict]:
        if not isinstance(body, dict):
            return _bad_request("the body must be a JSON object")
        items = body.get("items")
        if not isinstance(items, list) or not items:
            return _bad_request("items needed", "invalid_items", "invalid_items")
        clean_items = []
        for item in items:
            price = _money(item.get("unit_price")) if isinstance(item, dict) else None
            quantity = item.get("quantity", 1) if isinstance(item, dict) else None
            if price is None or not isinstance(quantity, int) or quantity < 1 or not item.get("title"):
                return _bad_request("invalid item: title, quantity >= 1 and unit_price > 0", "invalid_items")
            clean_items.append(
                {
                    "id": str(item.get("id") or ""),
                    "title": str(item["title"]),
                    "quantity": quantity,
                    "unit_price": price,
                    "currency_id": item.get("currency_id") or CURRENCY_ID,
                    "description": item.get("description") or "",
                }
            )
        if body.get("expiration_date_to") and _parse_date(str(body["expiration_date_to"])) is None:
            return _bad_request("expiration_date_to is not a date", "invalid_expiration_date_to")
        with self._lock:
            remembered = self._remembered("preference", idempotency_key)
            if remembered:
                return remembered
            pref_id = f"{COLLECTOR_ID}-{uuid.uuid4()}"
            checkout = f"{self.base_url}/checkout/v1/redirect?pref_id={pref_id}"
            preference = {
                "id": pref_id,
                "collector_id": COLLECTOR_ID,
                "client_id": str(COLLECTOR_ID),
                "site_id": SITE_ID,
                "operation_type": "regular_payment",
                "marketplace": "NONE",
                "date_created": stamp(),
                "items": clean_items,
                "payer": body.get("payer") or {},
                "external_reference": body.get("external_reference") or "",
                "back_urls": body.get("back_urls") or {},
                "auto_return": body.get("auto_return") or "",
                "notification_url": body.get("notification_url"),
                "statement_descriptor": body.get("statement_descriptor"),
                "binary_mode": bool(body.get("binary_mode", False)),
                "expires": bool(body.get("expires", False)),
                "expiration_date_from": body.get("expiration_date_from"),
                "expiration_date_to": body.get("expiration_date_to"),
                "metadata": body.get("metadata") or {},
                "init_point": checkout,
                "sandbox_init_point": checkout,
            }
            self.preferences[pref_id] = preference
            return self._remember("preference", idempotency_key, (201, preference))

    def get_preference(self, pref_id: str) -> tuple[int, dict]:
        with self._lock:
            preference = self.preferences.get(pref_id)
        if preference is None:
            return _not_found(f"The preference with identifier {pref_id} was not found")
        return 200, preference

    @staticmethod
    def preference_amount(preference: dict) -> Decimal:
        return sum((item["unit_price"] * item["quantity"] for item in preference["items"]), Decimal("0.00"))

    @staticmethod
    def preference_expired(preference: dict) -> bool:
        if not preference.get("expires") or not preference.get("expiration_date_to"):
            return False
        limit = _parse_date(str(preference["expiration_date_to"]))
        return limit is not None and now() > limit

    # --- payments -----------------------------------------------------------------------------------

    def pay(self, pref_id: str, spec: dict) -> tuple[int, dict]:
        """A payer paid (or tried to pay) the preference: the payment exists, the webhook follows."""
        status = spec.get("status", "approved")
        if status not in PAYMENT_STATUSES:
            return _bad_request(f"status must be one of {PAYMENT_STATUSES}")
        with self._lock:
            preference = self.preferences.get(pref_id)
            if preference is None:
                return _not_found(f"The preference with identifier {pref_id} was not found")
            if self.preference_expired(preference) and not spec.get("ignore_expiry"):
                return _bad_request("the preference expired", "expired_preference", "expired_preference")
            amount = self.preference_amount(preference)
            if spec.get("amount") is not None:
                amount = _money(spec["amount"])
                if amount is None:
                    return _bad_request("amount must be positive with at most 2 decimals")
            payment_id = str(self._next_id())
            created = now()
            payer_email = (
                spec.get("payer_email") or (preference.get("payer") or {}).get("email") or "test_user@testuser.com"
            )
            payment = {
                "id": int(payment_id),
                "date_created": stamp(created),
                "date_approved": stamp(created) if status == "approved" else None,
                "date_last_updated": stamp(created),
                "money_release_date": stamp(created) if status == "approved" else None,
                "operation_type": "regular_payment",
                "payment_method_id": "account_money",
                "payment_type_id": "account_money",
                "status": status,
                "status_detail": spec.get("status_detail") or DEFAULT_STATUS_DETAIL[status],
                "currency_id": CURRENCY_ID,
                "description": preference["items"][0]["title"],
                "live_mode": False,
                "collector_id": COLLECTOR_ID,
                "payer": {"id": str(self._next_id()), "email": payer_email, "type": "customer"},
                "metadata": dict(preference.get("metadata") or {}),
                "external_reference": preference.get("external_reference") or None,
                "transaction_amount": amount,
                "transaction_amount_refunded": Decimal("0.00"),
                "transaction_details": {"total_paid_amount": amount, "net_received_amount": amount},
                "statement_descriptor": preference.get("statement_descriptor"),
                "order": {"id": self._next_id(), "type": "mercadopago"},
                # Not always in MercadoPago's payment resource; the sandbox includes it for tracing.
                "preference_id": pref_id,
                "refunds": [],
                "notification_url": preference.get("notification_url"),
            }
            self.payments[payment_id] = payment
            if spec.get("notify", True):
                self._emit(payment_id, "payment.created")
            return 201, payment

    def get_payment(self, payment_id: str) -> tuple[int, dict]:
        with self._lock:
            payment = self.payments.get(payment_id)
        if payment is None:
            return _not_found("Payment not found")
        return 200, payment

    def list_payments(self, external_reference: str | None = None) -> list[dict]:
        with self._lock:
            return [p for p in self.payments.values() if external_reference in (None, p.get("external_reference"))]

    def search_payments(self, query: dict[str, str]) -> tuple[int, dict]:
        date_field = query.get("range", "date_created")
        if date_field not in ("date_created", "date_approved", "date_last_updated"):
            return _bad_request("range must be date_created, date_approved or date_last_updated")
        begin = _parse_date(query["begin_date"]) if query.get("begin_date") else None
        end = _parse_date(query["end_date"]) if query.get("end_date") else None
        if (query.get("begin_date") and begin is None) or (query.get("end_date") and end is None):
            return _bad_request("begin_date and end_date must be ISO 8601 dates or NOW-<n>DAYS")
        try:
            offset = int(query.get("offset", 0))
            limit = int(query.get("limit", 30))
        except ValueError:
            return _bad_request("offset and limit must be integers")
        if offset < 0 or not 1 <= limit <= 1000:  # noqa: PLR2004
            return _bad_request("limit must be 1..1000 and offset >= 0")
        sort = query.get("sort", "date_created")
        if sort not in ("date_created", "date_approved", "date_last_updated", "id"):
            return _bad_request("invalid sort")
        descending = query.get("criteria", "desc") != "asc"

        def when(payment: dict, name: str) -> datetime | None:
            return _parse_date(payment[name]) if payment.get(name) else None

        with self._lock:
            found = []
            for payment in self.payments.values():
                if query.get("external_reference") and payment.get("external_reference") != query["external_reference"]:
                    continue
                if query.get("status") and payment["status"] != query["status"]:
                    continue
                moment = when(payment, date_field)
                if (begin or end) and moment is None:
                    continue
                if (begin and moment < begin) or (end and moment > end):
                    continue
                found.append(payment)
        floor = datetime.min.replace(tzinfo=UTC)
        found.sort(key=lambda p: (p["id"],) if sort == "id" else (when(p, sort) or floor, p["id"]), reverse=descending)
        return 200, {
            "paging": {"total": len(found), "limit": limit, "offset": offset},
            "results": found[offset : offset + limit],
        }

    def set_status(self, payment_id: str, spec: dict) -> tuple[int, dict]:
        """MercadoPago changed the payment on its own (refund from its panel, chargeback, mediation…)."""
        status = spec.get("status")
        if status not in PAYMENT_STATUSES:
            return _bad_request(f"status must be one of {PAYMENT_STATUSES}")
        with self._lock:
            payment = self.payments.get(payment_id)
            if payment is None:
                return _not_found("Payment not found")
            if status == "refunded":
                remaining = payment["transaction_amount"] - payment["transaction_amount_refunded"]
                if remaining > 0:
                    self._add_refund(payment, remaining, source="collector")
            payment["status"] = status
            payment["status_detail"] = spec.get("status_detail") or DEFAULT_STATUS_DETAIL[status]
            payment["date_last_updated"] = stamp()
            if status == "approved" and not payment.get("date_approved"):
                payment["date_approved"] = stamp()
            if spec.get("notify", True):
                self._emit(payment_id, "payment.updated")
            return 200, payment

    # --- refunds ------------------------------------------------------------------------------------

    def _add_refund(self, payment: dict, amount: Decimal, *, source: str) -> dict:
        refund = {
            "id": self._next_id(),
            "payment_id": payment["id"],
            "amount": amount,
            "metadata": {},
            "source": {"id": str(COLLECTOR_ID), "name": "Conectar", "type": source},
            "date_created": stamp(),
            "unique_sequence_number": None,
            "refund_mode": "standard",
            "adjustment_amount": Decimal("0.00"),
            "status": "approved",
            "reason": None,
            "labels": [],
            "amount_refunded_to_payer": amount,
            "partition_details": [],
        }
        payment["refunds"].append(refund)
        payment["transaction_amount_refunded"] += amount
        payment["date_last_updated"] = stamp()
        return refund

    def refund(self, payment_id: str, body: Any, idempotency_key: str | None) -> tuple[int, dict]:
        body = body if isinstance(body, dict) else {}
        with self._lock:
            remembered = self._remembered(f"refund:{payment_id}", idempotency_key)
            if remembered:
                return remembered
            payment = self.payments.get(payment_id)
            if payment is None:
                return _not_found("Payment not found")
            if payment["status"] != "approved":
                return _bad_request(
                    f"Payment in status {payment['status']} cannot be refunded", "invalid_payment_status", "2063"
                )
            remaining = payment["transaction_amount"] - payment["transaction_amount_refunded"]
            amount = remaining
            if body.get("amount") is not None:
                amount = _money(body["amount"])
                if amount is None:
                    return _bad_request("Invalid refund amount", "invalid_refund_amount", "4040")
            if amount > remaining:
                return _bad_request(
                    f"The refund amount {amount} is greater than the available {remaining}",
                    "amount_exceeds_available",
                    "4040",
                )
            refund = self._add_refund(payment, amount, source="collector")
            if payment["transaction_amount_refunded"] >= payment["transaction_amount"]:
                payment["status"], payment["status_detail"] = "refunded", "refunded"
            else:
                payment["status_detail"] = "partially_refunded"
            if self.config["notify_on_refund"]:
                self._emit(payment_id, "payment.updated")
            return self._remember(f"refund:{payment_id}", idempotency_key, (201, refund))

    def list_refunds(self, payment_id: str) -> tuple[int, Any]:
        with self._lock:
            payment = self.payments.get(payment_id)
        if payment is None:
            return _not_found("Payment not found")
        return 200, payment["refunds"]

    # --- Money Out ----------------------------------------------------------------------------------

    def process_transfer(self, body: Any, idempotency_key: str | None) -> tuple[int, dict]:
        if not idempotency_key:
            return _bad_request("X-Idempotency-Key header is required", "idempotency_key_required")
        with self._lock:
            remembered = self._remembered("transaction-intent", idempotency_key)
            if remembered:
                return remembered
        answer = self._validate_transfer(body)
        if answer[0] != 200:  # noqa: PLR2004
            return answer  # a refused request is not remembered: the caller may fix and resend
        transaction = answer[1]
        with self._lock:
            remembered = self._remembered("transaction-intent", idempotency_key)
            if remembered:
                return remembered
            created = stamp()
            status = self.config["transfer_status"]
            intent = {
                "id": str(uuid.uuid4()),
                "created_date": created,
                "last_updated_date": created,
                "external_reference": body.get("external_reference"),
                "point_of_interaction": body.get("point_of_interaction") or {"type": "PSP_TRANSFER"},
                "status": status,
                "status_detail": "accredited" if status == "approved" else status,
                "transaction": transaction,
            }
            self.transfers[intent["id"]] = intent
            return self._remember("transaction-intent", idempotency_key, (200, intent))

    @staticmethod
    def _validate_transfer(body: Any) -> tuple[int, dict]:
        transaction = body.get("transaction") if isinstance(body, dict) else None
        if not isinstance(transaction, dict):
            return _bad_request("transaction is required")
        try:
            destinations = transaction["to"]["accounts"]
            origins = transaction["from"]["accounts"]
        except (KeyError, TypeError):
            return _bad_request("transaction.from.accounts and transaction.to.accounts are required")
        if not isinstance(destinations, list) or len(destinations) != 1 or not isinstance(destinations[0], dict):
            return _bad_request("exactly one destination account (transaction.to) per call")
        destination = destinations[0]
        number = str(destination.get("number") or "")
        alias = str(destination.get("alias") or "")
        if not (_CBU_CVU.fullmatch(number) or (not number and _ALIAS.fullmatch(alias))):
            return _bad_request(
                "Invalid destination account: a CBU/CVU has 22 digits, an alias 6-20 letters, digits or dots",
                "invalid_account",
                "invalid_destination_account",
            )
        amount = _money(destination.get("amount"))
        total = _money(transaction.get("total_amount"))
        origin_total = sum((_money(o.get("amount")) or Decimal(0) for o in origins if isinstance(o, dict)), Decimal(0))
        if amount is None or total != amount or origin_total != amount:
            return _bad_request("amounts must be positive and add up (from = to = total_amount)", "invalid_amount")
        return 200, {
            "from": {"accounts": [{"amount": amount}]},
            "to": {"accounts": [{**destination, "amount": amount}]},
            "total_amount": amount,
        }

    def get_transfer(self, intent_id: str) -> tuple[int, dict]:
        with self._lock:
            intent = self.transfers.get(intent_id)
        if intent is None:
            return _not_found("Transaction intent not found")
        return 200, intent

    def set_transfer_status(self, intent_id: str, spec: dict) -> tuple[int, dict]:
        status = spec.get("status")
        if status not in TRANSFER_STATUSES:
            return _bad_request(f"status must be one of {TRANSFER_STATUSES}")
        with self._lock:
            intent = self.transfers.get(intent_id)
            if intent is None:
                return _not_found("Transaction intent not found")
            intent["status"] = status
            intent["status_detail"] = spec.get("status_detail") or status
            intent["last_updated_date"] = stamp()
            return 200, intent

    # --- webhooks -----------------------------------------------------------------------------------

    def _emit(self, payment_id: str, action: str, body: dict | None = None) -> Delivery:
        """Create (and queue, unless capturing) one webhook for the payment. Caller holds the lock."""
        payment = self.payments[payment_id]
        if body is None:
            body = {
                "action": action,
                "api_version": "v1",
                "data": {"id": payment_id},
                "date_created": stamp(),
                "id": self._next_id(),
                "live_mode": False,
                "type": "payment",
                "user_id": str(COLLECTOR_ID),
            }
        self.last_notification[payment_id] = body
        url = payment.get("notification_url") or self.config["notification_url"]
        state = "skipped" if not url else ("captured" if self.config["capture_webhooks"] else "queued")
        delivery = Delivery(
            id=next(self._seq), payment_id=payment_id, action=body["action"], url=url, body=body, state=state
        )
        self.deliveries.append(delivery)
        if state == "queued":
            self._queue.put(delivery)
        elif state == "skipped":
            delivery.error = "no notification_url (preference) nor panel notification_url (config)"
            delivery.done.set()
        return delivery

    def replay(self, payment_id: str, copies: int = 1) -> tuple[int, Any]:
        """MercadoPago delivering the payment's last notification again (same body, new signature)."""
        with self._lock:
            if payment_id not in self.payments:
                return _not_found("Payment not found")
            last = self.last_notification.get(payment_id)
            if last is None:
                return _bad_request("no webhook was sent for this payment yet")
            deliveries = [self._emit(payment_id, last["action"], body=last) for _ in range(max(1, copies))]
        return 200, deliveries

    def send_webhooks(self, events: Any) -> tuple[int, Any]:
        """Send webhooks for these payments, in this order: `[{"payment_id", "action"?}, ...]`."""
        if not isinstance(events, list) or not events:
            return _bad_request("events must be a non-empty list")
        with self._lock:
            for event in events:
                if not isinstance(event, dict) or str(event.get("payment_id")) not in self.payments:
                    return _not_found(f"Payment not found: {event!r}")
            deliveries = [
                self._emit(str(event["payment_id"]), str(event.get("action") or "payment.updated")) for event in events
            ]
        return 200, deliveries

    def release(self, ids: list[int] | None = None, *, reverse: bool = False) -> tuple[int, Any]:
        """Send captured webhooks: those `ids` in that order, or all captured ones (oldest first)."""
        with self._lock:
            captured = {d.id: d for d in self.deliveries if d.state == "captured"}
            if ids is None:
                chosen = sorted(captured.values(), key=lambda d: d.id)
            else:
                missing = [i for i in ids if i not in captured]
                if missing:
                    return _not_found(f"not captured: {missing}")
                chosen = [captured[i] for i in ids]
            if reverse:
                chosen.reverse()
            for delivery in chosen:
                delivery.state = "queued"
                self._queue.put(delivery)
        return 200, chosen

    def list_deliveries(self, payment_id: str | None = None) -> list[Delivery]:
        with self._lock:
            return [d for d in self.deliveries if payment_id in (None, d.payment_id)]

    def _deliver_loop(self) -> None:
        while True:
            delivery = self._queue.get()
            if delivery is None:
                return
            if delivery.state != "queued":  # reset while it waited
                continue
            try:
                self._deliver(delivery)
            except Exception as exc:  # noqa: BLE001 — one bad delivery must not stop the worker
                with self._lock:
                    delivery.state, delivery.error, delivery.delivered_at = "failed", repr(exc), stamp()
                delivery.done.set()

    def _deliver(self, delivery: Delivery) -> None:
        data_id = delivery.body["data"]["id"]
        request_id = str(uuid.uuid4())
        seconds = time.time()
        ts = int(seconds * 1000) if self.config["webhook_ts_unit"] == "ms" else int(seconds)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "MercadoPago WebHook v1.0 payment (sandbox)",
            "x-request-id": request_id,
            "x-signature": sign_webhook(data_id=data_id, request_id=request_id, secret=self.webhook_secret, ts=ts),
        }
        separator = "&" if "?" in (delivery.url or "") else "?"
        url = f"{delivery.url}{separator}{urllib.parse.urlencode({'data.id': data_id, 'type': 'payment'})}"
        with self._lock:
            delivery.request_id, delivery.headers, delivery.url = request_id, headers, url
        status: int | None = None
        error: str | None = None
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            with self._lock:
                delivery.state, delivery.error, delivery.delivered_at = "failed", "not an http(s) URL", stamp()
            delivery.done.set()
            return
        request = urllib.request.Request(url, data=dumps(delivery.body), headers=headers, method="POST")  # noqa: S310 — http(s) checked above
        try:
            with _NO_REDIRECTS.open(request, timeout=self.webhook_timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            delivery.response_status = status
            delivery.error = error
            delivery.state = "delivered" if status is not None and 200 <= status < 300 else "failed"  # noqa: PLR2004
            delivery.delivered_at = stamp()
        delivery.done.set()

    # --- everything, for debugging ------------------------------------------------------------------

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "config": self.public_config(),
                "preferences": list(self.preferences.values()),
                "payments": list(self.payments.values()),
                "transaction_intents": list(self.transfers.values()),
                "faults": [f.public() for f in self.faults],
                "webhooks": [d.public() for d in self.deliveries],
                "requests": len(self.requests),
            }
