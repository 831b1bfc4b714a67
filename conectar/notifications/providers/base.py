"""What every notification provider adapter shares: the messages it sends, how its faults are told
apart, and the circuit breaker around each call.

A provider's fault (5xx, 429, timeout, connection error) is a `TransientError`: the delivery is
retried later with backoff and it counts towards opening the provider's breaker. A refusal of our
request (4xx: an invalid phone number, an unregistered device) is a `PermanentError`: retrying
cannot help, so it is neither retried nor counted by the breaker. While a breaker is open, calls fail
at once with `CircuitOpen` (a transient error) and the delivery waits for the breaker to close."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from conectar.platform import breakers
from conectar.platform.breakers import breaker

T = TypeVar("T")


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str
    html: str
    reference: str  # our delivery id: sent along so the provider's records point back to us


@dataclass(frozen=True)
class Push:
    token: str
    title: str
    body: str
    data: dict[str, str] = field(default_factory=dict)  # deep link; FCM data values are strings
    collapse_key: str | None = None  # later pushes with the same key replace this one on the device


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str


class ProviderError(Exception):
    reason = "provider_error"

    def __init__(self, message: str, *, status: int | None = None, code: str | int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class TransientError(ProviderError):
    """The provider failed or could not be reached: try again later."""

    reason = "provider_unavailable"


class PermanentError(ProviderError):
    """The provider refused this request: sending it again would be refused again."""

    reason = "provider_rejected"


class InvalidPhoneNumber(PermanentError):
    reason = "invalid_phone"


class UnregisteredDevice(PermanentError):
    """FCM no longer knows the token (app uninstalled, token rotated): the device is forgotten."""

    reason = "unregistered"


class CircuitOpen(TransientError):
    reason = "circuit_open"

    def __init__(self, provider: str, *, called: bool, retry_after: float):
        state = "tripped by this call" if called else "open: the provider was not called"
        super().__init__(f"{provider} circuit breaker {state}")
        self.provider = provider
        self.called = called  # False: rejected without reaching the provider
        self.retry_after = retry_after


def guarded(provider: str, call: Callable[[], T]) -> T:
    """Run `call` through the provider's circuit breaker (only transient faults count), without
    holding the breaker's lock while the provider answers (`breakers.guarded_call`). The call
    that trips the breaker raises its own error; later calls fail fast with CircuitOpen."""
    circuit = breaker(provider, exclude=[PermanentError])
    try:
        return breakers.guarded_call(circuit, call)
    except breakers.CircuitOpen as exc:
        raise CircuitOpen(provider, called=False, retry_after=circuit.reset_timeout) from exc
