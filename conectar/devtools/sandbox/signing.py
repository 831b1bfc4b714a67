"""MercadoPago's side of the webhook signature: the `x-signature` header it sends.

`ts=<ts>,v1=<hex>` with `v1 = HMAC-SHA256(secret, "id:{data.id};request-id:{x-request-id};ts:{ts};")`,
`data.id` lower-cased as MercadoPago signs it. Written here from MercadoPago's documentation rather
than borrowed from the payments context's verifier, so the sandbox stays a stand-in for the provider
(and the verifier is checked against an independent signer).
"""

from __future__ import annotations

import hashlib
import hmac


def sign_webhook(*, data_id: str, request_id: str, secret: str, ts: int) -> str:
    """The header value for this notification (`ts` is put in as given: seconds or milliseconds)."""
    manifest = f"id:{str(data_id).strip().lower()};request-id:{request_id};ts:{ts};"
    digest = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return f"ts={ts},v1={digest}"
