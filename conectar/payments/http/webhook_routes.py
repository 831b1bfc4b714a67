"""MercadoPago's notifications (API.md: POST /payment/webhook/mercadopago and /webhook/mercadopago).

No token: MercadoPago signs each notification (x-signature over data.id, x-request-id and a time
stamp) and the service checks it before storing anything. On the seed path a forged or stale one is a
401 with the error body; on the v1 path (V1-CONTRACT § 3.10 R56: v1 clients expect 200 always) it is
200 `{"status": "error", "message": ...}` and nothing is stored either. The answer is 200 as soon as the
notification is stored: the payment itself is read from MercadoPago's API by a worker. Notifications
of other topics (merchant orders, …) get 200 and are dropped."""

from __future__ import annotations

import json

from ninja import Router

from conectar.payments.mercadopago.signatures import InvalidWebhookSignature
from conectar.payments.services import webhooks
from conectar.shared.errors import InvalidInput

router = Router(tags=["payments"], auth=None)


def _body(request) -> dict:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _receive(request) -> dict:
    body = _body(request)
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    data_id = request.GET.get("data.id") or request.GET.get("id") or data.get("id")
    topic = str(request.GET.get("type") or request.GET.get("topic") or body.get("type") or "")
    webhooks.notification_accept(
        x_signature=request.headers.get("x-signature"),
        x_request_id=request.headers.get("x-request-id"),
        data_id=None if data_id is None else str(data_id),
        topic=topic,
        action=str(body.get("action") or ""),
    )
    if topic.strip().lower() not in webhooks.PAYMENT_TOPICS:
        return {"received": True, "status": "ok", "message": f"Topic '{topic[:40]}' ignored"}
    return {"received": True, "status": "ok", "message": "Notification received"}


@router.post(
    "/payment/webhook/mercadopago",
    response=dict,
    operation_id="payment_webhook_mercadopago",
    summary="MercadoPago notification (signed)",
    openapi_extra={"responses": {"401": {"description": "Signature missing, forged or stale"}}},
)
def webhook_seed(request):
    return _receive(request)


@router.post(
    "/webhook/mercadopago",
    response=dict,
    operation_id="webhook_mercadopago",
    summary="MercadoPago notification (signed; v1 path: 200 with status error when refused)",
)
def webhook_v1(request):
    try:
        return _receive(request)
    except (InvalidWebhookSignature, InvalidInput) as refused:  # unsigned, forged, stale or unusable: 200 all the same
        return {"status": "error", "message": refused.detail}
