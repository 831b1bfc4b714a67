"""Development-only serving of the public uploaded files (avatars, portfolio images). Production
serves them from S3/MinIO or a web server; private files (KYC) are never under these prefixes."""

from django.conf import settings
from django.views.static import serve

PUBLIC_PREFIXES = ("avatars", "portfolio")
PUBLIC_MEDIA_PATTERN = r"^media/(?P<path>(?:" + "|".join(PUBLIC_PREFIXES) + r")/.+)$"


def serve_public_media(request, path):
    return serve(request, path, document_root=settings.MEDIA_ROOT)
