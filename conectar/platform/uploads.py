"""Uploads are judged by their bytes, never by their name or declared type.

Images are decoded by Pillow (which recognises the format from the content), and re-encoded from
the decoded pixels: EXIF (GPS position included), ICC tricks, trailing payloads and polyglots do
not survive. Anything Pillow cannot decode as an allowed format is a 415.

Identity documents (`clean_document`) are a PDF or a JPEG/PNG image. A PDF must start with
`%PDF-`, end with `%%EOF` (bytes appended after it are dropped), parse with pypdf, have pages, and
carry no encryption, JavaScript, launch/submit/import actions, attachments, rich media or XFA.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

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


# --- Identity documents (KYC): PDF, JPEG or PNG, decided by content -----------------------------------

PDF_MAGIC = b"%PDF-"
PDF_EOF = b"%%EOF"
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
# Names that make a PDF run code, start programs, carry other files or send data somewhere. A scanned
# identity document needs none of them. Checked on every object pypdf can read, decoded (so
# `/J#61vaScript` is `/JavaScript`), as dictionary keys and as name values (`/S /Launch`).
PDF_FORBIDDEN_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/RichMedia",
        "/XFA",
        "/SubmitForm",
        "/ImportData",
    }
)
# The long ones are also looked for in the raw bytes, which covers objects of earlier revisions or
# outside the cross-reference table that a lenient viewer might still reconstruct. Short names are
# left to the parsed check: three bytes such as "/JS" occur by chance in compressed image data.
_RAW_MIN_NAME = 7
_RAW_FORBIDDEN = frozenset(name for name in PDF_FORBIDDEN_NAMES if len(name) >= _RAW_MIN_NAME)
_RAW_NAME = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]{6,40}")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
MAX_PDF_OBJECTS = 200_000


@dataclass(frozen=True)
class CleanDocument:
    content: bytes
    extension: str
    content_type: str


def clean_document(data: bytes) -> CleanDocument:
    """Judge an identity document by its bytes: a PDF (checked structurally, without scripts,
    actions, attachments or encryption) or a JPEG/PNG image (re-encoded, metadata dropped).
    Anything else is a 415, whatever its name or declared type."""
    if data.startswith(PDF_MAGIC):
        return CleanDocument(_checked_pdf(data), "pdf", "application/pdf")
    if data.startswith((_JPEG_MAGIC, _PNG_MAGIC)):
        image = clean_image(data)
        if image.content_type not in {"image/jpeg", "image/png"}:  # the magic bytes lied
            raise UnsupportedMediaType("El documento tiene que ser un PDF, una imagen JPEG o una PNG.")
        return CleanDocument(image.content, image.extension, image.content_type)
    raise UnsupportedMediaType("El documento tiene que ser un PDF, una imagen JPEG o una PNG.")


def _checked_pdf(data: bytes) -> bytes:
    end = data.rfind(PDF_EOF)
    if end == -1:
        raise UnsupportedMediaType("El PDF está incompleto o dañado.")
    content = data[: end + len(PDF_EOF)] + b"\n"  # whatever was appended after the end goes
    if _raw_forbidden_name(content):
        raise UnsupportedMediaType("El PDF contiene código, acciones o archivos adjuntos; subilo sin ellos.")
    try:
        problem = _pdf_problem(PdfReader(io.BytesIO(content), strict=False))
    except Exception as exc:  # untrusted bytes in a pure-Python parser: whatever it trips on is "not a PDF"
        raise UnsupportedMediaType("El PDF está dañado o no se puede leer.") from exc
    if problem:
        raise UnsupportedMediaType(problem)
    return content


def _pdf_problem(reader) -> str | None:
    if reader.is_encrypted:
        return "El PDF está protegido o cifrado; subilo sin contraseña."
    if len(reader.pages) < 1:
        return "El PDF no tiene páginas."
    if len(reader.xref_objStm) + sum(len(t) for t in reader.xref.values()) > MAX_PDF_OBJECTS:
        return "El PDF tiene demasiados objetos."
    if _pdf_has_forbidden_name(reader):
        return "El PDF contiene código, acciones o archivos adjuntos; subilo sin ellos."
    return None


def _raw_forbidden_name(content: bytes) -> bool:
    for match in _RAW_NAME.finditer(content):
        raw = match.group()
        name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw) if b"#" in raw else raw
        if name.decode("latin-1") in _RAW_FORBIDDEN:
            return True
    return False


def _pdf_has_forbidden_name(reader) -> bool:
    """Look at every object the cross-reference tables list (reachable or not) and the trailer."""
    refs = [(num, gen) for gen, table in reader.xref.items() for num in table]
    refs += [(num, 0) for num in reader.xref_objStm]
    roots = [reader.trailer] + [IndirectObject(num, gen, reader) for num, gen in refs]
    for root in roots:
        stack = [root.get_object() if isinstance(root, IndirectObject) else root]
        while stack:
            item = stack.pop()
            if isinstance(item, NameObject):
                if str(item) in PDF_FORBIDDEN_NAMES:
                    return True
            elif isinstance(item, DictionaryObject):  # stream objects are dictionaries too
                if any(str(key) in PDF_FORBIDDEN_NAMES for key in item):
                    return True
                # indirect references are not followed: each one is visited from the tables
                stack.extend(v for v in item.values() if not isinstance(v, IndirectObject))
            elif isinstance(item, ArrayObject):
                stack.extend(v for v in item if not isinstance(v, IndirectObject))
    return False
