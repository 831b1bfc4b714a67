"""Files for upload tests: real images made with Pillow, and things that only pretend to be."""

import io

from PIL import Image


def image_bytes(fmt: str = "JPEG", size=(64, 48), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (30, 120, 200))
    out = io.BytesIO()
    options = {}
    if exif:
        tags = Image.Exif()
        tags[0x8825] = {2: (34.0, 36.0, 12.0)}  # GPSInfo: where the photo was taken
        tags[0x010F] = "SecretCam"  # Make
        options["exif"] = tags
    image.save(out, format=fmt, **options)
    return out.getvalue()


# (content, file name): none is a JPEG, PNG or WebP whatever its name says.
NOT_IMAGES = [
    (b"#!/bin/sh\nrm -rf /\n", "script.jpg"),
    (b"<script>alert(1)</script>", "foto.png"),
    (b"%PDF-1.4\n%%EOF", "foto.jpg"),
    (image_bytes("GIF"), "foto.gif"),
    (image_bytes("JPEG")[:200], "cortada.jpg"),
]
