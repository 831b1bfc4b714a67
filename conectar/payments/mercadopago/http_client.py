"""The SDK's transport, pointed at `settings.MERCADOPAGO_BASE_URL`, with a timeout and no retries.

How the SDK builds a URL: every resource method ends in `MPBase._get/_post/_put/_delete`, which call
`http_client.<verb>(url=Config().api_base_url + uri, ...)`. `Config.api_base_url` is a read-only
property over a name-mangled class constant (`https://api.mercadopago.com`), with no setting,
constructor argument or `RequestOptions` field to change it. The one seam the SDK offers is the
`http_client` it accepts (`mercadopago.SDK(token, http_client=...)`), and every request passes through
its `request()`. So this subclass overrides `request()` and, there:

1. rewrites the SDK's base URL prefix to ours (anything else, e.g. a path we pass ourselves for
   Money Out, is joined to our base URL);
2. forces our timeout (`(connect, read)` = `MERCADOPAGO_TIMEOUT_SECONDS`) whatever the caller passed
   (the SDK's default is 60 s);
3. mounts an adapter with NO automatic retries on both schemes. The SDK's `request()` mounts a urllib3
   `Retry(total=3, status_forcelist=[429, 500, 502, 503, 504])` on `https://` for every call,
   POSTs included (urllib3 retries any method on a connection error). We do not want a transport to
   repeat a refund or a transfer on its own: the adapter (`client.py`) retries explicitly, only calls
   that are idempotent (GETs, and POSTs carrying our stable `X-Idempotency-Key`). Calling
   `super().request(maxretries=0)` is not an option: a zero-total urllib3 `Retry` with a status
   forcelist turns a 5xx into a `RetryError` instead of a response.
4. parses JSON with `Decimal` for non-integers, so amounts come back exact; a non-JSON error body
   (a proxy's HTML 502) keeps its status instead of becoming an exception. A non-JSON 2xx is the
   provider's fault: `MPServerError`, as in the SDK.

The return value keeps the SDK's shape: `{"status": <int>, "response": <parsed body or None>}`.
"""

from __future__ import annotations

import json
from decimal import Decimal

import requests
from mercadopago.config import Config
from mercadopago.errors import MPServerError
from mercadopago.http import HttpClient
from requests.adapters import HTTPAdapter

_SDK_BASE_URL = Config().api_base_url
_NO_CONTENT = 204


class MercadoPagoHttpClient(HttpClient):
    def __init__(self, *, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)

    def url_for(self, path_or_url: str) -> str:
        """Our URL for the SDK's absolute URL, or for a path (`/v1/...`)."""
        if path_or_url.startswith(_SDK_BASE_URL):
            return self.base_url + path_or_url[len(_SDK_BASE_URL) :]
        if path_or_url.startswith(("http://", "https://")):
            return path_or_url
        return self.base_url + "/" + path_or_url.lstrip("/")

    def request(self, method, url, maxretries=None, retry_on=None, backoff_factor=None, **kwargs):
        """One attempt, our URL and timeout; the SDK's retry knobs are ignored on purpose (module doc)."""
        kwargs["timeout"] = (self.timeout, self.timeout)
        with requests.Session() as session:
            no_retries = HTTPAdapter(max_retries=0)
            session.mount("https://", no_retries)
            session.mount("http://", no_retries)
            answer = session.request(method, self.url_for(url), **kwargs)
        response = {"status": answer.status_code, "response": None}
        if answer.status_code != _NO_CONTENT and answer.content:
            try:
                response["response"] = json.loads(answer.content, parse_float=Decimal)
            except ValueError as exc:
                if answer.ok:
                    raise MPServerError(
                        answer.status_code, {"message": "Invalid JSON in response body", "error": "invalid_response"}
                    ) from exc
                response["response"] = {"message": answer.text[:500], "error": "non_json_response"}
        return response
