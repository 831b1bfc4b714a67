"""KYC: the professional's document upload and status, the checked document route, and the staff
review API (API.md § professionals). Seed and v1 paths share one handler.

Documents are private: no route or body ever carries a public URL for one. Each document in a
body has a short-lived signed `url` (see selectors/kyc.py); the document route checks both the
signature and who is calling (the owner by bearer token; staff by bearer token or by their Django
admin session, which is how the admin's previews load).
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from uuid import UUID

import structlog
from django.conf import settings
from django.core.exceptions import TooManyFilesSent
from django.http import FileResponse
from ninja import Query, Router, Schema
from ninja.security import SessionAuth
from pydantic import Field

from conectar.platform.auth import AccessTokenBearer, Principal, RoleBearer
from conectar.platform.permissions import ADMIN_ROLE
from conectar.professionals.http.deps import own_professional
from conectar.professionals.models import KycDocument
from conectar.professionals.selectors import kyc as selectors
from conectar.professionals.services import accounts, kyc, kyc_documents
from conectar.shared.errors import InvalidInput

STAFF = RoleBearer(ADMIN_ROLE)  # 403 for other roles before the body is read
router = Router(tags=["kyc"])
log = structlog.get_logger(__name__)


class StaffSession(SessionAuth):
    """Django admin session of an active staff account, as a Principal (GET only here, so Ninja's
    CSRF check has nothing to refuse)."""

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active and user.is_staff:
            return Principal.from_user(user)
        return None


# --- bodies -----------------------------------------------------------------------------------------


class KycDocumentOut(Schema):
    id: UUID
    kind: str
    content_type: str
    size: int
    original_name: str
    submission: int
    uploaded_at: datetime
    url: str = Field(description="short-lived signed link (owner or staff only)")
    url_expires_at: datetime


class KycStatusOut(Schema):
    id: UUID = Field(description="the professional's profile id (API.md), as in /admin/kyc/approve/{id}")
    professional_id: UUID
    usuario_id: UUID
    nombre: str
    apellido: str
    estado_verificacion: str
    motivo_rechazo: str | None
    submitted_at: datetime | None
    submission: int = Field(description="round of the documents listed (0: none yet)")
    documentos: list[KycDocumentOut]
    # v1's keys (V1-CONTRACT § 3.1, § 3.7): the professional id again, the registration time; in the
    # queue the e-mail; after an upload or a decision v1's `status` (and `message`)
    profesional_id: UUID
    fecha_creacion: datetime
    email: str | None = None
    status: str | None = None
    message: str | None = None


class RejectIn(Schema):
    motivo: str | None = Field(default=None, max_length=2000, description="absent: the default reason")


class QueueParams(Schema):
    limit: int = Field(default=50, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class DocumentLinkParams(Schema):
    expires: str | None = Field(default=None, max_length=20)
    signature: str | None = Field(default=None, max_length=200)


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "minItems": 1,
                            "maxItems": settings.KYC_MAX_DOCUMENTS,
                            "description": "PDF, JPEG or PNG (decided by content), each within KYC_DOCUMENT_MAX_BYTES",
                        },
                        "kinds": {
                            "type": "array",
                            "items": {"type": "string", "enum": list(KycDocument.Kind.values)},
                            "description": "one per file, in the same order; all OTRO when absent",
                        },
                    },
                }
            }
        },
    }
}


def _v1(view: selectors.KycStatusView, **extra) -> dict:
    return {**asdict(view), "id": view.professional_id, "profesional_id": view.professional_id, **extra}


# --- the professional -------------------------------------------------------------------------------


@router.post(
    "/professional/kyc/submit",
    response=KycStatusOut,
    summary="Upload identity documents (→ EN_REVISION)",
    operation_id="professional_kyc_submit",
    openapi_extra=_UPLOAD_BODY,
)
@router.post(
    "/professional/kyc/upload",
    response=KycStatusOut,
    summary="Upload identity documents (→ EN_REVISION)",
    operation_id="professional_kyc_upload",
    openapi_extra=_UPLOAD_BODY,
)
def kyc_upload(request):
    own_professional(request)
    try:  # the multipart body is parsed here, on first access
        files, kinds = request.FILES.getlist("files"), request.POST.getlist("kinds")
    except TooManyFilesSent:
        raise InvalidInput(fields={"files": ["Demasiados archivos en un solo envío."]}) from None
    professional = kyc_documents.kyc_documents_submit(usuario_id=request.auth.user_id, files=files, kinds=kinds)
    view = selectors.kyc_status(professional_id=professional.pk, absolute=request.build_absolute_uri)
    return _v1(view, status="ok", message="Archivos recibidos, en revisión.")


@router.get("/professional/kyc", response=KycStatusOut, summary="Verification status and documents")
def kyc_status(request):
    professional = own_professional(request)
    return _v1(selectors.kyc_status(professional_id=professional.pk, absolute=request.build_absolute_uri))


@router.get(
    "/professional/kyc/documents/{document_id}",
    auth=[AccessTokenBearer(), StaffSession()],
    url_name="professionals-kyc-document",
    summary="One identity document, through its signed link (owner or staff)",
)
def kyc_document(request, document_id: UUID, link: Query[DocumentLinkParams]):
    selectors.check_link(document_id, expires=link.expires, signature=link.signature)
    principal = request.auth
    document = selectors.document_for_viewer(document_id, user_id=principal.user_id, role=principal.role)
    response = FileResponse(selectors.open_document(document), content_type=document.content_type)
    response["Content-Disposition"] = f'inline; filename="{document.kind.lower()}-{document.pk}.{_extension(document)}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"  # the link must not leak to where a PDF's links go
    log.info("kyc.document_served", document_id=str(document.pk), viewer=str(principal.user_id), role=principal.role)
    return response


def _extension(document) -> str:
    return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(document.content_type, "bin")


# --- staff ------------------------------------------------------------------------------------------


@router.get(
    "/admin/kyc/pendientes", response=list[KycStatusOut], auth=STAFF, summary="KYC queue (EN_REVISION, oldest first)"
)
def kyc_queue(request, params: Query[QueueParams]):
    views = selectors.pending_reviews(limit=params.limit, offset=params.offset, absolute=request.build_absolute_uri)
    emails = accounts.account_emails([v.usuario_id for v in views])
    return [_v1(v, email=emails.get(v.usuario_id)) for v in views]


@router.post(
    "/admin/kyc/approve/{professional_id}", response=KycStatusOut, auth=STAFF, summary="Approve a KYC in review"
)
def kyc_approve(request, professional_id: UUID):
    kyc.kyc_approve(professional_id=professional_id, by=request.auth.user_id)
    return _v1(
        selectors.kyc_status(professional_id=professional_id, absolute=request.build_absolute_uri), status="aprobado"
    )


@router.post("/admin/kyc/reject/{professional_id}", response=KycStatusOut, auth=STAFF, summary="Reject a KYC in review")
def kyc_reject(request, professional_id: UUID, payload: RejectIn | None = None):
    """v1 sends no body (V1-CONTRACT § 6.9): with no `motivo` the professional reads the default
    reason; a `motivo` that is sent must say something."""
    motivo = payload.motivo if payload is not None else None
    kyc.kyc_reject(professional_id=professional_id, by=request.auth.user_id, motivo=motivo)
    return _v1(
        selectors.kyc_status(professional_id=professional_id, absolute=request.build_absolute_uri), status="rechazado"
    )
