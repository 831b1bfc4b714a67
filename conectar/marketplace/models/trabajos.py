"""Trabajos: the job an accepted oferta becomes, with its escrow state and money figures.

The state only changes through `services.trabajos`, which applies the one transition table of
`marketplace.workflow`; every change is written to `TrabajoHistory`."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from conectar.marketplace.contracts import Actor, EstadoEscrow
from conectar.marketplace.models.chat import Chat
from conectar.marketplace.models.ofertas import Oferta

ESTADOS = [(e.value, e.value) for e in EstadoEscrow]
ACTORS = [(a.value, a.value) for a in Actor]


class Trabajo(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    oferta = models.OneToOneField(Oferta, on_delete=models.PROTECT, related_name="trabajo")
    chat = models.ForeignKey(Chat, on_delete=models.PROTECT, related_name="trabajos")
    cliente_id = models.UUIDField()
    profesional_id = models.UUIDField()
    descripcion = models.TextField()
    estado = models.CharField(max_length=24, choices=ESTADOS, default=EstadoEscrow.PENDIENTE_PAGO)

    # Money. The rate is frozen at acceptance; the split is computed when the trabajo closes.
    precio_final = models.DecimalField(max_digits=12, decimal_places=2)
    tasa_comision = models.DecimalField(max_digits=5, decimal_places=3)
    comision_plataforma = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    monto_liberado = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    monto_reembolsado = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    # Payment, as payments reported it.
    payment_id = models.UUIDField(null=True, blank=True)
    payment_preference_id = models.CharField(max_length=120, blank=True, default="")
    payment_url = models.URLField(max_length=500, blank=True, default="")
    mercadopago_payment_id = models.CharField(max_length=64, blank=True, default="")
    contracargo = models.BooleanField(default=False)  # a chargeback/mediation froze the release

    # Timeline.
    pago_vence_en = models.DateTimeField()  # unpaid by then → CANCELADO
    pagado_at = models.DateTimeField(null=True, blank=True)  # contact details unlock from here on
    entregado_at = models.DateTimeField(null=True, blank=True)
    liberacion_automatica_en = models.DateTimeField(null=True, blank=True)  # ENTREGADO → LIBERADO by then
    cerrado_at = models.DateTimeField(null=True, blank=True)  # LIBERADO, RESUELTO or cancelled
    resenas_hasta = models.DateTimeField(null=True, blank=True)  # the review window's end

    # Cancellation and dispute.
    cancelado_por = models.CharField(max_length=12, choices=ACTORS, blank=True, default="")
    motivo_cancelacion = models.TextField(blank=True, default="")
    disputa_motivo = models.TextField(blank=True, default="")
    disputa_abierta_por = models.CharField(max_length=12, choices=ACTORS, blank=True, default="")
    disputa_abierta_at = models.DateTimeField(null=True, blank=True)
    porcentaje_reembolso = models.PositiveSmallIntegerField(null=True, blank=True)
    resolucion_nota = models.TextField(blank=True, default="")
    resuelto_por = models.UUIDField(null=True, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(F("cliente_id"), F("created_at").desc(), name="trabajo_cliente_newest"),
            models.Index(F("profesional_id"), F("created_at").desc(), name="trabajo_profesional_newest"),
            models.Index(fields=["estado", "created_at"], name="trabajo_estado"),
            # the sweeps of beat: unpaid ones by deadline, delivered ones by release date
            models.Index(
                fields=["pago_vence_en"], name="trabajo_unpaid_due", condition=Q(estado=EstadoEscrow.PENDIENTE_PAGO)
            ),
            models.Index(
                fields=["liberacion_automatica_en"],
                name="trabajo_release_due",
                condition=Q(estado=EstadoEscrow.ENTREGADO),
            ),
            models.Index(
                fields=["cliente_id", "profesional_id"], name="trabajo_pair_paid", condition=Q(pagado_at__isnull=False)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(estado__in=[e.value for e in EstadoEscrow]), name="trabajo_estado_valid"
            ),
            models.CheckConstraint(condition=Q(precio_final__gt=0), name="trabajo_precio_positive"),
            models.CheckConstraint(
                condition=Q(tasa_comision__gte=0) & Q(tasa_comision__lt=1), name="trabajo_tasa_in_range"
            ),
            # whatever closes a trabajo, its money adds up to the price
            models.CheckConstraint(
                condition=Q(comision_plataforma__isnull=True)
                | Q(
                    precio_final=F("comision_plataforma")
                    + F("monto_liberado")
                    + models.functions.Coalesce(F("monto_reembolsado"), models.Value(0))
                ),
                name="trabajo_split_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(porcentaje_reembolso__isnull=True) | Q(porcentaje_reembolso__lte=100),
                name="trabajo_porcentaje_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Trabajo {self.pk} ({self.estado})"

    def participants(self) -> tuple[uuid.UUID, uuid.UUID]:
        return (self.cliente_id, self.profesional_id)


class TrabajoHistory(models.Model):
    """One row per transition: what happened, who did it, from which state to which."""

    id = models.BigAutoField(primary_key=True)
    trabajo = models.ForeignKey(Trabajo, on_delete=models.CASCADE, related_name="history")
    accion = models.CharField(max_length=24)
    desde = models.CharField(max_length=24, choices=ESTADOS)
    hacia = models.CharField(max_length=24, choices=ESTADOS)
    actor = models.CharField(max_length=12, choices=ACTORS)
    actor_id = models.UUIDField(null=True, blank=True)
    nota = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = "trabajo history"

    def __str__(self) -> str:
        return f"{self.accion}: {self.desde} → {self.hacia}"


class DisputaManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(estado=EstadoEscrow.EN_DISPUTA)


class Disputa(Trabajo):
    """Staff's dispute queue: trabajos in EN_DISPUTA (the same rows, a view of its own in admin)."""

    objects = DisputaManager()

    class Meta:
        proxy = True
        verbose_name = "disputa abierta"
        verbose_name_plural = "disputas abiertas"
