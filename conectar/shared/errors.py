"""Errors every layer may raise; the gateway turns each into the one error body of API.md.

`status` is the HTTP status the gateway answers with; `code` is the stable machine code.
"""

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    status = 400
    code = "business_rule"
    default_detail = "La solicitud fue rechazada por una regla de negocio."

    def __init__(self, detail: str | None = None, *, code: str | None = None):
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        super().__init__(self.detail)


class InvalidInput(DomainError):
    status = 422
    code = "invalid"
    default_detail = "La solicitud tiene campos inválidos."

    def __init__(
        self,
        detail: str | None = None,
        *,
        fields: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
    ):
        super().__init__(detail, code=code)
        self.fields = {name: list(msgs) for name, msgs in (fields or {}).items()}


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_detail = "Faltan las credenciales de autenticación o no son válidas."


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_detail = "No tenés permiso para realizar esta acción."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_detail = "No encontrado."


class Conflict(DomainError):
    status = 400  # v1 clients expect 400 for a state conflict; `code` says which (V1-CONTRACT.md § 0)
    code = "conflict"
    default_detail = "La solicitud entra en conflicto con el estado actual."


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    default_detail = "El cuerpo de la solicitud es demasiado grande."


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    default_detail = "Tipo de contenido no soportado."


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_detail = "Demasiadas solicitudes."

    def __init__(self, detail: str | None = None, *, retry_after: int, code: str | None = None):
        super().__init__(detail, code=code)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"
    default_detail = "Un servicio necesario no está disponible; probá de nuevo en unos instantes."
    retry_after = 5  # seconds, answered as Retry-After
