"""Tracing: off by default with nothing instrumented (not even imported); on, a request is a Django
server span whose queries are child psycopg spans, a task and its outgoing HTTP call are spans of
one trace, and log lines carry the trace id next to the request id. The "on" tests configure
tracing in this process with an in-memory exporter and remove it again afterwards."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg
import pytest
import requests
import structlog
from django.db import connections
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from conectar.celery import app as celery_app
from conectar.platform import tracing
from tests.support import worker as harness

log = structlog.get_logger(__name__)


@pytest.fixture
def log_lines():
    """The JSON lines our logging setup writes, as dicts (captured through its own formatter)."""
    root = logging.getLogger()
    formatter = next(h.formatter for h in root.handlers if isinstance(h.formatter, structlog.stdlib.ProcessorFormatter))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.fixture
def traced():
    """Tracing on in this process, spans kept in memory. Connections opened before are closed so
    the request opens traced ones, as a process does after start-up."""
    exporter = InMemorySpanExporter()
    connections.close_all()
    assert tracing.configure_tracing(exporter=exporter)
    yield exporter
    tracing.shutdown()
    connections.close_all()  # their cursors were traced


@pytest.fixture
def stand_in():
    """A local HTTP server standing in for an outside provider."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"status":"ok"}')

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@celery_app.task(name="tests.tracing.calls_provider")
def calls_provider(url: str) -> int:
    log.info("tests.tracing.calling_provider")
    return requests.get(f"{url}/v1/payments/1", timeout=5).status_code


def hex_trace_id(span) -> str:
    return format(span.context.trace_id, "032x")


@pytest.mark.django_db(databases="__all__")
def test_tracing_is_off_by_default_and_nothing_is_instrumented(client, settings, log_lines):
    assert settings.OTEL_EXPORTER_OTLP_ENDPOINT == ""
    assert tracing.configure_from_settings() is False
    assert not tracing.enabled()
    assert not any("opentelemetry" in name for name in settings.MIDDLEWARE)
    assert not hasattr(psycopg.connect, "__wrapped__")
    assert not hasattr(requests.Session.send, "__wrapped__")

    response = client.get(f"/api/v1/public/professional/{uuid.uuid4()}")
    assert response.status_code == 404
    lines = [line for line in log_lines() if line.get("request_id") == response["X-Request-ID"]]
    assert lines, "Django logs the 404 with its request id"
    assert all("trace_id" not in line for line in lines)


def test_a_process_without_an_endpoint_does_not_even_import_the_instrumentation():
    """A fresh process with the test settings (no endpoint), after Django's start-up and a request.
    (redis-py imports OpenTelemetry's API and metrics SDK on its own; the tracing side is ours.)"""
    ours = ("opentelemetry.instrumentation", "opentelemetry.exporter", "opentelemetry.sdk.trace")
    script = (
        "import sys, django; django.setup()\n"
        "from django.test import Client\n"
        "assert Client().get('/health/live').status_code == 200\n"
        f"print(sorted(m for m in sys.modules if m.startswith({ours!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=harness.ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "OTEL_EXPORTER_OTLP_ENDPOINT": ""},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_request_is_a_server_span_with_child_psycopg_spans_and_its_logs_carry_the_trace_id(client, traced, log_lines):
    response = client.get(f"/api/v1/public/professional/{uuid.uuid4()}")
    assert response.status_code == 404

    spans = traced.get_finished_spans()
    (server,) = [s for s in spans if s.kind == SpanKind.SERVER]
    assert server.name == "GET api/v1/public/professional/<professional_id>"
    assert server.attributes["http.status_code"] == 404
    queries = [s for s in spans if s.kind == SpanKind.CLIENT and s.attributes.get("db.system") == "postgresql"]
    assert queries, [s.name for s in spans]
    for query in queries:
        assert query.parent.span_id == server.context.span_id
        assert query.context.trace_id == server.context.trace_id
    assert {q.attributes["db.name"] for q in queries} == {connections["professionals"].settings_dict["NAME"]}

    lines = [line for line in log_lines() if line.get("request_id") == response["X-Request-ID"]]
    assert lines, "Django logs the 404 with its request id"
    assert all(line["trace_id"] == hex_trace_id(server) for line in lines)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_task_and_its_outgoing_http_call_are_one_trace_and_its_log_line_carries_it(traced, stand_in, log_lines):
    assert calls_provider.apply(args=[stand_in]).get() == 200

    spans = traced.get_finished_spans()
    (task,) = [s for s in spans if s.kind == SpanKind.CONSUMER and "tests.tracing.calls_provider" in s.name]
    (call,) = [s for s in spans if s.kind == SpanKind.CLIENT and s.attributes.get("http.method") == "GET"]
    assert call.parent.span_id == task.context.span_id
    assert call.attributes["http.status_code"] == 200
    (line,) = [line for line in log_lines() if line["event"] == "tests.tracing.calling_provider"]
    assert line["trace_id"] == hex_trace_id(task)
    assert line["span_id"] == format(task.context.span_id, "016x")


@pytest.mark.django_db(databases="__all__")
def test_shutting_tracing_down_removes_every_instrumentation(settings):
    tracing.configure_tracing(exporter=InMemorySpanExporter())
    assert any("opentelemetry" in name for name in settings.MIDDLEWARE)
    assert hasattr(psycopg.connect, "__wrapped__")
    assert hasattr(requests.Session.send, "__wrapped__")
    tracing.shutdown()
    assert not tracing.enabled()
    assert not any("opentelemetry" in name for name in settings.MIDDLEWARE)
    assert not hasattr(psycopg.connect, "__wrapped__")
    assert not hasattr(requests.Session.send, "__wrapped__")
