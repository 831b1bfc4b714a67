"""One registry of circuit breakers (pybreaker), shared by every outside-provider adapter.

An adapter asks for its breaker by name (`breaker("mercadopago")`) and wraps each provider call in
it. Only faults of the provider count (timeouts, connection errors, 5xx): a caller's 4xx is our
request's problem, so adapters list those exception types in `exclude`. Health and metrics read the
states from `states()`. State is per process: each worker learns on its own that a provider is down,
after `fail_max` failures, which is cheap next to a shared store on every call."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pybreaker
from django.conf import settings

from conectar.platform.metrics.breakers import watch

T = TypeVar("T")


class CircuitOpen(Exception):
    """The provider's circuit is open: the call was not attempted."""

    def __init__(self, name: str):
        super().__init__(f"circuit {name!r} is open")
        self.name = name


_registry: dict[str, pybreaker.CircuitBreaker] = {}
_lock = threading.Lock()


def breaker(name: str, *, exclude: list | tuple = ()) -> pybreaker.CircuitBreaker:
    """The named breaker, created on first use with the thresholds of settings.CIRCUIT_BREAKERS."""
    with _lock:
        found = _registry.get(name)
        if found is None:
            config = {**settings.CIRCUIT_BREAKERS["default"], **settings.CIRCUIT_BREAKERS.get(name, {})}
            found = pybreaker.CircuitBreaker(
                name=name,
                fail_max=config["fail_max"],
                reset_timeout=config["reset_timeout"],
                exclude=list(exclude),
            )
            watch(found)  # conectar_circuit_breaker_state
            _registry[name] = found
        return found


def _is_open(cb: pybreaker.CircuitBreaker) -> bool:
    if cb.current_state != pybreaker.STATE_OPEN:
        return False
    opened_at = cb._state_storage.opened_at  # pybreaker has no public accessor
    return opened_at is not None and datetime.now(UTC) < opened_at + timedelta(seconds=cb.reset_timeout)


def _outcome(result: Any, error: BaseException | None) -> Any:
    if error is not None:
        raise error
    return result


def guarded_call(cb: pybreaker.CircuitBreaker, call: Callable[[], T]) -> T:
    """Run `call` under `cb` without holding the breaker's lock while it runs.

    pybreaker (1.4) holds its lock for the whole of `cb.call(fn)`, which queues every call of a
    process behind one slow provider call (measured: four 0.5 s calls took 2 s). Here the breaker
    only decides and counts: fail fast with `CircuitOpen` while open, run the call, then report the
    outcome through `cb.call` (a function that only returns or re-raises), which keeps pybreaker's
    counting, half-open trial and closing. Exceptions in the breaker's `exclude` do not count."""
    if _is_open(cb):
        raise CircuitOpen(cb.name)
    result: Any = None
    error: Exception | None = None
    try:
        result = call()
    except Exception as exc:  # noqa: BLE001 - reported to the breaker, then re-raised below
        error = exc
    try:
        return cb.call(_outcome, result, error)
    except pybreaker.CircuitBreakerError:
        if error is None:  # ours succeeded while another thread's failure opened the circuit
            return result
        raise error from None  # this failure opened it: the caller still gets what happened


def states() -> dict[str, str]:
    """`closed`, `open` or `half-open` per breaker created so far in this process."""
    with _lock:
        return {name: str(b.current_state) for name, b in sorted(_registry.items())}


def reset_all() -> None:
    """Close every breaker (tests; staff after an incident)."""
    with _lock:
        for b in _registry.values():
            b.close()
