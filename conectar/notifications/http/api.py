"""The notifications context's Ninja routes, gathered into one router the gateway mounts."""

from ninja import Router

from conectar.notifications.http import device_routes, history_routes, internal_routes, preference_routes

router = Router()
for module in (internal_routes, preference_routes, device_routes, history_routes):
    router.add_router("", module.router)
