"""Reactions to other contexts' events (thin: each calls a service)."""

from conectar.auth_ctx.contracts import UserRegistered
from conectar.users import services


def on_user_registered(event: UserRegistered) -> None:
    services.profile_create(user_id=event.user_id, nombre=event.nombre, apellido=event.apellido)
