"""Professionals tables (PostGIS database `professionals`).

People are referred to by their account UUID (`usuario_id`); names and avatars are a local copy
kept from the users context's events, so search and public profiles need no cross-context call.
"""

import uuid
from decimal import Decimal

from django.contrib.gis.db import models as gis
from django.contrib.postgres.indexes import GistIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F

from conectar.professionals.contracts import KycStatus, Nivel

KYC_CHOICES = [(s.value, s.value) for s in KycStatus]
NIVEL_CHOICES = [(n.value, n.value) for n in Nivel]


class Oficio(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    nombre = models.CharField(max_length=100, unique=True)
    descripcion = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["nombre"]

    def __str__(self) -> str:
        return self.nombre


class ServicioInstant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    oficio = models.ForeignKey(Oficio, on_delete=models.PROTECT, related_name="servicios")
    nombre = models.CharField(max_length=120)
    descripcion = models.TextField(blank=True, default="")
    precio_fijo = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["oficio__nombre", "nombre"]
        constraints = [models.UniqueConstraint(fields=["oficio", "nombre"], name="servicio_unique_per_oficio")]

    def __str__(self) -> str:
        return f"{self.oficio} · {self.nombre}"


class Professional(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    usuario_id = models.UUIDField(unique=True)  # the account (auth_ctx); no cross-database FK
    # Local copy of the person, from users/auth_ctx events.
    nombre = models.CharField(max_length=100, blank=True, default="")
    apellido = models.CharField(max_length=100, blank=True, default="")
    avatar_url = models.CharField(max_length=500, blank=True, default="")
    account_active = models.BooleanField(default=True)  # false while the account is banned

    estado_verificacion = models.CharField(max_length=16, choices=KYC_CHOICES, default=KycStatus.PENDIENTE)
    kyc_motivo_rechazo = models.TextField(blank=True, default="")
    kyc_submitted_at = models.DateTimeField(null=True, blank=True)

    nivel = models.CharField(max_length=10, choices=NIVEL_CHOICES, default=Nivel.BRONCE)
    puntos_experiencia = models.IntegerField(default=0)
    tasa_comision_actual = models.DecimalField(max_digits=4, decimal_places=3, default=Decimal("0.200"))

    radio_cobertura_km = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    acepta_instant = models.BooleanField(default=False)
    tarifa_por_hora = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    payout_account = models.CharField(max_length=40, blank=True, default="")
    # Searched through SearchEntry's composite indexes, never directly: no spatial index here.
    location = gis.PointField(geography=True, srid=4326, null=True, blank=True, spatial_index=False)

    rating_promedio = models.DecimalField(max_digits=3, decimal_places=2, default=Decimal("0.00"))
    total_resenas = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)  # exact average: sum / count, rounded on write

    oficios = models.ManyToManyField(Oficio, blank=True, related_name="profesionales")
    servicios = models.ManyToManyField(ServicioInstant, blank=True, related_name="profesionales")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["estado_verificacion", "kyc_submitted_at"], name="prof_kyc_queue_idx")]

    def __str__(self) -> str:
        return f"{self.nombre} {self.apellido}".strip() or str(self.usuario_id)

    @property
    def matchable(self) -> bool:
        """DOMAIN.md: can receive work only when APROBADO, active and located."""
        return self.estado_verificacion == KycStatus.APROBADO and self.account_active and self.location is not None


class KycDocument(models.Model):
    class Kind(models.TextChoices):
        DNI_FRENTE = "DNI_FRENTE"
        DNI_DORSO = "DNI_DORSO"
        SELFIE = "SELFIE"
        MATRICULA = "MATRICULA"
        OTRO = "OTRO"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="kyc_documents")
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.OTRO)
    file = models.CharField(max_length=300)  # name in the private "kyc" storage; never a public URL
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    original_name = models.CharField(max_length=200, blank=True, default="")
    submission = models.PositiveIntegerField(default=1)  # which submission round it belongs to
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return f"{self.kind} · {self.original_name}"


