"""E-mail through SendGrid's official SDK (`sendgrid`, v3 Mail Send API).

Why the SDK and not Django's e-mail API with a SendGrid backend: SendGrid's SMTP relay (or a
backend wrapping it) hides the HTTP status we need to tell a provider fault (5xx, 429: retried) from
a refused request (4xx: kept as failed), no SendGrid backend ships with Django, and the SDK's `host=`
is the supported way to point the real client at a local stand-in. The SDK's urllib client has no
retries of its own, so the task's backoff and the breaker are the only retry policy."""

from __future__ import annotations

from python_http_client import exceptions as http_errors
from sendgrid import SendGridAPIClient
from sendgrid.helpers.mail import CustomArg, From, Mail

from conectar.notifications.providers.base import Email, PermanentError, TransientError, guarded

NAME = "sendgrid"
_RETRYABLE_STATUS = 429


class SendGridEmail:
    name = NAME

    def __init__(self, *, api_key: str, base_url: str, timeout: float, sender: str, sender_name: str):
        self._client = SendGridAPIClient(api_key=api_key, host=base_url)
        self._timeout = timeout
        self._sender = From(sender, sender_name)

    def send(self, email: Email) -> str:
        mail = Mail(
            from_email=self._sender,
            to_emails=email.to,
            subject=email.subject,
            plain_text_content=email.text,
            html_content=email.html or None,
        )
        mail.custom_arg = CustomArg("delivery_id", email.reference)
        return guarded(NAME, lambda: self._post(mail.get()))

    def _post(self, body: dict) -> str:
        try:
            response = self._client.client.mail.send.post(request_body=body, timeout=self._timeout)
        except http_errors.HTTPError as exc:
            status = exc.status_code
            detail = _error_text(exc)
            if status >= 500 or status == _RETRYABLE_STATUS:  # noqa: PLR2004 - HTTP classes
                raise TransientError(f"SendGrid {status}: {detail}", status=status) from exc
            raise PermanentError(f"SendGrid {status}: {detail}", status=status) from exc
        except OSError as exc:  # URLError, timeouts, refused or dropped connections
            raise TransientError(f"SendGrid unreachable: {exc}") from exc
        return response.headers.get("X-Message-Id", "") or ""


def _error_text(exc: http_errors.HTTPError) -> str:
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body)
    return body[:500]
