from decimal import Decimal

import pytest

from conectar.shared.money import InvalidAmount, format_money, to_money


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("15000", "15000.00"), (15000, "15000.00"), ("0.125", "0.12"), ("0.135", "0.14"), ("  7.5 ", "7.50")],
)
def test_amounts_become_two_place_decimals_with_bankers_rounding(raw, expected):
    assert to_money(raw) == Decimal(expected)
    assert format_money(to_money(raw)) == expected


@pytest.mark.parametrize("raw", [15000.5, True, "quince", "NaN", "Infinity", None, ""])
def test_floats_and_non_numbers_are_refused(raw):
    with pytest.raises(InvalidAmount):
        to_money(raw)
