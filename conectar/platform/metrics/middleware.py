"""HTTP metrics by route template (never the raw path), method and status, with latency.

Placed right after the request-id middleware, so it times everything the stack does, including
answers given by outer layers (rate limits, body limits) and error bodies."""

from __future__ import annotations

from time import perf_counter

from prometheus_client import Counter, Histogram, Summary

from conectar.platform.metrics import database

REQUESTS = Counter(
    "conectar_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "conectar_http_request_duration_seconds",
    "Time from the request reaching the metrics middleware to its response, by route template.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0),
)
DB_QUERIES = Summary(
    "conectar_http_request_db_queries",
    "Database queries per request by route template (_sum/_count is the mean).",
    ["route"],
)
DB_SECONDS = Summary(
    "conectar_http_request_db_seconds",
    "Database time per request by route template (_sum/_count is the mean).",
    ["route"],
)

UNMATCHED = "unmatched"  # no URL pattern answered: 404s, static files served by whitenoise
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(request) -> str:
    """The URL pattern that served the request (`/api/v1/users/<uuid:user_id>`), whatever its
    arguments: Django's resolver joins the routes of every include, Ninja's paths included."""
    match = getattr(request, "resolver_match", None)
    route = match.route if match is not None else None
    return "/" + route if route else UNMATCHED


class MetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        start = perf_counter()
        token = database.begin_request()
        try:
            response = self.get_response(request)
        finally:
            queries, db_seconds = database.end_request(token)
        elapsed = perf_counter() - start
        method = request.method if request.method in _METHODS else "other"
        requests, latency, db_queries, db_time = _series(route_of(request), method, response.status_code)
        requests.inc()
        latency.observe(elapsed)
        db_queries.observe(queries)
        db_time.observe(db_seconds)
        return response


# (route, method, status) -> its four children: `labels()` takes a lock and builds keys (~3 µs each).
# Bounded like the labels themselves.
_children: dict[tuple, tuple] = {}


def _series(route: str, method: str, status: int) -> tuple:
    key = (route, method, status)
    found = _children.get(key)
    if found is None:
        found = _children[key] = (
            REQUESTS.labels(route, method, str(status)),
            LATENCY.labels(route, method),
            DB_QUERIES.labels(route),
            DB_SECONDS.labels(route),
        )
    return found
