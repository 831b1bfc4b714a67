"""PUBLIC: what other contexts may know of people's profiles. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar
from uuid import UUID

from conectar.shared.events import DomainEvent


@dataclass(frozen=True)
class ProfileDTO:
    user_id: UUID
    nombre: str
    apellido: str
    telefono: str | None
    avatar_url: str | None


@dataclass(frozen=True, kw_only=True)
class UserUpdated(DomainEvent):
    name: ClassVar[str] = "users.user_updated"
    user_id: UUID
    changed: tuple[str, ...]
    nombre: str
    apellido: str
    telefono: str | None


@dataclass(frozen=True, kw_only=True)
class AvatarUploaded(DomainEvent):
    name: ClassVar[str] = "users.avatar_uploaded"
    user_id: UUID
    avatar_url: str
