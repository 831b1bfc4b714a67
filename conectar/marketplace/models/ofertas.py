"""Ofertas: a professional's priced proposal to the client of a chat."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from conectar.marketplace.contracts import OfertaEstado
from conectar.marketplace.models.chat import Chat

DESCRIPCION_MIN_LENGTH = 10
DESCRIPCION_MAX_LENGTH = 2000


class Oferta(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="ofertas")
    cliente_id = models.UUIDField()
    profesional_id = models.UUIDField()
    descripcion = models.TextField()  # as stored: shielded like a chat message
    precio_final = models.DecimalField(max_digits=12, decimal_places=2)
    estado = models.CharField(
        max_length=10, choices=[(e.value, e.value) for e in OfertaEstado], default=OfertaEstado.OFERTADO
    )
    expira_en = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)  # accepted, rejected, withdrawn or expired

    class Meta:
        indexes = [
            models.Index(F("cliente_id"), F("created_at").desc(), name="oferta_cliente_newest"),
            models.Index(F("profesional_id"), F("created_at").desc(), name="oferta_profesional_newest"),
            # the expiry sweep reads only live ofertas, oldest deadline first
            models.Index(fields=["expira_en"], name="oferta_live_expiry", condition=Q(estado=OfertaEstado.OFERTADO)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(precio_final__gt=0), name="oferta_precio_positive"),
            models.CheckConstraint(condition=Q(estado__in=[e.value for e in OfertaEstado]), name="oferta_estado_valid"),
        ]

    def __str__(self) -> str:
        return f"Oferta {self.pk} ({self.estado})"
