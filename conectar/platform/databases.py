"""One PostgreSQL database per context, and the router that keeps each app in its own.

Lifting a context into its own service means pointing `<CTX>_DATABASE_URL` elsewhere; nothing in
the code names a database except through `alias_for(context)`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import environ

# context (= Django app label) -> database alias. auth_ctx lives in `default` together with
# Django's own apps (admin log, sessions, content types) and simplejwt's blacklist.
CONTEXT_DATABASES: dict[str, str] = {
    "auth_ctx": "default",
    "users": "users",
    "professionals": "professionals",
    "marketplace": "marketplace",
    "payments": "payments",
    "notifications": "notifications",
}
GEO_CONTEXTS = frozenset({"professionals"})
# Apps whose tables exist in every context database (the outbox and processed-events records).
EVERYWHERE_APPS = frozenset({"eventbus"})
# Migration order: default first (Django's own tables), then the contexts.
ALIASES: tuple[str, ...] = tuple(dict.fromkeys(CONTEXT_DATABASES.values()))

_REAL_ENGINES = ("postgresql", "postgis")
# Django's own backends with a pool check that costs no round trip (conectar/platform/db/pooling.py).
_POSTGIS_ENGINE = "conectar.platform.db.postgis"
_POSTGRES_ENGINE = "conectar.platform.db.postgresql"


def aliases_here() -> list[str]:
    """The context databases this process has, in migration order: all of them in the monolith,
    only its own in a context's service (whose `default` may be Django's dummy)."""
    from django.conf import settings  # noqa: PLC0415 - settings imports this module

    return [a for a in ALIASES if settings.DATABASES.get(a, {}).get("ENGINE", "").endswith(_REAL_ENGINES)]


def alias_for(context: str) -> str:
    try:
        return CONTEXT_DATABASES[context]
    except KeyError:
        raise LookupError(f"no database for context {context!r}") from None


def context_for(alias: str) -> str:
    """The context whose database `alias` is (`default` is auth_ctx's)."""
    for context, context_alias in CONTEXT_DATABASES.items():
        if context_alias == alias:
            return context
    raise LookupError(f"no context for database {alias!r}")


def database_settings(
    *, server_url: str, overrides: dict[str, str], conn_max_age: int, pool_size: int = 0, pool_timeout: float = 10.0
) -> dict:
    """DATABASES for every context: `<CTX>_DATABASE_URL` when given, else the server of
    DATABASE_URL with database `<prefix>_<ctx>`, the prefix being DATABASE_URL's own database name.

    `pool_size` > 0: the connection budget. Each process keeps at most that many connections per
    alias in a pool (psycopg_pool through Django), opened on first use and shared by all its
    threads — a daphne process runs every request in a thread of its own, and per-thread persistent
    connections piled up there. A thread waits up to `pool_timeout` seconds for a free one. 0: one
    connection per thread, kept `conn_max_age` seconds (the test process, whose threads hold theirs)."""
    prefix = urlsplit(server_url).path.lstrip("/") or "conectar"
    databases = {}
    for context, alias in CONTEXT_DATABASES.items():
        url = overrides.get(context) or _with_database(server_url, f"{prefix}_{context}")
        config = environ.Env.db_url_config(url)
        config.update(
            ENGINE=_POSTGIS_ENGINE if context in GEO_CONTEXTS else _POSTGRES_ENGINE,
            CONN_MAX_AGE=0 if pool_size else conn_max_age,
            CONN_HEALTH_CHECKS=not pool_size,  # pooled ones are checked by the backend, round trip free
            ATOMIC_REQUESTS=False,
        )
        options = config.setdefault("OPTIONS", {})
        # JIT planning costs tens of ms on the search queries and never pays back on OLTP work.
        options["options"] = "-c jit=off"
        if pool_size:
            # min_size 0: an alias this process never uses never costs it a connection.
            # reconnect_timeout: the pool gives up a failing connection attempt (backing off 1, 2, 4 s…)
            # after this long, so the next request starts afresh; psycopg_pool's default of 5 minutes
            # left a process waiting up to a minute after its database came back from an outage.
            options["pool"] = {
                "min_size": 0,
                "max_size": pool_size,
                "timeout": pool_timeout,
                "max_idle": 300,
                "reconnect_timeout": pool_timeout,
            }
        databases[alias] = config
    return databases


def release_idle_connections() -> None:
    """Hand this thread's pooled connections back to their pools before it waits on another service.

    A request holds what it checked out until it ends; with a budget of one connection per alias, a
    request calling a lifted context that calls back into this process (a token check, a facade
    read) would have the callback wait for the very connection its caller sits on, until the pool's
    timeout. Outside a transaction nothing is lost: the next query checks one out again. Inside one,
    the connection stays (the transaction is the caller's to finish)."""
    from django.db import connections  # noqa: PLC0415 - settings imports this module

    for connection in connections.all(initialized_only=True):
        pooled = bool(connection.settings_dict.get("OPTIONS", {}).get("pool"))
        if pooled and connection.connection is not None and not connection.in_atomic_block:
            connection.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return parts._replace(path=f"/{name}").geturl()


class ContextRouter:
    """Send each context's models to its own database; Django's apps live in `default`."""

    def _alias(self, model) -> str | None:
        label = model._meta.app_label
        if label in EVERYWHERE_APPS:
            return None  # callers always say which database they mean
        return CONTEXT_DATABASES.get(label, "default")

    def db_for_read(self, model, **hints):
        return self._alias(model)

    def db_for_write(self, model, **hints):
        return self._alias(model)

    def allow_relation(self, obj1, obj2, **hints):
        # Cross-context foreign keys are forbidden: only objects in the same database relate.
        return obj1._state.db == obj2._state.db

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        if app_label in EVERYWHERE_APPS:
            return True
        return CONTEXT_DATABASES.get(app_label, "default") == db
