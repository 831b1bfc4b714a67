"""The one place that reads the wall clock, so tests and events agree on UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
