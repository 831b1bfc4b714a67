"""MercadoPago, as the payments services see it: a few functions, DTOs out, two kinds of failure.

Every call goes through the official SDK (`mercadopago.SDK(token, http_client=MercadoPagoHttpClient)`)
except Money Out, which the SDK has no resource for: that one uses the same HTTP client with the same
base URL, headers (`RequestOptions.get_headers()`: bearer token, SDK tracking headers) and key.

Failures:
- `PaymentProviderUnavailable` (503, from `payments.contracts`): timeout, connection error, 5xx or 429,
  a 2xx that is not JSON, or the circuit is open. The operation may or may not have happened at
  MercadoPago: retry it later WITH THE SAME idempotency key.
- `MercadoPagoRejected` (502 `payment_provider_rejected`): MercadoPago answered 4xx. It carries
  `provider_status` and `provider_body`. 502 rather than 400: the refusal is between us and
  MercadoPago (a field we built, our token), not a rule the caller of our API broke.
- `get_payment` / `get_transfer` answer None on 404; that is not a failure.

Idempotency: each money-moving POST carries the caller's stable key for the business operation in
`X-Idempotency-Key` (`RequestOptions(custom_headers={"x-idempotency-key": key})`). The SDK puts a
random key in every request (`RequestOptions.get_headers()`) and then `headers.update(custom_headers)`,
so ours, spelt in the same lower case, replaces it; the tests check what reaches the wire.

Retries (explicit, here; the transport itself never retries — see `http_client`): a call is retried
only when repeating it cannot do the thing twice — GETs, and POSTs that carry our idempotency key
(all of ours do). Up to `MERCADOPAGO_MAX_RETRIES` more attempts (default 2) after a timeout, a
connection error, a 5xx or a 429, sleeping `MERCADOPAGO_RETRY_BACKOFF_SECONDS` (default 0.25) * 2**n
between them. A 4xx is never retried.

Circuit breaker: `conectar.platform.breakers.breaker("mercadopago", exclude=[MercadoPagoRejected])`.
One logical call (with its retries) is one success or failure; a 4xx or a 404 counts as MercadoPago
being up. The HTTP work runs outside the breaker's lock (`breakers.guarded_call`), so one slow call does not
queue every other MercadoPago call of the process behind it.
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import pybreaker
import requests
import structlog
from django.conf import settings

from conectar.payments.contracts import PaymentProviderUnavailable
from conectar.platform import breakers
from conectar.shared.errors import DomainError

if TYPE_CHECKING:
    import mercadopago
    from mercadopago.config import RequestOptions

    from conectar.payments.mercadopago.http_client import MercadoPagoHttpClient

# The SDK (and our transport, a subclass of its client) is imported by the first call to MercadoPago,
# not with this module: a web worker that never calls it does not carry it (bench/memory.py).

log = structlog.get_logger(__name__)

BREAKER_NAME = "mercadopago"
CURRENCY_ID = "ARS"
_CENT = Decimal("0.01")
_CBU_CVU = re.compile(r"\d{22}")
_ALIAS = re.compile(r"[A-Za-z0-9.]{6,20}")

# The SDK warns on every preference carrying `notification_url` (it prefers the webhook URL set in
# MercadoPago's panel). We set it per preference on purpose: the URL is ours per environment.
warnings.filterwarnings("ignore", message="notification_url is deprecated", category=DeprecationWarning)


# --- DTOs ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preference:
    id: str
    init_point: str
    sandbox_init_point: str | None


@dataclass(frozen=True)
class MPPayment:
    id: str
    status: str
    status_detail: str
    external_reference: str | None
    transaction_amount: Decimal
    transaction_amount_refunded: Decimal
    currency_id: str
    date_created: datetime | None
    date_approved: datetime | None
    date_last_updated: datetime | None
    payer_email: str | None
    preference_id: str | None  # when MercadoPago includes it (top level or metadata); not guaranteed


@dataclass(frozen=True)
class MPRefund:
    id: str
    payment_id: str
    amount: Decimal
    status: str


@dataclass(frozen=True)
class MPTransferIntent:
    id: str
    status: str
    external_reference: str | None


class MercadoPagoRejected(DomainError):
    """MercadoPago answered 4xx: the request itself was refused; repeating it will not help."""

    status = 502
    code = "payment_provider_rejected"
    default_detail = "MercadoPago rechazó la operación."

    def __init__(
        self, detail: str | None = None, *, provider_status: int, provider_body: Any = None, code: str | None = None
    ):
        super().__init__(detail, code=code)
        self.provider_status = provider_status
        self.provider_body = provider_body


# --- configuration, SDK, breaker -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Config:
    base_url: str
    access_token: str
    timeout: float
    max_retries: int
    backoff_seconds: float


def _config() -> _Config:
    token = settings.MERCADOPAGO_ACCESS_TOKEN
    if not token:
        log.error("mercadopago.not_configured", missing="MERCADOPAGO_ACCESS_TOKEN")
        raise PaymentProviderUnavailable()
    return _Config(
        base_url=settings.MERCADOPAGO_BASE_URL,
        access_token=token,
        timeout=float(settings.MERCADOPAGO_TIMEOUT_SECONDS),
        max_retries=settings.MERCADOPAGO_MAX_RETRIES,
        backoff_seconds=settings.MERCADOPAGO_RETRY_BACKOFF_SECONDS,
    )


def _http(config: _Config) -> MercadoPagoHttpClient:
    from conectar.payments.mercadopago.http_client import MercadoPagoHttpClient  # noqa: PLC0415 - see above

    return MercadoPagoHttpClient(base_url=config.base_url, timeout=config.timeout)


def _options(config: _Config, idempotency_key: str | None = None) -> RequestOptions:
    from mercadopago.config import RequestOptions  # noqa: PLC0415 - see above

    return RequestOptions(
        access_token=config.access_token,
        connection_timeout=config.timeout,
        max_retries=0,  # ignored by our transport anyway; said here so nobody counts on it
        custom_headers={"x-idempotency-key": idempotency_key} if idempotency_key else None,
    )


def _sdk(config: _Config) -> mercadopago.SDK:
    import mercadopago  # noqa: PLC0415 - see above

    return mercadopago.SDK(config.access_token, http_client=_http(config), request_options=_options(config))


def _breaker() -> pybreaker.CircuitBreaker:
    return breakers.breaker(BREAKER_NAME, exclude=[MercadoPagoRejected])


def breaker_state() -> str:
    """`closed`, `open` or `half-open` (this process's view of MercadoPago)."""
    return str(_breaker().current_state)


def reset_breaker() -> None:
    """Close the circuit (tests; staff after an incident)."""
    _breaker().close()


def _guarded(operation: str, call: Callable[[], Any]) -> Any:
    """Run `call` under the circuit breaker (without holding its lock during the HTTP work: see
    `breakers.guarded_call`); an open circuit is MercadoPago being unavailable."""
    try:
        return breakers.guarded_call(_breaker(), call)
    except breakers.CircuitOpen as exc:
        log.warning("mercadopago.circuit_open", operation=operation)
        raise PaymentProviderUnavailable() from exc


def _attempts(
    operation: str, config: _Config, send: Callable[[], dict], *, idempotent: bool, allow_404: bool = False
) -> Any:
    """Send, retrying idempotent calls on provider faults; the parsed body, or None on an allowed 404."""
    from mercadopago.errors import MPServerError  # noqa: PLC0415 - see above

    attempts = 1 + (config.max_retries if idempotent else 0)
    for attempt in range(1, attempts + 1):
        try:
            response = send()
        except (requests.RequestException, MPServerError) as exc:
            failure = type(exc).__name__
        else:
            status = response["status"]
            body = response["response"]
            if 200 <= status < 300:  # noqa: PLR2004
                return body
            if status == 404 and allow_404:  # noqa: PLR2004
                return None
            if status < 500 and status != 429:  # noqa: PLR2004
                log.warning("mercadopago.rejected", operation=operation, provider_status=status, body=body)
                raise MercadoPagoRejected(provider_status=status, provider_body=body)
            failure = f"http_{status}"
        log.warning("mercadopago.attempt_failed", operation=operation, attempt=attempt, failure=failure)
        if attempt < attempts:
            time.sleep(config.backoff_seconds * 2 ** (attempt - 1))
    raise PaymentProviderUnavailable()


# --- conversions ----------------------------------------------------------------------------------------


def _amount(value: Decimal) -> float:
    """A positive amount of whole cents as the JSON number MercadoPago takes (exact: checked)."""
    exact = Decimal(value)
    cents = exact.quantize(_CENT, rounding=ROUND_HALF_UP)
    if cents != exact or cents <= 0:
        raise ValueError(f"amount must be positive with at most 2 decimals, got {value!r}")
    as_float = float(cents)
    if Decimal(repr(as_float)) != cents:
        raise ValueError(f"amount {value!r} cannot be sent exactly")
    return as_float


def _decimal(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal("0.00")
    return Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)


def _mp_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("datetimes sent to MercadoPago must be timezone-aware")
    return value.isoformat(timespec="milliseconds")


def _parse_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _optional_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _payment(raw: dict) -> MPPayment:
    metadata = raw.get("metadata") or {}
    return MPPayment(
        id=str(raw["id"]),
        status=str(raw["status"]),
        status_detail=str(raw.get("status_detail") or ""),
        external_reference=_optional_str(raw.get("external_reference")),
        transaction_amount=_decimal(raw.get("transaction_amount")),
        transaction_amount_refunded=_decimal(raw.get("transaction_amount_refunded")),
        currency_id=str(raw.get("currency_id") or ""),
        date_created=_parse_datetime(raw.get("date_created")),
        date_approved=_parse_datetime(raw.get("date_approved")),
        date_last_updated=_parse_datetime(raw.get("date_last_updated")),
        payer_email=_optional_str((raw.get("payer") or {}).get("email")),
        preference_id=_optional_str(raw.get("preference_id") or metadata.get("preference_id")),
    )


def _transfer(raw: dict) -> MPTransferIntent:
    return MPTransferIntent(
        id=str(raw["id"]),
        status=str(raw.get("status") or ""),
        external_reference=_optional_str(raw.get("external_reference")),
    )


# --- the interface --------------------------------------------------------------------------------------


def create_preference(
    *,
    idempotency_key: str,
    external_reference: str,
    title: str,
    amount: Decimal,
    payer_email: str | None,
    notification_url: str,
    back_urls: dict[str, str],
    expires_at: datetime,
    statement_descriptor: str,
) -> Preference:
    """A Checkout Pro preference for one item of `amount` ARS, paid into the platform's account.

    `notification_url` "" omits it, so MercadoPago uses the webhook URL of the application's panel
    (MercadoPago documents the secret signature for panel-configured webhooks; see the report).
    """
    body: dict[str, Any] = {
        "items": [
            {
                "id": external_reference,
                "title": title,
                "quantity": 1,
                "unit_price": _amount(amount),
                "currency_id": CURRENCY_ID,
            }
        ],
        "external_reference": external_reference,
        "back_urls": dict(back_urls),
        "auto_return": "approved",
        "statement_descriptor": statement_descriptor,
        "expires": True,
        "expiration_date_to": _mp_datetime(expires_at),
        "binary_mode": False,
    }
    if payer_email:
        body["payer"] = {"email": payer_email}
    if notification_url:  # "" leaves it to the webhook URL configured in MercadoPago's panel
        body["notification_url"] = notification_url
    config = _config()

    def call() -> dict:
        sdk = _sdk(config)
        options = _options(config, idempotency_key)
        return _attempts(
            "create_preference", config, lambda: sdk.preference().create(body, request_options=options), idempotent=True
        )

    raw = _guarded("create_preference", call)
    return Preference(
        id=str(raw["id"]),
        init_point=str(raw["init_point"]),
        sandbox_init_point=_optional_str(raw.get("sandbox_init_point")),
    )


def get_payment(payment_id: str) -> MPPayment | None:
    """What MercadoPago says of the payment now; None if it does not know it."""
    config = _config()

    def call() -> dict | None:
        sdk = _sdk(config)
        return _attempts("get_payment", config, lambda: sdk.payment().get(payment_id), idempotent=True, allow_404=True)

    raw = _guarded("get_payment", call)
    return None if raw is None else _payment(raw)


def search_payments(
    *, begin: datetime, end: datetime, external_reference: str | None = None, page_size: int = 100
) -> Iterator[MPPayment]:
    """Payments created in [begin, end] (optionally of one external_reference), oldest first, paged.

    Oldest first so that payments created while we page are appended after what we have read, not
    shifted into it. Each page is one guarded, retried GET. Keep windows narrow (reconciliation by
    day): MercadoPago caps how deep offset paging goes.
    """
    config = _config()
    filters: dict[str, Any] = {
        "range": "date_created",
        "begin_date": _mp_datetime(begin),
        "end_date": _mp_datetime(end),
        "sort": "date_created",
        "criteria": "asc",
        "limit": page_size,
    }
    if external_reference:
        filters["external_reference"] = external_reference
    offset = 0
    while True:
        page_filters = {**filters, "offset": offset}

        def call(page_filters: dict = page_filters) -> dict:
            sdk = _sdk(config)
            return _attempts("search_payments", config, lambda: sdk.payment().search(page_filters), idempotent=True)

        body = _guarded("search_payments", call) or {}
        results = body.get("results") or []
        for raw in results:
            yield _payment(raw)
        offset += len(results)
        total = int((body.get("paging") or {}).get("total") or 0)
        if not results or offset >= total:
            return


def refund_payment(*, payment_id: str, amount: Decimal | None, idempotency_key: str) -> MPRefund:
    """Refund `amount` (None: all that remains) of an approved payment, once per idempotency key."""
    refund_body = None if amount is None else {"amount": _amount(amount)}
    config = _config()

    def call() -> dict:
        sdk = _sdk(config)
        options = _options(config, idempotency_key)
        return _attempts(
            "refund_payment",
            config,
            lambda: sdk.refund().create(payment_id, refund_body, request_options=options),
            idempotent=True,
        )

    raw = _guarded("refund_payment", call)
    return MPRefund(
        id=str(raw["id"]),
        payment_id=str(raw.get("payment_id") or payment_id),
        amount=_decimal(raw.get("amount")),
        status=str(raw.get("status") or ""),
    )


def _destination(account: str, amount: float, description: str) -> dict[str, Any]:
    if _CBU_CVU.fullmatch(account):
        return {"amount": amount, "type": "current", "number": account, "description": description}
    if _ALIAS.fullmatch(account):
        return {"amount": amount, "alias": account, "description": description}
    # Sent anyway: MercadoPago's 400 is the authority (and what the tests exercise).
    return {"amount": amount, "type": "current", "number": account, "description": description}


def _money_out_headers(config: _Config, idempotency_key: str | None = None) -> dict[str, str]:
    return {**_options(config, idempotency_key).get_headers(), "Content-type": "application/json"}


def create_transfer(
    *, idempotency_key: str, amount: Decimal, destination_account: str, description: str, external_reference: str
) -> MPTransferIntent:
    """Money Out: move `amount` from the platform's MercadoPago account to a CBU/CVU/alias.

    MercadoPago's Money Out API creates and processes the transfer in one call:
    `POST /v1/transaction-intents/process` with headers `Authorization: Bearer`, `X-Idempotency-Key`
    (required), and a body
        {"external_reference": "...", "point_of_interaction": {"type": "PSP_TRANSFER"},
         "transaction": {"from": {"accounts": [{"amount": A}]},
                         "to": {"accounts": [{"amount": A, "type": "current", "number": "<CBU/CVU>",
                                              "description": "..."}]},   # or {"alias": "..."}
                         "total_amount": A}}
    answered with the intent: {"id", "status", "external_reference", "transaction", "created_date", ...}.
    `GET /v1/transaction-intents/{id}` reads it later. Production Money Out also asks for a body
    signature made with the integrator's keys (`x-signature`, `x-enforce-signature`); not done here.
    """
    value = _amount(amount)
    body = {
        "external_reference": external_reference,
        "point_of_interaction": {"type": "PSP_TRANSFER"},
        "transaction": {
            "from": {"accounts": [{"amount": value}]},
            "to": {"accounts": [_destination(destination_account, value, description)]},
            "total_amount": value,
        },
    }
    config = _config()

    def call() -> dict:
        http = _http(config)
        headers = _money_out_headers(config, idempotency_key)
        return _attempts(
            "create_transfer",
            config,
            lambda: http.post(url="/v1/transaction-intents/process", headers=headers, data=json.dumps(body)),
            idempotent=True,
        )

    return _transfer(_guarded("create_transfer", call))


def get_transfer(intent_id: str) -> MPTransferIntent | None:
    config = _config()

    def call() -> dict | None:
        http = _http(config)
        headers = _money_out_headers(config)
        url = f"/v1/transaction-intents/{quote(str(intent_id), safe='')}"
        return _attempts(
            "get_transfer", config, lambda: http.get(url=url, headers=headers), idempotent=True, allow_404=True
        )

    raw = _guarded("get_transfer", call)
    return None if raw is None else _transfer(raw)
