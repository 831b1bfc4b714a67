"""Identifiers. Every id in the system is a UUID (DOMAIN.md)."""

import uuid


def new_id() -> uuid.UUID:
    return uuid.uuid4()
