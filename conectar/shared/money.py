"""Money is ARS as Decimal with two places; floats never enter."""

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

CENT = Decimal("0.01")


class InvalidAmount(ValueError):
    pass


def to_money(value: Decimal | int | str) -> Decimal:
    """Parse an amount from a request (number or string) into a two-place Decimal.

    Floats are refused: they cannot represent cents exactly and would hide rounding.
    """
    if isinstance(value, float | bool):
        raise InvalidAmount("amounts must be given as strings or integers, not floats")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise InvalidAmount(f"not a decimal amount: {value!r}") from exc
    if not amount.is_finite():
        raise InvalidAmount("amount must be finite")
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def format_money(amount: Decimal) -> str:
    """Money in responses is a string decimal: "15000.00"."""
    return str(amount.quantize(CENT, rounding=ROUND_HALF_EVEN))
