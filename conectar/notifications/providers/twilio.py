"""SMS through Twilio's official SDK (`twilio`, Programmable Messaging).

The SDK builds `https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages.json` itself; a custom
`http_client` (the SDK's documented extension point) sends it to TWILIO_BASE_URL instead when that is
set (a local stand-in), with our timeout and without the SDK's own retries."""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from conectar.notifications.providers.base import (
    InvalidPhoneNumber,
    PermanentError,
    Sms,
    TransientError,
    guarded,
)

NAME = "twilio"
TWILIO_API = "https://api.twilio.com"
_RETRYABLE_STATUS = 429
# Twilio error codes that mean "this number cannot get an SMS": not retried, the delivery fails.
# 21211 invalid 'To' number, 21614 not a mobile number, 21612 unreachable, 21408 region not enabled,
# 21610 the person replied STOP.
_BAD_NUMBER_CODES = frozenset({21211, 21614, 21612, 21408, 21610})


class _BaseUrlHttpClient(TwilioHttpClient):
    def __init__(self, *, base_url: str, timeout: float):
        super().__init__(timeout=timeout, max_retries=0)
        self._base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API):
            url = self._base_url + url[len(TWILIO_API) :]
        return super().request(method, url, *args, **kwargs)


class TwilioSms:
    name = NAME

    def __init__(self, *, account_sid: str, auth_token: str, sender: str, base_url: str, timeout: float):
        self._client = Client(
            account_sid, auth_token, http_client=_BaseUrlHttpClient(base_url=base_url, timeout=timeout)
        )
        self._sender = sender

    def send(self, sms: Sms) -> str:
        return guarded(NAME, lambda: self._create(sms))

    def _create(self, sms: Sms) -> str:
        try:
            message = self._client.messages.create(to=sms.to, from_=self._sender, body=sms.body)
        except TwilioRestException as exc:
            text = f"Twilio {exc.status} (code {exc.code}): {exc.msg}"
            if exc.status >= 500 or exc.status == _RETRYABLE_STATUS:  # noqa: PLR2004 - HTTP classes
                raise TransientError(text, status=exc.status, code=exc.code) from exc
            if exc.code in _BAD_NUMBER_CODES:
                raise InvalidPhoneNumber(text, status=exc.status, code=exc.code) from exc
            raise PermanentError(text, status=exc.status, code=exc.code) from exc
        except (requests.RequestException, TwilioException) as exc:
            raise TransientError(f"Twilio unreachable: {exc}") from exc
        return message.sid
