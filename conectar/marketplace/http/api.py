"""The marketplace context's Ninja routes, gathered into one router the gateway mounts."""

from ninja import Router

from conectar.marketplace.http import chat_routes, webhook_routes

router = Router()
for module in (chat_routes, webhook_routes):
    router.add_router("", module.router)
