"""Who the people on a marketplace page are (names, avatars, a professional's rating) is other
contexts' knowledge (users, professionals). The marketplace's routes ask this port; the gateway,
which composes contexts, plugs in the implementation (conectar/gateway/compositions/marketplace.py,
plugged where it mounts these routes). So this package imports no other context's facade."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID

from django.core.exceptions import ImproperlyConfigured

from conectar.professionals.contracts import ProfessionalSummary


class Directory(Protocol):
    def people(self, user_ids: list[UUID]) -> dict[UUID, dict]:
        """Display data by user id: id, nombre, apellido, display_name, avatar_url (unknown ids absent)."""
        ...

    def professional_summaries(self, usuario_ids: list[UUID]) -> dict[UUID, ProfessionalSummary]:
        """The professionals' summaries by account id (unknown ids absent)."""
        ...


_plugged: list[Directory] = []


def plug(directory: Directory) -> None:
    _plugged[:] = [directory]


def directory() -> Directory:
    if not _plugged:
        raise ImproperlyConfigured("No marketplace directory plugged: the gateway plugs it where it mounts the routes.")
    return _plugged[0]
