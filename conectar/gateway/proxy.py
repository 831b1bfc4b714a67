"""The gateway's reverse proxy to lifted contexts (ARCHITECTURE.md § Lifting a context).

In the gateway process every path a lifted context owns (route_owners.py) is served by
`proxy_view`, which forwards the request to the context's service and streams the answer back:
method, path, query, headers (minus hop-by-hop; X-Forwarded-For/-Proto/-Host set; Authorization
kept), the request id, status and response headers unchanged. A service that refuses connections,
times out or sits behind an open breaker is a 503 with Retry-After and the one error body.

**A sync view, on purpose.** Every middleware of this project is sync, and so is production
(gunicorn gthread): a sync view with a pooled `httpx.Client` per service runs the same under
gunicorn and under daphne (which gives each request a thread of its own). An async view would be
wrapped in a fresh event loop per request under WSGI, where an `AsyncClient`'s pool (bound to one
loop) cannot be shared. What differs between the servers is only how Django drains a streamed
response: WSGI wants a sync iterator and ASGI an async one, and either server *buffers the whole
body into a list* when given the other kind. So the response body is a sync iterator under WSGI and
an async one (each chunk read in the request's thread) under ASGI.

**Bodies stream.** The request body is read from the request's stream in chunks (never
`request.body`, whose DATA_UPLOAD_MAX_MEMORY_SIZE would refuse an upload) and sent with the client's
Content-Length. Under gunicorn that is straight from the socket; under daphne, Django has already
spooled the body to a temporary file (in memory only up to FILE_UPLOAD_MAX_MEMORY_SIZE). The
gateway's own middleware still runs first: request id, rate limits, the Content-Length limits.

**What the breaker counts**: only the service not answering (connection refused or reset,
timeouts, a broken response). Any HTTP answer, 5xx included, is the service's answer to this
request and is passed through: one buggy route must not cut every route of its context.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from http import HTTPStatus

import httpx
import structlog
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import StreamingHttpResponse, UnreadablePostError
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from conectar.gateway.route_owners import ROUTE_OWNERS
from conectar.platform.breakers import CircuitOpen, breaker, guarded_call
from conectar.platform.databases import release_idle_connections
from conectar.platform.http_errors import domain_error_response, error_response
from conectar.platform.request_id import HEADER as REQUEST_ID_HEADER
from conectar.platform.request_id import current_request_id
from conectar.shared.errors import ServiceUnavailable

log = structlog.get_logger(__name__)

CHUNK_BYTES = 64 * 1024
# Overridable with settings.GATEWAY_PROXY (the same keys). `read` is the longest silence between
# two chunks, not a limit on a whole download; `write` likewise for an upload.
DEFAULTS = {
    "connect_timeout": 3.0,
    "read_timeout": 30.0,
    "write_timeout": 30.0,
    "pool_timeout": 5.0,
    "max_connections": 100,
}
# RFC 9110 § 7.6.1: they describe one connection, not the message; plus what we set ourselves.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection"}
    | {"te", "trailer", "transfer-encoding", "upgrade"}
)
_SET_HERE = frozenset({"host", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", REQUEST_ID_HEADER.lower()})
# Answered to the client by the ServiceUnavailable body: the service could not be asked.
UNREACHABLE = (httpx.TransportError, CircuitOpen)


def _config() -> dict:
    return {**DEFAULTS, **getattr(settings, "GATEWAY_PROXY", {})}


def _timeout() -> httpx.Timeout:
    config = _config()
    return httpx.Timeout(
        connect=config["connect_timeout"],
        read=config["read_timeout"],
        write=config["write_timeout"],
        pool=config["pool_timeout"],
    )


_clients: dict[str, httpx.Client] = {}
_clients_lock = threading.Lock()


def client_for(base_url: str) -> httpx.Client:
    """One pooled client per service, shared by every thread of the process."""
    with _clients_lock:
        client = _clients.get(base_url)
        if client is None:
            limit = _config()["max_connections"]
            # trust_env=False: service-to-service traffic never goes through an egress proxy.
            client = httpx.Client(
                base_url=base_url,
                trust_env=False,
                follow_redirects=False,
                limits=httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
            )
            # httpx adds these when a request lacks them; the service must see the client's own.
            for name in ("Accept", "Accept-Encoding", "User-Agent"):
                del client.headers[name]
            _clients[base_url] = client
        return client


def service_breaker(context: str):
    # A client that hangs up mid-upload, or sends less body than its Content-Length says (httpx then
    # refuses to send a short body), is no fault of the service.
    return breaker(f"service.{context}", exclude=[UnreadablePostError, httpx.LocalProtocolError])


def send(context: str, base_url: str, request: httpx.Request) -> httpx.Response:
    """Send `request` to the context's service behind its breaker; the response's body is still
    unread (stream). Raises one of UNREACHABLE when the service does not answer."""
    client = client_for(base_url)
    return guarded_call(service_breaker(context), lambda: client.send(request, stream=True))


def fetch_json(context: str, base_url: str, url_path: str) -> dict:
    """GET a JSON document from the context's service (its OpenAPI schema): ServiceUnavailable
    unless it answers 200 with JSON."""
    client = client_for(base_url)
    request = client.build_request("GET", url_path, headers={"Accept": "application/json"}, timeout=_timeout())
    try:
        response = send(context, base_url, request)
    except UNREACHABLE as exc:
        log.warning("gateway.service_unreachable", context=context, path=url_path, error=repr(exc))
        raise ServiceUnavailable from exc
    try:
        response.read()
    except httpx.TransportError as exc:
        raise ServiceUnavailable from exc
    finally:
        response.close()
    if response.status_code != HTTPStatus.OK:
        log.warning("gateway.service_refused", context=context, path=url_path, status=response.status_code)
        raise ServiceUnavailable
    try:
        return response.json()
    except ValueError as exc:
        raise ServiceUnavailable from exc


# --- the view --------------------------------------------------------------------------------------


def _connection_tokens(value: str | None) -> set[str]:
    return {token.strip().lower() for token in (value or "").split(",") if token.strip()}


def upstream_headers(request) -> list[tuple[bytes, bytes]]:
    """The client's headers for the service, as the bytes the client sent (WSGI and ASGI both give
    Django latin-1 strings)."""
    dropped = HOP_BY_HOP | _SET_HERE | _connection_tokens(request.headers.get("Connection"))
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in request.headers.items()
        if value != "" and name.lower() not in dropped
    ]
    client_ip = request.META.get("REMOTE_ADDR", "")
    earlier = request.headers.get("X-Forwarded-For")
    forwarded_for = f"{earlier}, {client_ip}" if earlier else client_ip
    request_id = getattr(request, "request_id", None) or current_request_id()
    for name, value in (
        ("X-Forwarded-For", forwarded_for),
        ("X-Forwarded-Proto", request.scheme),
        ("X-Forwarded-Host", request.get_host()),
        (REQUEST_ID_HEADER, request_id),
    ):
        if value:
            headers.append((name.encode("latin-1"), value.encode("latin-1")))
    return headers


def _request_body(request) -> Iterator[bytes] | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0  # BodyLimitMiddleware answered 400 before the view
    if length <= 0:
        return None

    def chunks() -> Iterator[bytes]:
        while chunk := request.read(CHUNK_BYTES):
            yield chunk

    return chunks()


class _SyncBody:
    """The service's body for a WSGI server, chunk by chunk as it arrives (encoded as sent)."""

    def __init__(self, context: str, upstream: httpx.Response):
        self.context = context
        self.upstream = upstream

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.upstream.iter_raw(CHUNK_BYTES)
        except httpx.TransportError as exc:
            # The status is sent already: cut the connection so the client sees a broken body,
            # never a short one that looks complete.
            log.warning("gateway.proxy_body_interrupted", context=self.context, error=repr(exc))
            raise
        finally:
            self.upstream.close()

    def close(self) -> None:
        self.upstream.close()


