"""A watch over the whole suite: no call to another context's facade, and no call to MercadoPago,
while a transaction (or a row lock, which only lives inside one) is open on another context's
database. ARCHITECTURE.md § Databases: commit first, then call, with an idempotency key.

Every public function of every `conectar.<ctx>.facade` and MercadoPago's one call gate
(`_guarded`) are wrapped for the session; the wrapper only looks at the open atomic blocks and lets
the call through. A test during which a call was made under someone else's transaction fails at
teardown, naming the call and the open databases. The test framework's own wrapping transactions
(`django_db` without `transaction=True`) are not counted."""

from __future__ import annotations

import functools
import importlib
import inspect
import traceback

import pytest
from django.db import connections

from conectar.platform.databases import CONTEXT_DATABASES

_violations: list[str] = []


def _open_aliases(except_alias: str | None) -> list[str]:
    open_ones = []
    for alias in connections:
        if alias == except_alias or not connections[alias].in_atomic_block:
            continue
        if any(not getattr(block, "_from_testcase", False) for block in connections[alias].atomic_blocks):
            open_ones.append(alias)
    return open_ones


def _watched(name: str, func, own_alias: str | None):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        open_ones = _open_aliases(own_alias)
        if open_ones:
            caller = "".join(traceback.format_stack(limit=8)[:-1])
            _violations.append(f"{name} called with a transaction open on {open_ones}\n{caller}")
        return func(*args, **kwargs)

    return wrapper


def _install() -> None:
    for context, alias in CONTEXT_DATABASES.items():
        facade = importlib.import_module(f"conectar.{context}.facade")
        for name, func in list(vars(facade).items()):
            if inspect.isfunction(func) and func.__module__ == facade.__name__ and not name.startswith("_"):
                setattr(facade, name, _watched(f"{context}.facade.{name}", func, alias))
    client = importlib.import_module("conectar.payments.mercadopago.client")
    client._guarded = _watched("MercadoPago", client._guarded, None)  # the one gate to the SDK


@pytest.fixture(scope="session", autouse=True)
def _watch_calls_under_transactions(django_db_setup):
    _install()


@pytest.fixture(autouse=True)
def _no_call_under_another_transaction():
    _violations.clear()
    yield
    if _violations:
        found, _violations[:] = list(_violations), []
        pytest.fail("A call left its context with a transaction open:\n\n" + "\n\n".join(found[:3]))
