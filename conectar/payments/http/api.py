"""The payments context's Ninja routes, gathered into one router the gateway mounts."""

from ninja import Router

from conectar.payments.http import admin_routes, payment_routes, webhook_routes

router = Router()
for module in (payment_routes, webhook_routes, admin_routes):
    router.add_router("", module.router)