class _AsyncBody(_SyncBody):
    """The same for an ASGI server, which needs an async iterator to stream at all."""

    __iter__ = None  # Django picks the async path only for objects that are not iterable

    async def __aiter__(self):
        chunks = self.upstream.iter_raw(CHUNK_BYTES)
        read = sync_to_async(next)  # in the request's own thread, as the view ran
        try:
            while (chunk := await read(chunks, None)) is not None:
                yield chunk
        except httpx.TransportError as exc:
            log.warning("gateway.proxy_body_interrupted", context=self.context, error=repr(exc))
            raise
        finally:
            self.upstream.close()


def _client_response(request, context: str, upstream: httpx.Response) -> StreamingHttpResponse:
    body_class = _AsyncBody if isinstance(request, ASGIRequest) else _SyncBody
    response = StreamingHttpResponse(body_class(context, upstream), status=upstream.status_code)
    if upstream.reason_phrase:
        response.reason_phrase = upstream.reason_phrase
    del response["Content-Type"]  # only the service's own, if it sent one
    dropped = HOP_BY_HOP | _connection_tokens(upstream.headers.get("Connection"))
    for name, value in upstream.headers.multi_items():
        lowered = name.lower()
        if lowered in dropped:
            continue
        if lowered == "set-cookie":  # one header line per cookie; Django keeps cookies apart
            response.cookies.load(value)
        elif response.has_header(name):
            response[name] = f"{response[name]}, {value}"
        else:
            response[name] = value
    return response


@csrf_exempt  # bearer tokens, no cookies: as DRF and Ninja views; the service does its own checks
def proxy_view(request, *, context: str, base_url: str, **_path_params) -> StreamingHttpResponse:
    client = client_for(base_url)
    outgoing = client.build_request(
        request.method,
        request.get_full_path_info(),  # the path re-escaped, the query string as the client sent it
        headers=upstream_headers(request),
        content=_request_body(request),
        timeout=_timeout(),
    )
    release_idle_connections()  # the service checks the caller's token back here, on these connections
    try:
        upstream = send(context, base_url, outgoing)
    except (UnreadablePostError, httpx.LocalProtocolError):  # the client's body broke off or lied
        return error_response(400, "Solicitud incorrecta.", "bad_request")
    except UNREACHABLE as exc:
        log.warning("gateway.service_unreachable", context=context, path=request.path, error=repr(exc))
        return domain_error_response(ServiceUnavailable())
    return _client_response(request, context, upstream)


def proxy_urlpatterns(remote_contexts: Mapping[str, str]) -> list:
    """URL patterns (relative to /api/v1/) sending every path each lifted context owns to its
    service: `{"payments": "http://127.0.0.1:8201"}`. Mounted by the gateway process only."""
    return [
        path(template, proxy_view, {"context": context, "base_url": base_url}, name=f"proxy-{context}")
        for context, base_url in remote_contexts.items()
        for template in ROUTE_OWNERS[context]
    ]
