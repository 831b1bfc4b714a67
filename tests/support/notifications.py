"""Test helpers that read the notifications context's own tables (allowed here: tests/support/
notifications.py is that context's, importlinter.ini)."""

from __future__ import annotations

from conectar.notifications.contracts import DeliveryStatus
from conectar.notifications.models import Delivery
from conectar.platform.databases import alias_for


def deliveries_pending() -> bool:
    """Whether any notification delivery still waits for its task (or its next retry)."""
    return Delivery.objects.using(alias_for("notifications")).filter(status=DeliveryStatus.PENDING).exists()
