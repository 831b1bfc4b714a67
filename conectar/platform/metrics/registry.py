"""Where this process's samples are: its own registry, or every process's files in
PROMETHEUS_MULTIPROC_DIR (read by prometheus_client when it is first imported)."""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, disable_created_metrics
from prometheus_client.multiprocess import MultiProcessCollector

# `*_created` timestamps double the series and nothing here reads them (multiprocess mode has none).
disable_created_metrics()


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_registry():
    """Every sample this process may expose: its own, or all processes' in multiprocess mode."""
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    return registry
