"""The professionals context's Ninja routes, gathered into one router the gateway mounts.

Each topic has its own module and router (profile, catalogue, KYC, portfolio, search, public)."""

from ninja import Router

from conectar.professionals.http import (
    catalogue_routes,
    kyc_routes,
    portfolio_routes,
    profile_routes,
    public_routes,
    search_routes,
)

router = Router()
for module in (profile_routes, catalogue_routes, kyc_routes, portfolio_routes, search_routes, public_routes):
    router.add_router("", module.router)
