"""Uploads are judged by their bytes, never by their name or declared type.

Images are decoded by Pillow (which recognises the format from the content), and re-encoded from
the decoded pixels: EXIF (GPS position included), ICC tricks, trailing payloads and polyglots do
not survive. Anything Pillow cannot decode as an allowed format is a 415.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from conectar.shared.errors import PayloadTooLarge, UnsupportedMediaType

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    extension: str
    content_type: str
    width: int
    height: int


def read_limited(uploaded, *, max_bytes: int) -> bytes:
    """Read an uploaded file, refusing (413) as soon as it passes `max_bytes`."""
    if uploaded.size is not None and uploaded.size > max_bytes:
        raise PayloadTooLarge(f"El archivo supera el máximo de {max_bytes // (1024 * 1024)} MB.")
    buffer = io.BytesIO()
    for chunk in uploaded.chunks(_CHUNK):
        buffer.write(chunk)
        if buffer.tell() > max_bytes:
            raise PayloadTooLarge(f"El archivo supera el máximo de {max_bytes // (1024 * 1024)} MB.")
    return buffer.getvalue()


def clean_image(data: bytes, *, max_side: int = 4096) -> CleanImage:
    """Decode `data` as JPEG/PNG/WebP and re-encode it in the same format, without metadata."""
    try:
        image_format = _checked_format(data)
        with Image.open(io.BytesIO(data)) as decoded:
            upright = ImageOps.exif_transpose(decoded)  # keep the orientation EXIF asked for, then drop EXIF
            upright.thumbnail((max_side, max_side))
            pixels = _normalise_mode(upright, image_format)
            out = io.BytesIO()
            pixels.save(out, format=image_format, **_SAVE_OPTIONS[image_format])
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UnsupportedMediaType("El archivo no es una imagen JPEG, PNG o WebP válida.") from exc
    extension, content_type = IMAGE_FORMATS[image_format]
    return CleanImage(out.getvalue(), extension, content_type, pixels.width, pixels.height)


_SAVE_OPTIONS = {"JPEG": {"quality": 88, "optimize": True}, "WEBP": {"quality": 88}, "PNG": {"optimize": True}}


def _checked_format(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as probe:
        if probe.format not in IMAGE_FORMATS:
            raise UnsupportedMediaType("Formato de imagen no permitido: usá JPEG, PNG o WebP.")
        if probe.width * probe.height > MAX_IMAGE_PIXELS:
            raise UnsupportedMediaType("La imagen es demasiado grande en píxeles.")
        probe.verify()  # structural check of the whole file
        return probe.format


def _normalise_mode(image: Image.Image, image_format: str) -> Image.Image:
    if image_format == "JPEG":
        return image.convert("RGB")
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        return image.convert("RGBA")
    return image.copy()
