"""The adapter that sends each channel, chosen from settings.

- A channel left out of NOTIFY_CHANNELS is disabled: its deliveries are skipped (`channel_disabled`).
- A channel with credentials goes through its provider's official SDK (FCM, SendGrid, Twilio) at its
  *_BASE_URL.
- A channel without credentials keeps its messages in the development store (the delivery row,
  provider "dev") — outside production only: production refuses to start without credentials
  (`missing_credentials`, checked in `apps.ready()`).
"""

from __future__ import annotations

import hashlib
import threading
import uuid

import structlog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from conectar.notifications.contracts import Channel
from conectar.notifications.providers.base import Email, Push, Sms

log = structlog.get_logger(__name__)

DEV = "dev"
_cache: dict[tuple, object] = {}
_lock = threading.Lock()


class DevStore:
    """Development: nothing leaves the machine; the delivery row (subject, body, HTML, recipient)
    is the stored message, shown in Django admin and by `manage.py latest_messages`."""

    name = DEV

    def send(self, message: Email | Push | Sms) -> str:
        to = getattr(message, "to", None) or getattr(message, "token", "")
        title = getattr(message, "subject", None) or getattr(message, "title", "")
        body = getattr(message, "text", None) or getattr(message, "body", "")
        # The whole text in the log too, so `make run`'s console shows e.g. the password-reset link.
        log.info("notifications.dev_store", kind=type(message).__name__.lower(), to=to, title=title, body=body)
        return f"dev-{uuid.uuid4()}"


def enabled(channel: Channel) -> bool:
    return channel.value in settings.NOTIFY_CHANNELS


def credentials_missing(channel: Channel) -> list[str]:
    """The settings this channel still needs (empty when it can reach its provider)."""
    if channel == Channel.PUSH:
        required = ["FCM_SERVICE_ACCOUNT"]
    elif channel == Channel.EMAIL:
        required = ["SENDGRID_API_KEY"]
    else:
        required = ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER"]
    return [name for name in required if not getattr(settings, name, "")]


def configuration_errors() -> list[str]:
    """What keeps production from delivering: enabled channels without (valid) credentials."""
    errors = []
    for channel in Channel:
        if not enabled(channel):
            continue
        missing = credentials_missing(channel)
        if missing:
            errors.append(
                f"{channel.value}: set {', '.join(missing)} (or leave {channel.value} out of NOTIFY_CHANNELS)"
            )
        elif channel == Channel.PUSH:
            try:
                _service_account()
            except (OSError, ValueError) as exc:
                errors.append(f"push: FCM_SERVICE_ACCOUNT is unreadable: {exc}")
    return errors


def check_production_configuration() -> None:
    """Called at start-up: production without provider credentials must not run quietly."""
    if not settings.PRODUCTION:
        return
    errors = configuration_errors()
    if errors:
        raise ImproperlyConfigured("Notifications cannot reach their providers in production: " + "; ".join(errors))


def for_channel(channel: Channel):
    """The adapter for `channel`, or None when the channel is disabled."""
    if not enabled(channel):
        return None
    if credentials_missing(channel):
        if settings.PRODUCTION:  # start-up refuses this; here only if settings changed at runtime
            raise ImproperlyConfigured(f"no credentials for the {channel.value} channel in production")
        return DevStore()
    if channel == Channel.PUSH:
        return _cached(
            ("fcm", settings.FCM_SERVICE_ACCOUNT, settings.FCM_BASE_URL, settings.FCM_TIMEOUT_SECONDS),
            _make_fcm,
        )
    if channel == Channel.EMAIL:
        key = (
            "sendgrid",
            settings.SENDGRID_API_KEY,
            settings.SENDGRID_BASE_URL,
            settings.SENDGRID_TIMEOUT_SECONDS,
            settings.NOTIFY_EMAIL_FROM,
            settings.NOTIFY_PRODUCT_NAME,
        )
        return _cached(key, _make_sendgrid)
    key = (
        "twilio",
        settings.TWILIO_ACCOUNT_SID,
        settings.TWILIO_AUTH_TOKEN,
        settings.TWILIO_FROM_NUMBER,
        settings.TWILIO_BASE_URL,
        settings.TWILIO_TIMEOUT_SECONDS,
    )
    return _cached(key, _make_twilio)


def _cached(key: tuple, make):
    digest = (key[0], hashlib.sha256(repr(key).encode()).hexdigest())
    with _lock:
        adapter = _cache.get(digest)
        if adapter is None:
            adapter = _cache[digest] = make()
        return adapter


def _service_account() -> dict:
    from conectar.notifications.providers.fcm import load_service_account  # noqa: PLC0415 - SDKs load on first use

    return load_service_account(settings.FCM_SERVICE_ACCOUNT)


def _make_fcm():
    from conectar.notifications.providers.fcm import FcmPush  # noqa: PLC0415 - SDKs load on first use

    return FcmPush(
        service_account=_service_account(), base_url=settings.FCM_BASE_URL, timeout=settings.FCM_TIMEOUT_SECONDS
    )


def _make_sendgrid():
    from conectar.notifications.providers.sendgrid import SendGridEmail  # noqa: PLC0415 - SDKs load on first use

    return SendGridEmail(
        api_key=settings.SENDGRID_API_KEY,
        base_url=settings.SENDGRID_BASE_URL,
        timeout=settings.SENDGRID_TIMEOUT_SECONDS,
        sender=settings.NOTIFY_EMAIL_FROM,
        sender_name=settings.NOTIFY_PRODUCT_NAME,
    )


def _make_twilio():
    from conectar.notifications.providers.twilio import TwilioSms  # noqa: PLC0415 - SDKs load on first use

    return TwilioSms(
        account_sid=settings.TWILIO_ACCOUNT_SID,
        auth_token=settings.TWILIO_AUTH_TOKEN,
        sender=settings.TWILIO_FROM_NUMBER,
        base_url=settings.TWILIO_BASE_URL,
        timeout=settings.TWILIO_TIMEOUT_SECONDS,
    )
