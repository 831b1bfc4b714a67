"""PUBLIC: what other contexts may know of accounts — roles, DTOs, events, exceptions.
Standard library only."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    CLIENTE = "CLIENTE"
    PROFESIONAL = "PROFESIONAL"
    ADMIN = "ADMIN"
