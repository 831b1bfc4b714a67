"""The notification providers' stand-ins, shared by this directory's tests and the test worker.

They start when this conftest is loaded (`pytest_configure`), before any test and so before the
session's Celery worker: the worker process takes its settings from the environment, so the
stand-ins' URLs and credentials are put there for it. In this process, each test gets the same
values through the `settings` fixture (and fresh stand-ins and circuit breakers)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest

from conectar.notifications.providers.base import PermanentError
from conectar.platform import breakers
from tests.support.standins import GoogleStandIn, SendGridStandIn, TwilioStandIn

SERVICE_KEY = "notify-internal-service-key-for-tests-0123456789"
STAFF_EMAIL = "staff@conectar.test"
FAIL_MAX = 3
RESET_SECONDS = 1.5


@dataclass
class Providers:
    google: GoogleStandIn
    sendgrid: SendGridStandIn
    twilio: TwilioStandIn
    environment: dict[str, str]

    def reset(self) -> None:
        for standin in (self.google, self.sendgrid, self.twilio):
            standin.reset()


_providers: Providers | None = None


def pytest_configure(config):
    global _providers  # noqa: PLW0603 - one set of stand-ins per test session
    google, sendgrid, twilio = GoogleStandIn().start(), SendGridStandIn().start(), TwilioStandIn().start()
    environment = {
        "FCM_SERVICE_ACCOUNT": json.dumps(google.new_service_account()),
        "FCM_BASE_URL": google.url,
        "FCM_TIMEOUT_SECONDS": "3",
        "SENDGRID_API_KEY": sendgrid.api_key,
        "SENDGRID_BASE_URL": sendgrid.url,
        "SENDGRID_TIMEOUT_SECONDS": "3",
        "TWILIO_ACCOUNT_SID": twilio.account_sid,
        "TWILIO_AUTH_TOKEN": twilio.auth_token,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_BASE_URL": twilio.url,
        "TWILIO_TIMEOUT_SECONDS": "3",
        "NOTIFY_BREAKER_FAIL_MAX": str(FAIL_MAX),
        "NOTIFY_BREAKER_RESET_SECONDS": str(RESET_SECONDS),
        "NOTIFY_RETRY_BACKOFF_SECONDS": "0.2",
        "NOTIFY_RETRY_BACKOFF_MAX_SECONDS": "1",
    }
    os.environ.update(environment)  # for the worker subprocess, started later
    _providers = Providers(google, sendgrid, twilio, environment)


def pytest_unconfigure(config):
    if _providers is not None:
        for standin in (_providers.google, _providers.sendgrid, _providers.twilio):
            standin.stop()


_FLOATS = {"FCM_TIMEOUT_SECONDS", "SENDGRID_TIMEOUT_SECONDS", "TWILIO_TIMEOUT_SECONDS"}
_UNUSED_HERE = {"NOTIFY_BREAKER_FAIL_MAX", "NOTIFY_BREAKER_RESET_SECONDS"}  # set on the breakers below


@pytest.fixture(autouse=True)
def providers(settings) -> Providers:
    """Every channel configured against its stand-in, the stand-ins emptied, the breakers closed."""
    assert _providers is not None
    _providers.reset()
    for name, value in _providers.environment.items():
        if name in _UNUSED_HERE:
            continue
        setattr(settings, name, float(value) if name in _FLOATS or name.startswith("NOTIFY_RETRY") else value)
    settings.NOTIFY_CHANNELS = ["push", "email", "sms"]
    settings.NOTIFY_STAFF_EMAILS = [STAFF_EMAIL]
    settings.INTERNAL_SERVICE_KEYS = [SERVICE_KEY]
    breakers.reset_all()
    for name in ("fcm", "sendgrid", "twilio"):
        circuit = breakers.breaker(name, exclude=[PermanentError])
        circuit.fail_max, circuit.reset_timeout = FAIL_MAX, RESET_SECONDS
    return _providers
