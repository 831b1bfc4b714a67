"""Errors every layer may raise; the gateway turns each into the one error body of API.md.

`status` is the HTTP status the gateway answers with; `code` is the stable machine code.
"""

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    status = 400
    code = "business_rule"
    default_detail = "The request was refused by a business rule."

    def __init__(self, detail: str | None = None, *, code: str | None = None):
        self.detail = detail or self.default_detail
        if code:
            self.code = code
        super().__init__(self.detail)


class InvalidInput(DomainError):
    status = 422
    code = "invalid"
    default_detail = "The request has invalid fields."

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
    default_detail = "Authentication credentials were not provided or are invalid."


class PermissionDenied(DomainError):
    status = 403
    code = "permission_denied"
    default_detail = "You do not have permission to perform this action."


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_detail = "Not found."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_detail = "The request conflicts with the current state."


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"
    default_detail = "The request body is too large."


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    default_detail = "Unsupported media type."


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"
    default_detail = "Too many requests."

    def __init__(self, detail: str | None = None, *, retry_after: int, code: str | None = None):
        super().__init__(detail, code=code)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    status = 503
    code = "service_unavailable"
    default_detail = "A service this request needs is unavailable; try again shortly."
