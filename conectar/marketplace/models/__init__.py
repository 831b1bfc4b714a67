"""Marketplace tables (database alias: see conectar.platform.databases).

People are account UUIDs (`cliente_id`, `profesional_id`, `sender_id`, `user_id`): no foreign key
leaves this context's database. One module per topic; everything is importable from here.
"""

from conectar.marketplace.models.chat import (
    MESSAGE_MAX_LENGTH,
    Chat,
    ChatInfraction,
    ChatStanding,
    Message,
    ReadState,
)
from conectar.marketplace.models.ofertas import DESCRIPCION_MAX_LENGTH, DESCRIPCION_MIN_LENGTH, Oferta
from conectar.marketplace.models.resenas import RESENA_MAX_LENGTH, Resena
from conectar.marketplace.models.trabajos import Disputa, Trabajo, TrabajoHistory

__all__ = [
    "DESCRIPCION_MAX_LENGTH",
    "DESCRIPCION_MIN_LENGTH",
    "MESSAGE_MAX_LENGTH",
    "RESENA_MAX_LENGTH",
    "Chat",
    "ChatInfraction",
    "ChatStanding",
    "Disputa",
    "Message",
    "Oferta",
    "ReadState",
    "Resena",
    "Trabajo",
    "TrabajoHistory",
]
