"""Reads of KYC: a professional's verification status, the staff queue, and short-lived links to
the private documents.

A document never has a public URL. With the filesystem storage, a link points at the checked
route (`GET /api/v1/professional/kyc/documents/{id}?expires=…&signature=…`): an HMAC with a
KYC-only salt over the document id and the expiry, and the route still asks who is calling (the
owner or staff). With S3 (`querystring_auth`), the storage signs the link itself, for the same
short life (`KYC_URL_SECONDS`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.core.files.storage import storages
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from conectar.professionals.contracts import KycStatus
from conectar.professionals.models import KycDocument, Professional
from conectar.shared.errors import NotFound, PermissionDenied

KYC_STORAGE = "kyc"
LINK_SALT = "conectar.professionals.kyc.document-link"
DOCUMENT_ROUTE = "api:professionals-kyc-document"
ADMIN_ROLE = "ADMIN"

Absolute = Callable[[str], str]


# --- links ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentLink:
    url: str
    expires_at: datetime


def _signer() -> signing.Signer:
    return signing.Signer(salt=LINK_SALT)


def _signed_value(document_id: UUID | str, expires: int) -> str:
    return f"{document_id}:{expires}"


def link_signature(document_id: UUID | str, expires: int) -> str:
    return _signer().signature(_signed_value(document_id, expires))


def storage_signs_urls(storage) -> bool:
    """True for a storage that hands out its own expiring signed URLs (S3 with querystring_auth);
    a storage without that (the filesystem) must never be asked for a URL: it would be public."""
    return bool(getattr(storage, "querystring_auth", False))


def document_link(document: KycDocument, *, absolute: Absolute | None = None) -> DocumentLink:
    """A link to `document` that works for `KYC_URL_SECONDS`."""
    seconds = settings.KYC_URL_SECONDS
    expires = int(time.time()) + seconds
    storage = storages[KYC_STORAGE]
    if storage_signs_urls(storage):
        url = storage.url(
            document.file,
            parameters={
                "ResponseContentType": document.content_type,
                "ResponseContentDisposition": "inline",
                "ResponseCacheControl": "private, no-store",
            },
            expire=seconds,
        )
    else:
        path = reverse(DOCUMENT_ROUTE, kwargs={"document_id": document.pk})
        url = f"{path}?expires={expires}&signature={link_signature(document.pk, expires)}"
        if absolute is not None:
            url = absolute(url)
    return DocumentLink(url=url, expires_at=datetime.fromtimestamp(expires, tz=UTC))


def check_link(document_id: UUID, *, expires: int | str | None, signature: str | None) -> None:
    """403 unless (`expires`, `signature`) were made by `document_link` for this document and have
    not expired. Says nothing about whether the document exists."""
    try:
        expires_at = int(expires)
    except (TypeError, ValueError):
        raise PermissionDenied("El enlace al documento no es válido.", code="kyc_link_invalid") from None
    expected = link_signature(document_id, expires_at)
    if not signature or not constant_time_compare(expected, signature):
        raise PermissionDenied("El enlace al documento no es válido.", code="kyc_link_invalid")
    if expires_at < time.time():
        raise PermissionDenied("El enlace al documento venció; pedí uno nuevo.", code="kyc_link_expired")


def document_for_viewer(document_id: UUID, *, user_id: UUID, role: str) -> KycDocument:
    """The document, if the viewer may see it: its owner, or staff. Anyone else: 404, as if it did
    not exist."""
    documents = KycDocument.objects.select_related("professional")
    if role != ADMIN_ROLE:
        documents = documents.filter(professional__usuario_id=user_id)
    document = documents.filter(pk=document_id).first()
    if document is None:
        raise NotFound("No encontramos ese documento.")
    return document


def open_document(document: KycDocument):
    """The stored file, opened for reading (404 when the file itself is gone)."""
    storage = storages[KYC_STORAGE]
    try:
        return storage.open(document.file, "rb")
    except FileNotFoundError:
        raise NotFound("No encontramos ese documento.") from None


# --- status and queue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class KycDocumentView:
    id: UUID
    kind: str
    content_type: str
    size: int
    original_name: str
    submission: int
    uploaded_at: datetime
    url: str
    url_expires_at: datetime


@dataclass(frozen=True)
class KycStatusView:
    professional_id: UUID
    usuario_id: UUID
    nombre: str
    apellido: str
    estado_verificacion: str
    motivo_rechazo: str | None
    submitted_at: datetime | None
    submission: int
    documentos: list[KycDocumentView]
    fecha_creacion: datetime  # the profile's creation (registration), as v1's queue gives it

    @property
    def id(self) -> UUID:
        """API.md names a professional's profile `id` everywhere; `professional_id` is kept too."""
        return self.professional_id


def current_documents(professional: Professional) -> list[KycDocument]:
    """The documents of the latest submission (the ones staff review), in upload order. Uses the
    prefetched `kyc_documents` when there are."""
    documents = list(professional.kyc_documents.all())
    if not documents:
        return []
    latest = max(d.submission for d in documents)
    return sorted((d for d in documents if d.submission == latest), key=lambda d: (d.uploaded_at, str(d.pk)))


def document_views(documents: Iterable[KycDocument], *, absolute: Absolute | None = None) -> list[KycDocumentView]:
    views = []
    for document in documents:
        link = document_link(document, absolute=absolute)
        views.append(
            KycDocumentView(
                id=document.pk,
                kind=document.kind,
                content_type=document.content_type,
                size=document.size,
                original_name=document.original_name,
                submission=document.submission,
                uploaded_at=document.uploaded_at,
                url=link.url,
                url_expires_at=link.expires_at,
            )
        )
    return views


def status_view(professional: Professional, *, absolute: Absolute | None = None) -> KycStatusView:
    documents = current_documents(professional)
    return KycStatusView(
        professional_id=professional.pk,
        usuario_id=professional.usuario_id,
        nombre=professional.nombre,
        apellido=professional.apellido,
        estado_verificacion=professional.estado_verificacion,
        motivo_rechazo=professional.kyc_motivo_rechazo or None,
        submitted_at=professional.kyc_submitted_at,
        submission=documents[0].submission if documents else 0,
        documentos=document_views(documents, absolute=absolute),
        fecha_creacion=professional.created_at,
    )


def kyc_status(*, professional_id: UUID, absolute: Absolute | None = None) -> KycStatusView:
    professional = Professional.objects.prefetch_related("kyc_documents").filter(pk=professional_id).first()
    if professional is None:
        raise NotFound("No encontramos ese profesional.")
    return status_view(professional, absolute=absolute)


def review_queue():
    """Professionals waiting for a KYC decision, oldest submission first."""
    return (
        Professional.objects.filter(estado_verificacion=KycStatus.EN_REVISION)
        .order_by("kyc_submitted_at", "created_at", "pk")
        .prefetch_related("kyc_documents")
    )


def pending_reviews(*, limit: int, offset: int = 0, absolute: Absolute | None = None) -> list[KycStatusView]:
    return [status_view(p, absolute=absolute) for p in review_queue()[offset : offset + limit]]
