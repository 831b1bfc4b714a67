"""The demo's payout accounts pass the professionals' own checks (a professionals test: it may use
its payout module; the demo's tests may not)."""

from conectar.devtools.demo.plan import approved_professionals
from conectar.professionals.payout import normalize_payout_account


def test_the_demos_payout_accounts_pass_the_professionals_checks():
    accounts = [p.payout_account for p in approved_professionals(200)]
    assert all(normalize_payout_account(a) for a in accounts)
