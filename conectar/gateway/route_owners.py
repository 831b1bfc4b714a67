"""Which context owns each path under /api/v1: the table the gateway proxies a lifted context by.

Ownership is per path, not per prefix: `payment/create` is marketplace's (checkout of a trabajo)
while the other `payment/…` paths are payments'; `professional/ofertas` is marketplace's while the
other `professional/…` paths are professionals'. So every route is listed, in Django's path syntax
relative to /api/v1/ (`<name>` is one path segment). A path belongs to one context whatever the
method: the service answers 405 for a method it lacks, as the monolith does.

The gateway's own routes (session, schema, docs, health, staff compositions) are nobody's here.
`tests/gateway/test_route_owners.py` walks every route the monolith mounts and checks this table
names exactly the context whose module defines its view, so it cannot drift from the code.
"""

from __future__ import annotations

from django.urls.resolvers import RoutePattern

ROUTE_OWNERS: dict[str, tuple[str, ...]] = {
    "auth_ctx": (
        "auth/register",
        "auth/login",
        "auth/refresh",
        "auth/logout",
        "auth/forgot-password",
        "auth/reset-password",
        "internal/auth/validate",
    ),
    # users/me…, admin/users…: v1's UserRead joins three contexts, so the gateway composes them
    # (gateway/compositions/users.py) and answers them itself whoever is lifted.
    # users' routes answer v1's UserRead, joining three contexts: the gateway composes them
    # (gateway/compositions/users.py) and answers them itself wherever users runs.
    "users": (),
    "professionals": (
        "professional/me",
        "professional/profile",
        "professional/oficios",
        "professional/profile/oficios",
        "professional/profile/servicios-instant",
        "professional/profile/location",
        "professional/location",
        "professional/payout-info",
        "professional/nivel",
        "professional/kyc",
        "professional/kyc/upload",
        "professional/kyc/submit",
        "professional/kyc/documents/<document_id>",
        "professional/portfolio",
        "professional/portfolio/<item_id>",
        "professional/portfolio/<item_id>/image",
        "professional/portfolio/<item_id>/image/<image_id>",
        "public/oficios",
        "public/professional/<professional_id>",
        "public/professional/<professional_id>/portfolio",
        "search/professionals",
        "admin/oficios",
        "admin/oficios/<oficio_id>/servicios-instant",
        "admin/servicios-instant",
        "admin/kyc/pendientes",
        "admin/kyc/approve/<professional_id>",
        "admin/kyc/reject/<professional_id>",
    ),
    "marketplace": (
        "chat/create",
        "chat/list",
        "chat/my-chats",
        "chat/send-message",
        "chat/unread-count",
        "chat/<chat_id>/message",
        "chat/messages/<chat_id>",
        "chat/mark-read/<chat_id>",
        "offers",
        "offers/create",
        "offers/<oferta_id>/accept",
        "offers/<oferta_id>/reject",
        "offers/<oferta_id>/withdraw",
        "professional/ofertas",
        "professional/trabajos",
        "cliente/ofertas",
        "cliente/ofertas/<oferta_id>",
        "cliente/ofertas/<oferta_id>/accept",
        "cliente/ofertas/<oferta_id>/reject",
        "cliente/trabajos",
        "cliente/trabajo/<trabajo_id>",
        "cliente/trabajo/<trabajo_id>/finalizar",
        "cliente/trabajo/<trabajo_id>/cancelar",
        "cliente/trabajo/<trabajo_id>/resena",
        "trabajo/<trabajo_id>",
        "trabajo/<trabajo_id>/entregar",
        "trabajo/<trabajo_id>/finalizar",
        "trabajo/<trabajo_id>/cancelar",
        "trabajo/<trabajo_id>/disputa",
        "trabajo/<trabajo_id>/resena",
        "resenas/<resena_id>/respuesta",
        "payment/create",  # the checkout of a trabajo: marketplace asks payments through its facade
        "admin/trabajos",
        "admin/trabajo/<trabajo_id>/cancelar",
        "admin/trabajo/<trabajo_id>/resolver",
        "webhook/chat/infraction",
    ),
    "payments": (
        "payment/status/<payment_id>",
        "payment/history/<user_id>",
        "payment/refund",
        "payment/payout",
        "payment/webhook/mercadopago",  # MercadoPago's notifications reach a lifted payments here
        "webhook/mercadopago",
        "admin/metrics/financials",
    ),
    "notifications": (
        "notify/push",
        "notify/email",
        "notify/sms",
        "notify/preferences/<user_id>",
        "notify/devices",
        "notify/history",
    ),
}

_PATTERNS = {
    context: tuple((template, RoutePattern(template, is_endpoint=True)) for template in templates)
    for context, templates in ROUTE_OWNERS.items()
}


def matches(path: str) -> list[tuple[str, str]]:
    """Every (context, template) of the table matching `path` (relative to /api/v1/, no leading
    slash). One at most when the table is sound; the drift test checks that for every route."""
    return [
        (context, template)
        for context, patterns in _PATTERNS.items()
        for template, pattern in patterns
        if pattern.match(path) is not None
    ]


def owner_of(path: str) -> str | None:
    """The context owning `path` (relative to /api/v1/), or None for the gateway's own routes."""
    found = matches(path)
    return found[0][0] if found else None
