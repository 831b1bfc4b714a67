"""Placeholder until its routes land."""

from ninja import Router

router = Router(tags=["professionals"])
