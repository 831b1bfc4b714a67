"""One facade, two implementations (ARCHITECTURE.md § Lifting a context).

A context's `facade.py` declares its public functions once, with their implementation:

    facade = Facade("payments")
    if facade.runs_here:  # the internals exist only in a process that runs this context
        from conectar.payments.services import checkout

    @facade.function(idempotent=True)
    def checkout_create(*, trabajo_id: UUID, ...) -> CheckoutDTO:
        return checkout.checkout_create(...)

Where the context runs (`settings.CONTEXTS_HERE`), the decorator returns the function itself and
lists it for the RPC endpoint that other processes call. Where it does not, the function is replaced
by a remote call with the same signature (client.py): arguments and result are encoded by the one
contract codec, and the context's public exceptions are raised again here. `idempotent=True` marks a
function safe to call twice with the same arguments (a read, or a write keyed by its arguments):
only those are retried after an answer was lost.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import Any

from django.conf import settings

# (context, function name) -> the local function, for the RPC endpoint of the process that runs it.
_local: dict[tuple[str, str], FacadeFunction] = {}


@dataclass(frozen=True)
class FacadeFunction:
    context: str
    func: Callable[..., Any]
    idempotent: bool

    @property
    def name(self) -> str:
        return self.func.__name__

    @cached_property
    def hints(self) -> dict[str, Any]:
        """Parameter and return types, resolved in the facade module (contract types only)."""
        return typing.get_type_hints(self.func)

    @cached_property
    def signature(self) -> inspect.Signature:
        return inspect.signature(self.func)


class Facade:
    def __init__(self, context: str):
        self.context = context

    @property
    def runs_here(self) -> bool:
        return self.context in settings.CONTEXTS_HERE

    def function(self, *, idempotent: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def declare(func: Callable[..., Any]) -> Callable[..., Any]:
            _check_keyword_only(func)
            declared = FacadeFunction(self.context, func, idempotent)
            if self.runs_here:
                _local[(self.context, declared.name)] = declared
                return func

            @wraps(func)
            def remote(**kwargs: Any) -> Any:
                from conectar.platform.lifting.client import call_remote  # noqa: PLC0415 - client imports facades

                return call_remote(declared, kwargs)

            remote.__facade__ = declared  # type: ignore[attr-defined]
            return remote

        return declare


def local_function(context: str, name: str) -> FacadeFunction | None:
    return _local.get((context, name))


def _check_keyword_only(func: Callable[..., Any]) -> None:
    """Facades take keyword-only arguments: the names are the wire format."""
    for param in inspect.signature(func).parameters.values():
        if param.kind is not inspect.Parameter.KEYWORD_ONLY:
            raise TypeError(f"{func.__module__}.{func.__qualname__}: facade parameters are keyword-only ({param.name})")
