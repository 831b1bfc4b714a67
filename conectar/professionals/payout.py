"""Payout accounts (DOMAIN.md): a CBU or CVU (22 digits, with the BCRA check digits) or a
MercadoPago alias (6 to 20 letters, digits and dots). Pure functions, no database."""

from __future__ import annotations

import re

_ALIAS = re.compile(r"^[A-Za-z0-9.]{6,20}$")
_BLOCK1_WEIGHTS = (7, 1, 3, 9, 7, 1, 3)
_BLOCK2_WEIGHTS = (3, 9, 7, 1, 3, 9, 7, 1, 3, 9, 7, 1, 3)
CBU_LENGTH = 22


def _check_digit(digits: str, weights: tuple[int, ...]) -> int:
    return (10 - sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 10) % 10


def is_valid_cbu(value: str) -> bool:
    """CBU and CVU share the format: block 1 (entity + branch + check), block 2 (account + check)."""
    if len(value) != CBU_LENGTH or not value.isdigit():
        return False
    block1_ok = _check_digit(value[:7], _BLOCK1_WEIGHTS) == int(value[7])
    block2_ok = _check_digit(value[8:21], _BLOCK2_WEIGHTS) == int(value[21])
    return block1_ok and block2_ok


def normalize_payout_account(raw: str) -> str:
    """The account as stored, or ValueError with the reason (in Spanish)."""
    value = (raw or "").strip()
    compact = value.replace(" ", "").replace("-", "")
    if compact.isdigit():
        if len(compact) != CBU_LENGTH:
            raise ValueError("El CBU/CVU tiene 22 dígitos.")
        if not is_valid_cbu(compact):
            raise ValueError("El CBU/CVU no es válido (dígitos verificadores).")
        return compact
    if _ALIAS.match(value):
        return value.lower()
    raise ValueError("Ingresá un CBU/CVU de 22 dígitos o un alias de 6 a 20 letras, números o puntos.")


def mask(account: str) -> str:
    """For responses: enough to recognise the account, not enough to reuse it elsewhere."""
    if not account:
        return ""
    return ("*" * (len(account) - 4)) + account[-4:] if account.isdigit() else account
