"""The suite's watch (tests/support/call_guard.py) really sees a call made under another context's
transaction — and lets the same call through when nothing is open."""

import uuid

import pytest
from django.db import transaction

from conectar.payments import facade as payments
from tests.support import call_guard

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def test_a_facade_call_under_another_contexts_transaction_is_reported():
    with transaction.atomic(using="marketplace"):
        payments.payment_summary(trabajo_id=uuid.uuid4())
    found, call_guard._violations[:] = list(call_guard._violations), []
    assert len(found) == 1
    assert "payments.facade.payment_summary called with a transaction open on ['marketplace']" in found[0]


def test_the_same_call_with_nothing_open_or_under_its_own_transaction_is_fine():
    payments.payment_summary(trabajo_id=uuid.uuid4())
    with transaction.atomic(using="payments"):
        payments.payment_summary(trabajo_id=uuid.uuid4())
    assert call_guard._violations == []
