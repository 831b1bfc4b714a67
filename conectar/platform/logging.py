"""Structured logs: one JSON object per line, with the request id of whatever caused it and, when
tracing is on, the trace and span ids of the span it was logged in."""

from __future__ import annotations

import logging.config

import structlog

from conectar.platform import tracing


def _request_id_from_record(logger, method_name, event_dict):
    """Django logs request failures (`django.request`) after the middleware has unbound the id;
    those records carry the request itself, which carries the id."""
    record = event_dict.get("_record")
    request = getattr(record, "request", None)
    if request is not None and "request_id" not in event_dict:
        event_dict["request_id"] = getattr(request, "request_id", None)
    status_code = getattr(record, "status_code", None)
    if status_code is not None:
        event_dict.setdefault("status_code", status_code)
    event_dict.pop("request", None)
    return event_dict


def _trace_ids(logger, method_name, event_dict):
    """`trace_id`/`span_id` of the current span; absent when tracing is off or nothing is traced."""
    ids = tracing.current_ids()
    if ids is not None:
        event_dict.setdefault("trace_id", ids[0])
        event_dict.setdefault("span_id", ids[1])
    else:
        trace_id = getattr(getattr(event_dict.get("_record"), "request", None), "trace_id", None)
        if trace_id is not None:  # `django.request` lines: the request span has ended already
            event_dict.setdefault("trace_id", trace_id)
    return event_dict


_shared_processors = [
    structlog.contextvars.merge_contextvars,
    _request_id_from_record,
    _trace_ids,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
]


class QuietRoutineTasks(logging.Filter):
    """Drops the worker's received/succeeded lines of the outbox sweep beat sends every second per
    context (six a second, all saying nothing); their failures and what they resend still log."""

    ROUTINE = ("eventbus.relay_outbox[",)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO or record.name not in ("celery.worker.strategy", "celery.app.trace"):
            return True
        message = record.getMessage()
        return not any(task in message for task in self.ROUTINE)


def configure_logging(*, level: str = "INFO", fmt: str = "json") -> None:
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "structured": {
                    "()": structlog.stdlib.ProcessorFormatter,
                    "foreign_pre_chain": _shared_processors,
                    "processors": [
                        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info,
                        renderer,
                    ],
                }
            },
            "filters": {"routine_tasks": {"()": QuietRoutineTasks}},
            "handlers": {
                "console": {"class": "logging.StreamHandler", "formatter": "structured", "filters": ["routine_tasks"]}
            },
            "root": {"handlers": ["console"], "level": level},
            "loggers": {
                "django.db.backends": {"level": "WARNING"},
                # One INFO line per HTTP request made (facade calls, the gateway's proxy, providers)
                # says nothing the callee's access log and our own events do not; failures still log.
                "httpx": {"level": "WARNING"},
                "celery": {"level": level},
            },
        }
    )
    structlog.configure(
        processors=[*_shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
