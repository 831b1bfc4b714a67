"""The marketplace context's Ninja routes, gathered into one router the gateway mounts."""

from ninja import Router

from conectar.marketplace.http import (
    admin_trabajo_routes,
    chat_routes,
    checkout_routes,
    oferta_routes,
    trabajo_routes,
    webhook_routes,
)

router = Router()
for module in (chat_routes, oferta_routes, trabajo_routes, checkout_routes, admin_trabajo_routes, webhook_routes):
    router.add_router("", module.router)
