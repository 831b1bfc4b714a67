"""Circuit-breaker state as a gauge: 0 closed, 1 half-open, 2 open.

Breakers are per process, so each process sets its own sample when a breaker is created and on
every change; across processes (`PROMETHEUS_MULTIPROC_DIR`) the worst live state is exposed."""

from __future__ import annotations

import pybreaker
from prometheus_client import Gauge

STATE = Gauge(
    "conectar_circuit_breaker_state",
    "Circuit breaker state: 0 closed, 1 half-open, 2 open (worst of the live processes).",
    ["breaker"],
    multiprocess_mode="livemax",
)
_VALUES = {pybreaker.STATE_CLOSED: 0, pybreaker.STATE_HALF_OPEN: 1, pybreaker.STATE_OPEN: 2}


class _StateListener(pybreaker.CircuitBreakerListener):
    def state_change(self, cb, old_state, new_state):
        STATE.labels(cb.name).set(_VALUES.get(new_state.name, 2))


_listener = _StateListener()


def watch(cb: pybreaker.CircuitBreaker) -> None:
    """Export `cb`'s state from now on (called once by the breaker registry when it creates one)."""
    STATE.labels(cb.name).set(_VALUES.get(cb.current_state, 2))
    cb.add_listener(_listener)
