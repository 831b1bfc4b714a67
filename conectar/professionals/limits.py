"""The bounds of a professional's working profile, kept once: the routes' schemas (and the OpenAPI
they publish) read them, and so does the service for callers that skip the routes (demo data,
imports)."""

from __future__ import annotations

from decimal import Decimal

LATITUDE = (-90, 90)
LONGITUDE = (-180, 180)
RADIO_COBERTURA_KM = (1, 500)
TARIFA_POR_HORA = (Decimal("0"), Decimal("99999999.99"))


def out_of_bounds(**values_and_bounds: tuple) -> dict[str, list[str]]:
    """`field=(value, (low, high))` → the fields whose value (when given) lies outside its bounds.
    NaN is outside every bound (each comparison with it is false)."""
    return {
        field: [f"Tiene que estar entre {low} y {high}."]
        for field, (value, (low, high)) in values_and_bounds.items()
        if value is not None and not low <= value <= high
    }
