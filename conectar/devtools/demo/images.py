"""Small generated JPEGs for the demo: portfolio pictures and identity documents that say plainly
they are fake. The same key always draws the same picture."""

from __future__ import annotations

import io
import random
from functools import cache

from PIL import Image, ImageDraw, ImageFont

PORTFOLIO_SIZE = (480, 360)
DOCUMENT_SIZE = (428, 270)  # an ID card's proportions
JPEG_QUALITY = 82


@cache
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def _rng(key: str) -> random.Random:
    return random.Random(f"conectar-demo-image/{key}")  # noqa: S311 - pictures, reproducible on purpose


def _colour(rng: random.Random, low: int = 40, high: int = 220) -> tuple[int, int, int]:
    return (rng.randint(low, high), rng.randint(low, high), rng.randint(low, high))


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY)
    return out.getvalue()


def portfolio_picture(key: str, caption: str) -> bytes:
    """A gradient with a few shapes (the "work") and the item's title along the bottom."""
    rng = _rng(key)
    width, height = PORTFOLIO_SIZE
    image = Image.new("RGB", PORTFOLIO_SIZE)
    draw = ImageDraw.Draw(image)
    top, bottom = _colour(rng), _colour(rng)
    for y in range(height):
        mix = y / (height - 1)
        draw.line([(0, y), (width, y)], fill=tuple(round(a + (b - a) * mix) for a, b in zip(top, bottom, strict=True)))
    for _ in range(rng.randint(3, 6)):
        x0, y0 = rng.randint(0, width - 80), rng.randint(0, height - 120)
        box = (x0, y0, x0 + rng.randint(40, 200), y0 + rng.randint(30, 120))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle  # noqa: PLR2004
        shape(box, fill=_colour(rng), outline=(255, 255, 255), width=2)
    draw.rectangle((0, height - 44, width, height), fill=(20, 20, 20))
    draw.text((14, height - 34), caption[:48], font=_font(20), fill=(255, 255, 255))
    return _jpeg(image)


def identity_document(key: str, kind: str, *, nombre: str, apellido: str, dni: str) -> bytes:
    """A card (or, for SELFIE, a drawn portrait) marked as demo data with no validity."""
    rng = _rng(key)
    image = Image.new("RGB", DOCUMENT_SIZE, (236, 240, 244))
    draw = ImageDraw.Draw(image)
    width, height = DOCUMENT_SIZE
    if kind == "SELFIE":
        skin = (rng.randint(170, 235), rng.randint(130, 190), rng.randint(100, 160))
        draw.ellipse((width // 2 - 55, 40, width // 2 + 55, 170), fill=skin)
        draw.rectangle((width // 2 - 95, 175, width // 2 + 95, height), fill=_colour(rng))
    else:
        draw.rectangle((0, 0, width, 42), fill=(74, 134, 196))
        draw.text((14, 10), "REPÚBLICA ARGENTINA · DEMO", font=_font(18), fill=(255, 255, 255))
        draw.rectangle((18, 60, 128, 200), fill=(200, 206, 214), outline=(120, 120, 120))
        lines = (
            [f"Apellido: {apellido}", f"Nombre: {nombre}", f"Documento: {dni}"]
            if kind == "DNI_FRENTE"
            else ["Domicilio: datos ficticios", f"Documento: {dni}", "<<<DEMO<<<CONECTAR<<<"]
        )
        for row, line in enumerate(lines):
            draw.text((146, 70 + 34 * row), line, font=_font(17), fill=(30, 30, 30))
    draw.text((14, height - 30), "DATOS DE DEMOSTRACIÓN · SIN VALIDEZ", font=_font(16), fill=(190, 30, 30))
    return _jpeg(image)
