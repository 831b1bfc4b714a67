"""Payout accounts that pass the BCRA check digits: CBUs of real bank codes, Mercado Pago CVUs,
and aliases. Made up, never anyone's account."""

from __future__ import annotations

import random
import unicodedata

from conectar.devtools.demo.catalogue import BANKS, MERCADO_PAGO_CVU_PREFIX

_BLOCK1_WEIGHTS = (7, 1, 3, 9, 7, 1, 3)
_BLOCK2_WEIGHTS = (3, 9, 7, 1, 3, 9, 7, 1, 3, 9, 7, 1, 3)
ALIAS_MAX = 20


def _check_digit(digits: str, weights: tuple[int, ...]) -> str:
    return str((10 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10) % 10)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _with_checks(block1: str, block2: str) -> str:
    return block1 + _check_digit(block1, _BLOCK1_WEIGHTS) + block2 + _check_digit(block2, _BLOCK2_WEIGHTS)


def cbu(rng: random.Random) -> str:
    return _with_checks(rng.choice(BANKS) + _digits(rng, 4), _digits(rng, 13))


def cvu(rng: random.Random) -> str:
    return _with_checks(MERCADO_PAGO_CVU_PREFIX, "100" + _digits(rng, 10))


def ascii_lower(text: str) -> str:
    """ "Núñez" → "nunez": for e-mail-like identifiers."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def alias(nombre: str, apellido: str) -> str:
    """A Mercado Pago style alias, e.g. `lucia.fernandez.mp` (6 to 20 letters, digits and dots)."""
    stem = f"{ascii_lower(nombre)}.{ascii_lower(apellido)}"[: ALIAS_MAX - len(".mp")].rstrip(".")
    return f"{stem}.mp"


def payout_account(rng: random.Random, nombre: str, apellido: str) -> str:
    draw = rng.random()
    if draw < 0.5:  # noqa: PLR2004 - half bank accounts, a quarter CVUs, a quarter aliases
        return cbu(rng)
    if draw < 0.75:  # noqa: PLR2004
        return cvu(rng)
    return alias(nombre, apellido)
