"""`GET /metrics`: the Prometheus text of this process (or of all processes sharing
`PROMETHEUS_MULTIPROC_DIR`) plus the event-bus gauges read from the databases.

Access: open outside production. In production (and wherever either setting is given) only to a
request carrying `Authorization: Bearer <METRICS_TOKEN>` or coming from an address inside
`METRICS_ALLOWED_NETWORKS` (CIDRs; the connecting peer's REMOTE_ADDR, never a forwarded header);
anyone else gets the ordinary 404, so the endpoint is not advertised. With neither setting in
production nobody can read it."""

from __future__ import annotations

import hmac
import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client.exposition import choose_encoder

from conectar.platform.metrics.collectors import EventBusCollector
from conectar.platform.metrics.registry import process_registry

_BEARER = "Bearer "


class _Scrape:
    """What one scrape of /metrics collects (prometheus_client only calls `collect()`)."""

    def __init__(self, *sources):
        self.sources = sources

    def collect(self):
        for source in self.sources:
            yield from source.collect()


_eventbus = EventBusCollector()


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(cidr.strip(), strict=False) for cidr in cidrs if cidr.strip())


def _has_token(request, token: str) -> bool:
    header = request.headers.get("Authorization", "")
    if not token or not header.startswith(_BEARER):
        return False
    return hmac.compare_digest(header[len(_BEARER) :].strip().encode(), token.encode())


def _from_allowed_network(request, cidrs) -> bool:
    if not cidrs:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks(tuple(cidrs)))


def may_read_metrics(request) -> bool:
    token, cidrs = settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS
    if not (settings.PRODUCTION or token or cidrs):
        return True
    return _has_token(request, token) or _from_allowed_network(request, cidrs)


@require_GET
def metrics_view(request):
    if not may_read_metrics(request):
        raise Http404
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    body = encoder(_Scrape(process_registry(), _eventbus))
    return HttpResponse(body, content_type=content_type)
