"""Uploads are judged by their bytes, never by their name or declared type.

Images are decoded by Pillow (which recognises the format from the content), and re-encoded from
the decoded pixels: EXIF (GPS position included), ICC tricks, trailing payloads and polyglots do
not survive. Anything Pillow cannot decode as an allowed format is a 415.

Decompression bombs are a 413 (`image_too_large` / `pdf_too_large`), refused before anything big is
decoded: an image whose header declares more than MAX_IMAGE_PIXELS (Pillow's own DecompressionBomb
error and warning included), a PNG whose zlib stream inflates to more than its dimensions need
(inflated in bounded steps and thrown away, never held), and a PDF whose streams pypdf would have
to inflate beyond PDF_STREAM_MAX_BYTES each or PDF_OBJECT_STREAMS_MAX_BYTES together.

Identity documents (`clean_document`) are a PDF or a JPEG/PNG image. A PDF must start with
`%PDF-`, end with `%%EOF` (bytes appended after it are dropped), parse with pypdf, have pages, and
carry no encryption, JavaScript, launch/submit/import actions, attachments, rich media or XFA.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from conectar.shared.errors import PayloadTooLarge, UnsupportedMediaType

if TYPE_CHECKING:
    from PIL import Image

# Pillow and pypdf are imported by the checks that use them, on the first upload: a web worker that
# never receives one does not carry them (~25 MB of RSS, bench/memory.py).

IMAGE_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
MAX_IMAGE_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
_CHUNK = 64 * 1024
_INFLATE_STEP = 1024 * 1024  # a PNG's stream is inflated this much at a time to be measured


@cache
def _undecodable() -> tuple[type[BaseException], ...]:
    from PIL import UnidentifiedImageError  # noqa: PLC0415 - on the first upload, see above

    return (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, struct.error, zlib.error)


def _too_many_pixels() -> PayloadTooLarge:
    return PayloadTooLarge(
        f"La imagen es demasiado grande: como máximo {MAX_IMAGE_PIXELS // 1_000_000} megapíxeles.",
        code="image_too_large",
    )


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
    from PIL import Image, ImageOps  # noqa: PLC0415 - on the first upload, see above

    try:
        image_format = _checked_format(data)
        with Image.open(io.BytesIO(data), formats=[image_format]) as decoded:
            if image_format == "JPEG":
                decoded.draft(decoded.mode, (max_side, max_side))  # libjpeg scales down while decoding
            upright = ImageOps.exif_transpose(decoded)  # keep the orientation EXIF asked for, then drop EXIF
            upright.thumbnail((max_side, max_side))
            pixels = _normalise_mode(upright, image_format)
            out = io.BytesIO()
            pixels.save(out, format=image_format, **_SAVE_OPTIONS[image_format])
    # Pillow's own bomb check (the warning too, where warnings are errors) is ours to answer, not a 500.
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except _undecodable() as exc:
        raise UnsupportedMediaType("El archivo no es una imagen JPEG, PNG o WebP válida.") from exc
    extension, content_type = IMAGE_FORMATS[image_format]
    return CleanImage(out.getvalue(), extension, content_type, pixels.width, pixels.height)


_SAVE_OPTIONS = {"JPEG": {"quality": 88, "optimize": True}, "WEBP": {"quality": 88}, "PNG": {"optimize": True}}


def _checked_format(data: bytes) -> str:
    from PIL import Image  # noqa: PLC0415 - on the first upload, see above

    with Image.open(io.BytesIO(data)) as probe:
        if probe.format not in IMAGE_FORMATS:
            raise UnsupportedMediaType("Formato de imagen no permitido: usá JPEG, PNG o WebP.")
        if probe.width * probe.height > MAX_IMAGE_PIXELS:
            raise _too_many_pixels()
        if probe.format == "PNG":
            _check_png_stream(data)
        probe.verify()  # structural check of the whole file
        return probe.format


_IHDR = struct.Struct(">IIBBBBB")  # width, height, bit depth, colour type, compression, filter, interlace
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by IHDR colour type: grey, RGB, palette, grey+alpha, RGBA


def _check_png_stream(data: bytes) -> None:
    """413 when the IDAT zlib stream inflates to more than the image's declared size can use.
    Pillow stops reading where the pixels end, but a stream like that is a bomb for whatever reads
    it next (and says the file was made to hurt), so it is refused outright."""
    limit, inflater, inflated, pos = None, zlib.decompressobj(), 0, len(_PNG_MAGIC)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR" and len(body) >= _IHDR.size:
            width, height, depth, colour, _, _, interlace = _IHDR.unpack(body[: _IHDR.size])
            row_bytes = -(-width * depth * _PNG_CHANNELS.get(colour, 4) // 8)
            rows = 2 * height + 7 if interlace else height  # Adam7's seven passes add rows
            limit = height * row_bytes + 2 * rows  # a filter byte per row, plus rounding per pass row
        elif kind == b"IDAT" and limit is not None:
            pending = body
            while pending and not inflater.eof:
                inflated += len(inflater.decompress(pending, _INFLATE_STEP))
                if inflated > limit:
                    raise PayloadTooLarge(
                        "La imagen PNG se descomprime en mucho más de lo que sus dimensiones necesitan.",
                        code="image_too_large",
                    )
                pending = inflater.unconsumed_tail
        elif kind == b"IEND":
            return


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
# What pypdf may inflate while the PDF is checked: the cross-reference and object streams it must
# read (images and page contents are never decoded here). A scan's are a few KB; pypdf's defaults
# (75 MB a stream, decoded object streams kept in memory) let a 60 KB upload cost gigabytes.
PDF_STREAM_MAX_BYTES = 8 * 1024 * 1024
PDF_OBJECT_STREAMS_MAX_BYTES = 16 * 1024 * 1024
_PDF_LIMITS = {
    "zlib_maximum_output_length": PDF_STREAM_MAX_BYTES,
    "lzw_maximum_output_length": PDF_STREAM_MAX_BYTES,
    "run_length_maximum_output_length": PDF_STREAM_MAX_BYTES,
    "brotli_maximum_output_length": PDF_STREAM_MAX_BYTES,
    "array_based_stream_maximum_output_length": PDF_STREAM_MAX_BYTES,
    "stream_decoding_work_maximum_length": 4 * PDF_STREAM_MAX_BYTES,
}


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
    from pypdf import PdfReader, apply_configuration  # noqa: PLC0415 - on the first upload, see above
    from pypdf.errors import LimitReachedError  # noqa: PLC0415

    end = data.rfind(PDF_EOF)
    if end == -1:
        raise UnsupportedMediaType("El PDF está incompleto o dañado.")
    content = data[: end + len(PDF_EOF)] + b"\n"  # whatever was appended after the end goes
    if _raw_forbidden_name(content):
        raise UnsupportedMediaType("El PDF contiene código, acciones o archivos adjuntos; subilo sin ellos.")
    try:
        with apply_configuration(**_PDF_LIMITS):  # a context variable: this request's checks only
            problem = _pdf_problem(PdfReader(io.BytesIO(content), strict=False))
    except (LimitReachedError, _PdfTooLarge) as exc:
        raise PayloadTooLarge(
            "El PDF es demasiado grande o complejo una vez descomprimido; exportalo de nuevo o subí una foto.",
            code="pdf_too_large",
        ) from exc
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
    _check_object_streams(reader)
    if _pdf_has_forbidden_name(reader):
        return "El PDF contiene código, acciones o archivos adjuntos; subilo sin ellos."
    return None


class _PdfTooLarge(Exception):
    pass


def _check_object_streams(reader) -> None:
    """Inflate the object streams the walk below will read, one by one, stopping once together they
    pass PDF_OBJECT_STREAMS_MAX_BYTES (pypdf keeps each decoded one for the reader's lifetime)."""
    total = 0
    for number in sorted({stream for stream, _index in reader.xref_objStm.values()}):
        stream = reader.get_object(number)
        if stream is None or not hasattr(stream, "get_data"):
            continue  # a dangling entry: pypdf reports it as damage when it is read
        total += len(stream.get_data())
        if total > PDF_OBJECT_STREAMS_MAX_BYTES:
            raise _PdfTooLarge


def _raw_forbidden_name(content: bytes) -> bool:
    for match in _RAW_NAME.finditer(content):
        raw = match.group()
        name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw) if b"#" in raw else raw
        if name.decode("latin-1") in _RAW_FORBIDDEN:
            return True
    return False


def _pdf_has_forbidden_name(reader) -> bool:
    """Look at every object the cross-reference tables list (reachable or not) and the trailer."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject  # noqa: PLC0415

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
