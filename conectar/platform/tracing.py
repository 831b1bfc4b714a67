"""OpenTelemetry tracing of Django, Celery, psycopg and outgoing `requests` calls (MercadoPago,
Twilio and FCM go through `requests`), exported over OTLP/HTTP.

Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set: then nothing is imported or instrumented and
logs carry no trace id. The exporter and the SDK honour the standard OTEL_* variables (headers, timeouts,
`OTEL_TRACES_SAMPLER`, `OTEL_RESOURCE_ATTRIBUTES`…); `OTEL_SERVICE_NAME` names each role.

Once per process: the platform's `ready()` calls `configure_from_settings()` in every process that
sets Django up (gunicorn workers, daphne, Celery's main process and beat, management commands), before
the first request or connection. Forked children (Celery prefork, gunicorn --preload) inherit it:
the SDK restarts its export thread after a fork and `_ForkSafeExporter` opens its own HTTP
connections in the child, so no socket is shared with the parent and nothing runs twice.
"""

from __future__ import annotations

import os
import threading

from django.conf import settings

_lock = threading.Lock()
_state: dict = {"provider": None, "instrumentors": (), "get_current_span": None}

# Probes and scrapes every few seconds would drown the traces worth reading.
_DEFAULT_EXCLUDED_URLS = "/health/,/metrics$"


def enabled() -> bool:
    return _state["provider"] is not None


def configure_from_settings() -> bool:
    """Trace this process if an OTLP endpoint is configured; True when tracing is on."""
    if not settings.OTEL_EXPORTER_OTLP_ENDPOINT:
        return False
    return configure_tracing()


def configure_tracing(*, exporter=None) -> bool:
    """Install the tracer provider and the instrumentations (idempotent). `exporter` replaces the
    OTLP exporter and exports synchronously (tests read spans from an in-memory exporter); the
    OTLP path also becomes the process's global tracer provider."""
    # Imported here: with tracing off none of OpenTelemetry's SDK or instrumentation is loaded.
    from opentelemetry import trace  # noqa: PLC0415
    from opentelemetry.instrumentation.celery import CeleryInstrumentor  # noqa: PLC0415
    from opentelemetry.instrumentation.django import DjangoInstrumentor  # noqa: PLC0415
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor  # noqa: PLC0415
    from opentelemetry.instrumentation.requests import RequestsInstrumentor  # noqa: PLC0415
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor  # noqa: PLC0415

    with _lock:
        if _state["provider"] is not None:
            return True
        provider = TracerProvider(resource=Resource.create({"service.name": settings.OTEL_SERVICE_NAME}))
        if exporter is None:
            provider.add_span_processor(BatchSpanProcessor(_ForkSafeExporter()))
            trace.set_tracer_provider(provider)
        else:
            provider.add_span_processor(SimpleSpanProcessor(exporter))
        excluded = os.environ.get("OTEL_PYTHON_DJANGO_EXCLUDED_URLS", _DEFAULT_EXCLUDED_URLS)
        instrumentors = (
            (DjangoInstrumentor(), {"request_hook": _remember_trace_id, "excluded_urls": excluded}),
            (PsycopgInstrumentor(), {"enable_commenter": False}),
            (RequestsInstrumentor(), {}),
            (CeleryInstrumentor(), {}),
        )
        for instrumentor, options in instrumentors:
            instrumentor.instrument(tracer_provider=provider, **options)
        _state.update(
            provider=provider,
            instrumentors=tuple(i for i, _ in instrumentors),
            get_current_span=trace.get_current_span,
        )
        return True


def shutdown() -> None:
    """Remove every instrumentation and flush what is left (tests; an orderly process exit)."""
    with _lock:
        provider = _state["provider"]
        if provider is None:
            return
        for instrumentor in _state["instrumentors"]:
            instrumentor.uninstrument()
        provider.shutdown()
        _state.update(provider=None, instrumentors=(), get_current_span=None)


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the span current in this context, or None (tracing off, or
    no span)."""
    get_current_span = _state["get_current_span"]
    if get_current_span is None:
        return None
    context = get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def _remember_trace_id(span, request) -> None:
    # Django logs a failed request (`django.request`) after the tracing middleware has ended its span;
    # the log formatter then finds the trace id on the request, as it finds the request id.
    context = span.get_span_context()
    if context.is_valid:
        request.trace_id = format(context.trace_id, "032x")


class _ForkSafeExporter:
    """The OTLP/HTTP span exporter, re-created in a forked child so the child never writes to a
    keep-alive connection its parent opened."""

    def __init__(self):
        self._pid = None
        self._exporter = None

    def _current(self):
        if self._pid != os.getpid():
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # noqa: PLC0415

            self._exporter, self._pid = OTLPSpanExporter(), os.getpid()
        return self._exporter

    def export(self, spans):
        return self._current().export(spans)

    def shutdown(self):
        if self._exporter is not None and self._pid == os.getpid():
            self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._current().force_flush(timeout_millis)
