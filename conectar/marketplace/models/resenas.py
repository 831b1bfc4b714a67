"""Reseñas: each side's review of the other after a trabajo closes, double-blind until published."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from conectar.marketplace.contracts import Actor
from conectar.marketplace.models.trabajos import Trabajo

RESENA_MAX_LENGTH = 2000


class Resena(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trabajo = models.ForeignKey(Trabajo, on_delete=models.PROTECT, related_name="resenas")
    autor_id = models.UUIDField()
    autor_rol = models.CharField(
        max_length=12, choices=[(Actor.CLIENTE.value, "cliente"), (Actor.PROFESIONAL.value, "profesional")]
    )
    destinatario_id = models.UUIDField()
    profesional_id = models.UUIDField()  # whose rating this review may count towards
    rating = models.PositiveSmallIntegerField()
    texto = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    publicada_at = models.DateTimeField(null=True, blank=True)  # hidden until set (double-blind)
    respuesta = models.TextField(blank=True, default="")
    respuesta_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["trabajo", "autor_rol"], name="resena_one_per_side"),
            models.CheckConstraint(condition=Q(rating__gte=1) & Q(rating__lte=5), name="resena_rating_range"),
            models.CheckConstraint(
                condition=Q(respuesta_at__isnull=True) | Q(publicada_at__isnull=False),
                name="resena_reply_after_publication",
            ),
        ]
        indexes = [
            models.Index(F("destinatario_id"), F("publicada_at").desc(), name="resena_received"),
            models.Index(fields=["created_at"], name="resena_hidden", condition=Q(publicada_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"Reseña {self.rating}★ de {self.autor_rol} ({self.trabajo_id})"
