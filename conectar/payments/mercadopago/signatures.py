"""MercadoPago webhook signatures (the `x-signature` header), checked and made.

MercadoPago signs each webhook with the application's secret: `x-signature: ts=<ts>,v1=<hex>` where
`v1 = HMAC-SHA256(secret, "id:{data.id};request-id:{x-request-id};ts:{ts};")`, `data.id` being the
query parameter of the notification URL (lower-cased: MercadoPago says an alphanumeric id is signed
in lower case; a numeric id is unchanged by it) and `x-request-id` the request header.

The HMAC and its constant-time comparison are the SDK's `WebhookSignatureValidator`. What it does not
do, and we do here:
- refuse a notification lacking any of the three parts (the SDK drops a missing part from the
  manifest, which would let a signature made without the request id pass);
- the time window: `ts` arrives in seconds or in milliseconds (MercadoPago's own docs show both; the
  SDK assumes seconds), so it is normalised before comparing with the clock, in both directions
  (stale and from the future).

Standard library + SDK only. `sign_webhook` makes the header as MercadoPago does, for tests; the local
sandbox (conectar/devtools/sandbox) signs with its own copy, being the provider's stand-in.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

from conectar.shared.errors import DomainError

# A `ts` above this is in milliseconds: 10**11 seconds is the year 5138, 10**11 ms is 1973.
_MILLISECONDS_THRESHOLD = 10**11


class InvalidWebhookSignature(DomainError):
    status = 401
    code = "invalid_signature"
    default_detail = "La firma de la notificación no es válida."


class StaleWebhook(InvalidWebhookSignature):
    code = "stale_webhook"
    default_detail = "La notificación está fuera de la ventana de tiempo permitida."


def _manifest_data_id(data_id: str) -> str:
    return data_id.strip().lower()


def _timestamp(x_signature: str) -> int:
    """The `ts` of a header the SDK already accepted (so it is present and all digits)."""
    for part in x_signature.split(","):
        key, _, value = part.partition("=")
        if key.strip().lower() == "ts":
            return int(value.strip())
    raise InvalidWebhookSignature()  # unreachable after the SDK's check; kept for safety


def _seconds(ts: int) -> float:
    return ts / 1000 if ts >= _MILLISECONDS_THRESHOLD else float(ts)


def verify_webhook(
    *,
    x_signature: str | None,
    x_request_id: str | None,
    data_id: str | None,
    secret: str,
    now: datetime | None = None,
    tolerance_seconds: int,
) -> None:
    """Return if the notification is MercadoPago's and recent; raise otherwise.

    Raises `InvalidWebhookSignature` (401 `invalid_signature`) when a part is missing, the secret is
    not configured or the HMAC does not match, and `StaleWebhook` (401 `stale_webhook`) when the
    signed `ts` is more than `tolerance_seconds` away from `now`, before or after.
    """
    parts = [(x_signature or "").strip(), (x_request_id or "").strip(), (data_id or "").strip()]
    if not secret or not all(parts):
        raise InvalidWebhookSignature()
    signature, request_id, raw_data_id = parts
    # The SDK on the first webhook, not with the module: the web workers' URL confs import this one.
    from mercadopago.webhook import InvalidWebhookSignatureError, WebhookSignatureValidator  # noqa: PLC0415

    try:
        WebhookSignatureValidator.validate(
            signature, request_id, _manifest_data_id(raw_data_id), secret, tolerance_seconds=None
        )
    except InvalidWebhookSignatureError as exc:
        raise InvalidWebhookSignature() from exc
    signed_at = _seconds(_timestamp(signature))
    current = (now or datetime.now(UTC)).timestamp()
    if abs(current - signed_at) > tolerance_seconds:
        raise StaleWebhook()


def sign_webhook(*, data_id: str, request_id: str, secret: str, ts: int) -> str:
    """The `x-signature` header value MercadoPago would send (`ts` is put in as given: s or ms)."""
    manifest = f"id:{_manifest_data_id(str(data_id))};request-id:{request_id};ts:{ts};"
    digest = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return f"ts={ts},v1={digest}"
