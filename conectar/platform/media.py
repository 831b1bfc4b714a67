"""Development-only serving of the public uploaded files (avatars, portfolio images). Production
serves them from S3/MinIO or a web server; private files (KYC) are never under these prefixes."""

from django.conf import settings
from django.views.static import serve

PUBLIC_PREFIXES = ("avatars", "portfolio")
PUBLIC_MEDIA_PATTERN = r"^media/(?P<path>(?:" + "|".join(PUBLIC_PREFIXES) + r")/.+)$"


def serve_public_media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def absolute_url(request, url: str | None) -> str | None:
    """An image or file URL as every answer gives it: absolute (V1-CONTRACT § 0.3). Storage URLs
    that already are (S3/MinIO) pass unchanged; a path is made absolute against the request's host."""
    if not url or url.startswith(("http://", "https://")):
        return url or None
    return request.build_absolute_uri(url)