class KycDecision(models.Model):
    """Append-only history of KYC decisions (who, when, what, why)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="kyc_decisions")
    estado = models.CharField(max_length=16, choices=KYC_CHOICES)
    motivo = models.TextField(blank=True, default="")
    decided_by = models.UUIDField(null=True, blank=True)  # staff account id; null for the system
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]

    def __str__(self) -> str:
        return f"{self.estado} @ {self.decided_at:%Y-%m-%d %H:%M}"


class PortfolioItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="portfolio")
    titulo = models.CharField(max_length=150)
    descripcion = models.TextField(blank=True, default="", max_length=2000)
    orden = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["orden", "created_at"]

    def __str__(self) -> str:
        return self.titulo


class PortfolioImage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(PortfolioItem, on_delete=models.CASCADE, related_name="images")
    image = models.CharField(max_length=300)  # name in the public default storage
    orden = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["orden", "created_at"]

    def __str__(self) -> str:
        return self.image


class PublishedReview(models.Model):
    """Local read model of the marketplace's published reviews of professionals."""

    resena_id = models.UUIDField(primary_key=True)
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="reviews")
    trabajo_id = models.UUIDField()
    rating = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    texto = models.TextField(blank=True, default="")
    autor_nombre = models.CharField(max_length=100, blank=True, default="")
    respuesta = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.resena_id}"


class PointsEntry(models.Model):
    """Every change of points, with the event that caused it (audit; the bus makes it once)."""

    id = models.BigAutoField(primary_key=True)
    professional = models.ForeignKey(Professional, on_delete=models.CASCADE, related_name="points")
    delta = models.IntegerField()
    reason = models.CharField(max_length=40)
    source_event_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source_event_id", "reason"], name="points_once_per_event")]

    def __str__(self) -> str:
        return f"{self.delta:+d} {self.reason}"


# Search index: one row per (matchable professional, oficio), plus one "any oficio" row each.
ANY_OFICIO = uuid.UUID(int=0)


class SearchEntry(models.Model):
    """Denormalised for the search query of DOMAIN.md § Making search fast: the oficio and the
    coverage box are index conditions of composite GiST indexes (btree_gist); only matchable
    professionals have rows. Maintained by services whenever anything it copies changes.
    Hash-partitioned by oficio_id (migration 0005), so a search walks only its oficio's partition."""

    id = models.BigAutoField(primary_key=True)
    # The unique (professional, oficio_id) index serves lookups by professional.
    professional = models.ForeignKey(
        Professional, on_delete=models.CASCADE, related_name="search_entries", db_index=False
    )
    oficio_id = models.UUIDField()  # ANY_OFICIO for the row used when no oficio is asked for
    # Only the composite (oficio_id, …) GiST indexes below: every search names an oficio_id.
    location = gis.PointField(geography=True, srid=4326, spatial_index=False)
    coverage = gis.PolygonField(srid=4326, spatial_index=False)  # bounding box of the coverage circle
    radio_m = models.IntegerField()
    nivel_rank = models.SmallIntegerField()
    rating = models.DecimalField(max_digits=3, decimal_places=2)
    total_resenas = models.IntegerField()
    tarifa = models.DecimalField(max_digits=12, decimal_places=2, null=True)
    acepta_instant = models.BooleanField()
    search_text = models.TextField()  # lower-case names and oficios, for `q`

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["professional", "oficio_id"], name="search_entry_unique"),
        ]
        indexes = [
            # Location first: with the oficio first, inserts spread each oficio over every spatial
            # subtree (a uuid range holding it costs nothing to join), so the nearest-first walk read
            # ~1,600 pages for 200 rows at 1M; location first reads the leaves near the point only.
            GistIndex(fields=["location", "oficio_id"], name="search_oficio_location_gist"),
            GistIndex(fields=["oficio_id", "coverage"], name="search_oficio_coverage_gist"),
            # Best rated first (rating desc, professional id asc: the cursor's order) per oficio, with
            # what the coverage rule reads, so the rating window is an index-only scan.
            models.Index(
                F("oficio_id"),
                -F("rating"),
                F("professional"),
                include=["rating", "location", "radio_m"],
                name="search_oficio_rating",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.professional_id} / {self.oficio_id}"


__all__ = [
    "ANY_OFICIO",
    "KycDecision",
    "KycDocument",
    "Oficio",
    "PointsEntry",
    "PortfolioImage",
    "PortfolioItem",
    "Professional",
    "PublishedReview",
    "SearchEntry",
    "ServicioInstant",
]
