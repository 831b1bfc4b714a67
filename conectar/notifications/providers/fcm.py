"""Push through Firebase Cloud Messaging with the official Admin SDK (`firebase-admin` messaging,
FCM HTTP v1 `projects/{project}/messages:send`).

The credentials are a service-account JSON (FCM_SERVICE_ACCOUNT: the JSON text or a path); the SDK
signs a JWT with its key and trades it at the file's `token_uri` for an access token, so a test
service account whose `token_uri` points at a stand-in exercises the whole OAuth flow.

firebase-admin 7 has no emulator host or base-URL option for messaging (only for Auth, Realtime
Database and Cloud Tasks). Its messaging service builds its endpoint once, in
`_MessagingService.__init__`, from the class constant `FCM_URL` into the instance attribute
`_fcm_url`; for a base URL other than Google's we set that attribute on this app's service instance
(not the class constant, so nothing else in the process changes). We also mount a no-retry adapter
for the base URL: the SDK would otherwise retry 500/503 four times with backoff inside one call,
hiding faults from the breaker and stacking on top of the delivery's own backoff. The request
timeout is the SDK's public `httpTimeout` app option (google-auth applies it to the access-token
request too)."""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from pathlib import Path

import firebase_admin
import requests
from firebase_admin import credentials, exceptions, messaging
from google.auth import exceptions as auth_exceptions

from conectar.notifications.providers.base import (
    PermanentError,
    Push,
    TransientError,
    UnregisteredDevice,
    guarded,
)

NAME = "fcm"
GOOGLE_FCM = "https://fcm.googleapis.com"

_apps: dict[str, firebase_admin.App] = {}
_lock = threading.Lock()

# Errors that mean the token is dead for good: forget the device.
_DEAD_TOKEN = (messaging.UnregisteredError, messaging.SenderIdMismatchError)
# Our request or our credentials are wrong: retrying will not help.
_REFUSED = (
    exceptions.InvalidArgumentError,
    exceptions.PermissionDeniedError,
    exceptions.UnauthenticatedError,
    exceptions.NotFoundError,
    messaging.ThirdPartyAuthError,
)


def load_service_account(value: str) -> dict:
    """FCM_SERVICE_ACCOUNT: the service-account JSON itself, or the path of its file."""
    text = value if value.lstrip().startswith("{") else Path(value).read_text(encoding="utf-8")
    info = json.loads(text)
    if not isinstance(info, dict) or info.get("type") != "service_account" or not info.get("project_id"):
        raise ValueError("FCM_SERVICE_ACCOUNT is not a Firebase service-account JSON with a project_id")
    return info


class FcmPush:
    name = NAME

    def __init__(self, *, service_account: dict, base_url: str, timeout: float):
        self._app = _app_for(service_account, base_url.rstrip("/"), timeout)

    def send(self, push: Push) -> str:
        with warnings.catch_warnings():
            # firebase-admin 7.7 deprecates `token` for Firebase installation ids (`fid`), but apps
            # register FCM registration tokens, which FCM v1 still takes in `message.token`.
            warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
            message = self._message(push)
        return guarded(NAME, lambda: self._send(message))

    @staticmethod
    def _message(push: Push) -> messaging.Message:
        return messaging.Message(
            token=push.token,
            notification=messaging.Notification(title=push.title, body=push.body),
            data=push.data,
            android=messaging.AndroidConfig(
                priority="high",
                collapse_key=push.collapse_key,
                notification=messaging.AndroidNotification(tag=push.collapse_key),
            ),
            apns=messaging.APNSConfig(
                headers={"apns-collapse-id": push.collapse_key} if push.collapse_key else None,
            ),
        )

    def _send(self, message: messaging.Message) -> str:
        try:
            return messaging.send(message, app=self._app)
        except _DEAD_TOKEN as exc:
            raise UnregisteredDevice(f"FCM: {exc}", status=_status(exc), code=exc.code) from exc
        except _REFUSED as exc:
            raise PermanentError(f"FCM: {exc}", status=_status(exc), code=exc.code) from exc
        except exceptions.FirebaseError as exc:  # unavailable, internal, deadline, quota, unknown
            raise TransientError(f"FCM: {exc}", status=_status(exc), code=exc.code) from exc
        except auth_exceptions.RefreshError as exc:
            # The token endpoint refused our service account (invalid_grant…) or failed (5xx).
            error = TransientError if getattr(exc, "retryable", False) else PermanentError
            raise error(f"FCM credentials: {exc}") from exc
        except (auth_exceptions.TransportError, requests.RequestException) as exc:
            raise TransientError(f"FCM credentials: {exc}") from exc  # the token endpoint is down or slow


def _status(exc: exceptions.FirebaseError) -> int | None:
    response = getattr(exc, "http_response", None)
    return getattr(response, "status_code", None)


def _app_for(service_account: dict, base_url: str, timeout: float) -> firebase_admin.App:
    """One Firebase app per (credentials, base URL, timeout) in this process, created on first use."""
    key = hashlib.sha256(json.dumps([service_account, base_url, timeout], sort_keys=True).encode()).hexdigest()
    with _lock:
        app = _apps.get(key)
        if app is None:
            app = firebase_admin.initialize_app(
                credentials.Certificate(service_account),
                options={"httpTimeout": timeout, "projectId": service_account["project_id"]},
                name=f"conectar-fcm-{key[:16]}",
            )
            _point_at(app, base_url)
            _apps[key] = app
        return app


def _point_at(app: firebase_admin.App, base_url: str) -> None:
    """See the module docstring: the one private attribute we set, and the no-retry adapter."""
    service = messaging._get_messaging_service(app)
    if base_url != GOOGLE_FCM:
        service._fcm_url = f"{base_url}/v1/projects/{app.project_id}/messages:send"
    # google-auth's AuthorizedSession; it fetches the access token (at the service account's
    # token_uri) with the same per-request timeout, `httpTimeout`.
    service._client.session.mount(base_url, requests.adapters.HTTPAdapter(max_retries=0))
