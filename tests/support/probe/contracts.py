from dataclasses import dataclass
from typing import ClassVar

from conectar.shared.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class ProbePinged(DomainEvent):
    """Published "by the marketplace" in tests; two subscribers in two other databases."""

    name: ClassVar[str] = "marketplace.probe_pinged"
    label: str
    fail_times: int = 0  # each handler fails this many times before it succeeds
    always_fail_in: tuple[str, ...] = ()  # subscriber contexts whose handler fails until healed


@dataclass(frozen=True, kw_only=True)
class ProbeCounted(DomainEvent):
    """The bench's event: one subscriber that writes one row."""

    name: ClassVar[str] = "marketplace.probe_counted"
    n: int
