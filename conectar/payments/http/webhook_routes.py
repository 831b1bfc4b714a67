"""MercadoPago's notifications (API.md: POST /payment/webhook/mercadopago and /webhook/mercadopago).

No token: MercadoPago signs each notification (x-signature over data.id, x-request-id and a time
stamp) and the service checks it before storing anything; a forged or stale one is a 401 with the
error body. The answer is 200 as soon as the notification is stored: the payment itself is read from
MercadoPago's API by a worker. Notifications of other topics (merchant orders, …) get 200 and are
dropped."""

from __future__ import annotations

import json

from ninja import Router

from conectar.payments.services import webhooks

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
    topic = request.GET.get("type") or request.GET.get("topic") or body.get("type") or ""
    webhooks.notification_accept(
        x_signature=request.headers.get("x-signature"),
        x_request_id=request.headers.get("x-request-id"),
        data_id=None if data_id is None else str(data_id),
        topic=str(topic),
        action=str(body.get("action") or ""),
    )
    return {"received": True}


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
    summary="MercadoPago notification (signed; v1 path)",
    openapi_extra={"responses": {"401": {"description": "Signature missing, forged or stale"}}},
)
def webhook_v1(request):
    return _receive(request)
