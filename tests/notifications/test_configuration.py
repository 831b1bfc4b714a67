"""Credentials come only from the environment; production without them refuses to start."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from conectar.notifications import providers as registry
from conectar.notifications.contracts import Channel

ROOT = Path(__file__).resolve().parents[2]
NOTIFY_VARIABLES = (
    "FCM_SERVICE_ACCOUNT",
    "SENDGRID_API_KEY",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "NOTIFY_CHANNELS",
)


def start_production(**variables) -> subprocess.CompletedProcess:
    """A fresh process with production settings, from the environment alone, as a server starts."""
    env = {k: v for k, v in os.environ.items() if k not in NOTIFY_VARIABLES and not k.startswith("DJANGO_")}
    env.update(
        CONECTAR_ENV="production",
        SECRET_KEY="production-start-up-test",
        DJANGO_SETTINGS_MODULE="conectar.settings",
        PYTHONPATH=str(ROOT),
        **variables,
    )
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_without_credentials_fails_loudly_at_start_up():
    result = start_production()
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    for name in ("FCM_SERVICE_ACCOUNT", "SENDGRID_API_KEY", "TWILIO_ACCOUNT_SID"):
        assert name in result.stderr


def test_production_with_the_credentials_of_its_channels_starts(providers, tmp_path):
    account = tmp_path / "service-account.json"
    account.write_text(json.dumps(providers.google.new_service_account()))
    result = start_production(
        NOTIFY_CHANNELS="push,email", FCM_SERVICE_ACCOUNT=str(account), SENDGRID_API_KEY="SG.production-key"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


def test_an_unreadable_service_account_is_a_configuration_error(settings):
    settings.PRODUCTION = True
    settings.FCM_SERVICE_ACCOUNT = "/nonexistent/service-account.json"
    with pytest.raises(ImproperlyConfigured, match="FCM_SERVICE_ACCOUNT is unreadable"):
        registry.check_production_configuration()


def test_outside_production_a_channel_without_credentials_uses_the_development_store(settings):
    settings.SENDGRID_API_KEY = ""
    assert registry.credentials_missing(Channel.EMAIL) == ["SENDGRID_API_KEY"]
    assert registry.for_channel(Channel.EMAIL).name == "dev"
    assert registry.for_channel(Channel.SMS).name == "twilio"
    settings.NOTIFY_CHANNELS = ["push"]
    assert registry.for_channel(Channel.SMS) is None
