"""Storing a professional's identity documents and sending them to staff review.

Files go to the private `kyc` storage only (never the public default storage) under names that
say nothing about their owner's upload: `<professional id>/<random>.<ext>`. Every file of a
submission is checked before any is stored; the rows and the state change are one transaction,
and the stored files are deleted again if that transaction does not commit, so a failure leaves
neither orphan files nor rows without files.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import structlog
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Max

from conectar.platform.databases import alias_for
from conectar.platform.uploads import CleanDocument, clean_document, read_limited
from conectar.professionals.contracts import KycStateConflict, KycStatus, NotAProfessional
from conectar.professionals.models import KycDocument, Professional
from conectar.professionals.services import kyc
from conectar.shared.errors import InvalidInput

DB = alias_for("professionals")
KYC_STORAGE = "kyc"
KINDS = frozenset(KycDocument.Kind.values)
log = structlog.get_logger(__name__)


def kyc_storage():
    """The private storage of identity documents (resolved per call: tests point it elsewhere)."""
    return storages[KYC_STORAGE]


@dataclass(frozen=True)
class _Checked:
    kind: str
    original_name: str
    document: CleanDocument


def kyc_documents_submit(*, usuario_id: UUID, files: Sequence, kinds: Sequence[str] = ()) -> Professional:
    """Check, store and submit 1..KYC_MAX_DOCUMENTS uploaded files (Django `UploadedFile`s) of the
    professional with account `usuario_id`; `kinds` names each file's KycDocument.Kind, in order
    (repeated fields or one comma-separated field; all OTRO when empty). The verification goes
    (back) to EN_REVISION; while APROBADO it is a 400."""
    professional = Professional.objects.filter(usuario_id=usuario_id).first()
    if professional is None:
        raise NotAProfessional
    _refuse_when_approved(professional)  # cheap early answer; checked again under the lock
    checked = _checked_uploads(files, kinds)

    storage = kyc_storage()
    stored: list[str] = []
    try:
        for item in checked:
            name = f"{professional.pk}/{uuid.uuid4().hex}.{item.document.extension}"
            stored.append(storage.save(name, ContentFile(item.document.content)))
        with transaction.atomic(using=DB, durable=True):
            locked = Professional.objects.select_for_update().get(pk=professional.pk)
            _refuse_when_approved(locked)
            previous = locked.kyc_documents.aggregate(last=Max("submission"))["last"] or 0
            KycDocument.objects.bulk_create(
                KycDocument(
                    professional=locked,
                    kind=item.kind,
                    file=name,
                    content_type=item.document.content_type,
                    size=len(item.document.content),
                    original_name=item.original_name,
                    submission=previous + 1,
                )
                for item, name in zip(checked, stored, strict=True)
            )
            professional = kyc.kyc_mark_submitted(usuario_id=usuario_id, documents=len(stored))
    except BaseException:
        _delete_quietly(storage, stored)
        raise
    log.info("kyc.documents_submitted", professional_id=str(professional.pk), documents=len(stored))
    return professional


def _refuse_when_approved(professional: Professional) -> None:
    if professional.estado_verificacion == KycStatus.APROBADO:
        raise KycStateConflict("Tu identidad ya está verificada: no hace falta subir más documentos.")


def _checked_uploads(files: Sequence, kinds: Sequence[str]) -> list[_Checked]:
    maximum = settings.KYC_MAX_DOCUMENTS
    if not files:
        raise InvalidInput(fields={"files": ["Subí al menos un documento (PDF, JPEG o PNG)."]})
    if len(files) > maximum:
        raise InvalidInput(fields={"files": [f"Podés subir hasta {maximum} documentos por envío."]})
    if len(kinds) == 1 and "," in kinds[0]:  # also accepted as one comma-separated field
        kinds = kinds[0].split(",")
    kinds = [(k or "").strip().upper() for k in kinds]
    if kinds and len(kinds) != len(files):
        raise InvalidInput(fields={"kinds": ["Indicá un tipo por cada archivo, en el mismo orden, o ninguno."]})
    unknown = sorted({k for k in kinds if k not in KINDS})
    if unknown:
        allowed = ", ".join(sorted(KINDS))
        raise InvalidInput(fields={"kinds": [f"Tipo de documento desconocido: {', '.join(unknown)}. Usá {allowed}."]})
    checked = []
    for index, upload in enumerate(files):
        data = read_limited(upload, max_bytes=settings.KYC_DOCUMENT_MAX_BYTES)
        checked.append(
            _Checked(
                kind=kinds[index] if kinds else KycDocument.Kind.OTRO,
                original_name=_display_name(getattr(upload, "name", "") or ""),
                document=clean_document(data),
            )
        )
    return checked


def _display_name(name: str) -> str:
    """The uploader's file name, only ever shown (never used as a path): printable, ≤ 200 chars."""
    cleaned = "".join(ch for ch in name.replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable())
    return cleaned.strip()[:200]


def _delete_quietly(storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the original error matters more; the orphan is logged for cleanup
            log.exception("kyc.orphan_document", name=name)
