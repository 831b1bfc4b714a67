"""Webhook signatures: what `verify_webhook` accepts and refuses."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from conectar.payments.mercadopago.signatures import (
    InvalidWebhookSignature,
    StaleWebhook,
    sign_webhook,
    verify_webhook,
)

SECRET = "s3cr3t-de-prueba"
NOW = datetime(2025, 3, 10, 15, 0, 0, tzinfo=UTC)
TS = int(NOW.timestamp())
REQUEST_ID = "bb56a2f1-6aae-46ac-982e-9dcd3581d08e"


def verify(**overrides):
    arguments = {
        "x_signature": sign_webhook(data_id="123456", request_id=REQUEST_ID, secret=SECRET, ts=TS),
        "x_request_id": REQUEST_ID,
        "data_id": "123456",
        "secret": SECRET,
        "now": NOW,
        "tolerance_seconds": 300,
    }
    arguments.update(overrides)
    verify_webhook(**arguments)


def test_a_correct_signature_is_accepted():
    verify()


def test_the_signature_is_mercadopagos_documented_hmac_of_the_manifest():
    expected = hmac.new(SECRET.encode(), f"id:123456;request-id:{REQUEST_ID};ts:{TS};".encode(), hashlib.sha256)
    assert sign_webhook(data_id="123456", request_id=REQUEST_ID, secret=SECRET, ts=TS) == (
        f"ts={TS},v1={expected.hexdigest()}"
    )


def test_a_signature_made_with_another_secret_is_refused():
    forged = sign_webhook(data_id="123456", request_id=REQUEST_ID, secret="otro-secreto", ts=TS)
    with pytest.raises(InvalidWebhookSignature) as caught:
        verify(x_signature=forged)
    assert caught.value.code == "invalid_signature"
    assert caught.value.status == 401


def test_a_tampered_hash_is_refused():
    good = sign_webhook(data_id="123456", request_id=REQUEST_ID, secret=SECRET, ts=TS)
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    with pytest.raises(InvalidWebhookSignature):
        verify(x_signature=tampered)


def test_a_signature_for_another_payment_is_refused():
    with pytest.raises(InvalidWebhookSignature):
        verify(data_id="999999")


def test_a_signature_for_another_request_id_is_refused():
    with pytest.raises(InvalidWebhookSignature):
        verify(x_request_id="00000000-0000-0000-0000-000000000000")


@pytest.mark.parametrize(
    "missing",
    [
        {"x_signature": None},
        {"x_signature": ""},
        {"x_signature": f"v1={'a' * 64}"},  # no ts
        {"x_signature": f"ts={TS}"},  # no hash
        {"x_signature": "garbage"},
        {"x_request_id": None},
        {"x_request_id": "  "},
        {"data_id": None},
        {"secret": ""},
    ],
)
def test_missing_parts_are_refused(missing):
    with pytest.raises(InvalidWebhookSignature) as caught:
        verify(**missing)
    assert not isinstance(caught.value, StaleWebhook)


def test_a_signature_of_a_manifest_without_the_request_id_is_not_accepted_without_it():
    """The SDK alone would drop a missing request id from the manifest; we refuse the notification."""
    manifest = f"id:123456;ts:{TS};"
    digest = hmac.new(SECRET.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    with pytest.raises(InvalidWebhookSignature):
        verify(x_signature=f"ts={TS},v1={digest}", x_request_id=None)


def test_an_alphanumeric_data_id_is_signed_and_checked_in_lower_case():
    signature = sign_webhook(data_id="ABC123def", request_id=REQUEST_ID, secret=SECRET, ts=TS)
    verify(x_signature=signature, data_id="ABC123def")
    verify(x_signature=signature, data_id="abc123DEF")
    manifest = f"id:abc123def;request-id:{REQUEST_ID};ts:{TS};"
    digest = hmac.new(SECRET.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    assert signature == f"ts={TS},v1={digest}"


def test_a_timestamp_in_milliseconds_is_understood():
    ts_ms = TS * 1000 + 250
    signature = sign_webhook(data_id="123456", request_id=REQUEST_ID, secret=SECRET, ts=ts_ms)
    verify(x_signature=signature)
    with pytest.raises(StaleWebhook):
        verify(x_signature=signature, now=NOW + timedelta(seconds=301))


def test_a_webhook_older_than_the_tolerance_is_stale():
    signature = sign_webhook(data_id="123456", request_id=REQUEST_ID, secret=SECRET, ts=TS - 301)
    with pytest.raises(StaleWebhook) as caught:
        verify(x_signature=signature)
    assert caught.value.code == "stale_webhook"
    assert caught.value.status == 401
    assert isinstance(caught.value, InvalidWebhookSignature)


def test_a_webhook_from_the_future_beyond_the_tolerance_is_refused():
    signature = sign_webhook(data_id="123456", request_id=REQUEST_ID, secret=SECRET, ts=TS + 301)
    with pytest.raises(StaleWebhook):
        verify(x_signature=signature)


def test_the_edges_of_the_window_are_inside():
    for ts in (TS - 300, TS + 300):
        verify(x_signature=sign_webhook(data_id="123456", request_id=REQUEST_ID, secret=SECRET, ts=ts))


def test_a_forged_stale_signature_reports_the_forgery():
    forged = sign_webhook(data_id="123456", request_id=REQUEST_ID, secret="otro", ts=TS - 10_000)
    with pytest.raises(InvalidWebhookSignature) as caught:
        verify(x_signature=forged)
    assert not isinstance(caught.value, StaleWebhook)


def test_without_now_the_clock_is_used():
    current = int(datetime.now(UTC).timestamp())
    signature = sign_webhook(data_id="77", request_id=REQUEST_ID, secret=SECRET, ts=current)
    verify_webhook(x_signature=signature, x_request_id=REQUEST_ID, data_id="77", secret=SECRET, tolerance_seconds=300)
