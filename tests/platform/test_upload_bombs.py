"""Decompression bombs (issue 16 § 8b): images whose header promises gigantic pixel counts, a PNG whose
zlib stream inflates far past what its dimensions use, and a KYC PDF whose object stream inflates to
tens of MB are refused with 413 and the one error body, before anything big is decoded — never a 500,
never stored. Each file is small; the builders make them byte by byte, and the same builders with
sane parameters make files that pass (so the refusals are about the bomb, not a broken file)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conectar.platform.uploads import clean_document, clean_image
from conectar.shared.errors import PayloadTooLarge
from tests.support.accounts import signed_up
from tests.support.files import image_bytes
from tests.support.professionals import new_professional

# --- builders --------------------------------------------------------------------------------------------


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_bytes(width: int, height: int, *, inflated: int | None = None) -> bytes:
    """An 8-bit RGB PNG whose IDAT inflates to `inflated` bytes of zeros (default: exactly what
    `width` x `height` needs, i.e. a valid black image)."""
    size = height * (1 + 3 * width) if inflated is None else inflated
    packer = zlib.compressobj(9)
    block = b"\0" * (1 << 20)
    stream = b"".join(packer.compress(block) for _ in range(size // len(block)))
    stream += packer.compress(b"\0" * (size % len(block))) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", stream) + _chunk(b"IEND", b"")


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header (SOF0) declares `width` x `height`."""
    data = bytearray(image_bytes("JPEG"))
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, height, width)
    return bytes(data)


def webp_canvas(width: int, height: int) -> bytes:
    """A real two-frame animated WebP (64x48 frames) whose VP8X canvas is `width` x `height`."""
    frames = [Image.new("RGB", (64, 48), (n * 90, 40, 40)) for n in range(2)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    data = bytearray(out.getvalue())
    vp8x = data.find(b"VP8X") + 8  # flags (1), reserved (3), canvas width - 1 (3), height - 1 (3)
    data[vp8x + 4 : vp8x + 7] = (width - 1).to_bytes(3, "little")
    data[vp8x + 7 : vp8x + 10] = (height - 1).to_bytes(3, "little")
    return bytes(data)


def pdf_with_object_stream(*, padding: int = 0) -> bytes:
    """A valid one-page PDF 1.5 whose catalog and page tree live in a Flate object stream that pypdf
    must inflate to read them, padded inside the stream with `padding` blanks (~1 KB per MB)."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"]
    first = len(objects[0]) + 1
    header = b"1 0 2 %d\n" % first
    packer = zlib.compressobj(9)
    stream = packer.compress(header + b"\n".join(objects) + b"\n")
    blanks = b" " * (1 << 20)
    stream += b"".join(packer.compress(blanks) for _ in range(padding // len(blanks)))
    stream += packer.compress(b" " * (padding % len(blanks))) + packer.flush()
    content = b"BT /F1 12 Tf 20 100 Td (DNI 12345678) Tj ET"
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = {}

    def put(number: int, body: bytes) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")

    put(3, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R >>")
    put(4, b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    put(
        5,
        b"<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n" % (len(header), len(stream))
        + stream
        + b"\nendstream",
    )
    xref_at = out.tell()
    # cross-reference stream rows (type, field 2, field 3): objects 1 and 2 are in stream 5
    rows = [(0, 0, 65535), (2, 5, 0), (2, 5, 1), (1, offsets[3], 0), (1, offsets[4], 0), (1, offsets[5], 0)]
    rows.append((1, xref_at, 0))
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out.write(
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % len(table)
        + table
        + b"\nendstream\nendobj\n"
    )
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref_at)
    return out.getvalue()


MB = 1024 * 1024

IMAGE_BOMBS = {
    "png declaring 10 gigapixels": lambda: png_bytes(100_000, 100_000, inflated=1000),
    "png declaring 50 megapixels": lambda: png_bytes(10_000, 5_000, inflated=1000),
    "png 100x100 whose stream inflates to 64 MB": lambda: png_bytes(100, 100, inflated=64 * MB),
    "jpeg declaring 60000x60000": lambda: jpeg_declaring(60_000, 60_000),
    "jpeg declaring 8000x8000": lambda: jpeg_declaring(8_000, 8_000),
    "webp with a 16383x16383 canvas": lambda: webp_canvas(16_383, 16_383),
    "webp with a 9000x5000 canvas": lambda: webp_canvas(9_000, 5_000),
}


# --- the checks themselves -----------------------------------------------------------------------------------


@pytest.mark.parametrize("bomb", list(IMAGE_BOMBS))
def test_image_bombs_are_413_before_decoding(bomb):
    data = IMAGE_BOMBS[bomb]()
    assert len(data) < 200 * 1024  # small on the wire: the danger is what it decodes to

    with pytest.raises(PayloadTooLarge) as refused:
        clean_image(data)

    assert (refused.value.status, refused.value.code) == (413, "image_too_large")


def test_the_builders_make_valid_images_when_not_bombs():
    png = clean_image(png_bytes(100, 100))
    assert (png.width, png.height, png.content_type) == (100, 100, "image/png")
    assert clean_image(webp_canvas(64, 48)).content_type == "image/webp"
    assert clean_image(jpeg_declaring(64, 48)).content_type == "image/jpeg"


def test_a_pdf_whose_object_stream_inflates_to_60_mb_is_413():
    bomb = pdf_with_object_stream(padding=60 * MB)
    assert len(bomb) < 100 * 1024

    with pytest.raises(PayloadTooLarge) as refused:
        clean_document(bomb)

    assert (refused.value.status, refused.value.code) == (413, "pdf_too_large")


def test_a_pdf_with_an_ordinary_object_stream_is_accepted():
    document = clean_document(pdf_with_object_stream(padding=10_000))
    assert document.content_type == "application/pdf"


# --- through the real routes -----------------------------------------------------------------------------------


def assert_too_large(response, code: str) -> None:
    assert response.status_code == 413, response.content
    body = response.json()
    assert body["code"] == code
    assert set(body) == {"detail", "code"}
    assert body["detail"]


@pytest.mark.django_db(databases="__all__")
@pytest.mark.parametrize("bomb", ["png 100x100 whose stream inflates to 64 MB", "webp with a 16383x16383 canvas"])
def test_an_avatar_bomb_is_413_and_the_avatar_stays(client, bomb):
    me = signed_up(client)
    upload = SimpleUploadedFile("foto.png", IMAGE_BOMBS[bomb](), content_type="image/png")

    response = client.post("/api/v1/users/me/avatar", {"file": upload}, headers=me.headers)

    assert_too_large(response, "image_too_large")
    assert client.get("/api/v1/users/me", headers=me.headers).json()["avatar_url"] is None


@pytest.mark.django_db(databases="__all__")
def test_kyc_bombs_are_413_and_nothing_goes_to_review(client):
    pro = new_professional(client)
    for name, content, code in [
        ("dni.pdf", pdf_with_object_stream(padding=60 * MB), "pdf_too_large"),
        ("dni.jpg", jpeg_declaring(60_000, 60_000), "image_too_large"),
        ("dni.png", png_bytes(100, 100, inflated=64 * MB), "image_too_large"),
    ]:
        response = client.post(
            "/api/v1/professional/kyc/upload", {"files": [SimpleUploadedFile(name, content)]}, headers=pro.headers
        )
        assert_too_large(response, code)

    status = client.get("/api/v1/professional/kyc", headers=pro.headers).json()
    assert (status["estado_verificacion"], status["documentos"]) == ("PENDIENTE", [])
