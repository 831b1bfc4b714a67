"""Liveness and readiness. Ready means every context database, the cache and the broker answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from conectar.celery import app
from conectar.platform import breakers
from conectar.platform.databases import GEO_CONTEXTS, alias_for, aliases_here

CHECK_TIMEOUT_SECONDS = 2.0


def _database(alias: str) -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.set("health:ping", "1", timeout=5)
    if cache.get("health:ping") != "1":
        raise RuntimeError("cache did not return what was written")


def _broker() -> None:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return  # no broker in this mode; tasks run in-process
    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=CHECK_TIMEOUT_SECONDS)


def _run(name: str, check) -> tuple[str, str]:
    try:
        check()
    except Exception as exc:  # noqa: BLE001 - any failure means "down"; the name says which
        return name, f"down: {type(exc).__name__}"
    finally:
        if name.startswith("database:"):
            connections.close_all()  # connections are per thread; this thread is about to go
    return name, "ok"


def readiness() -> dict[str, str]:
    checks = {f"database:{alias}": (lambda a=alias: _database(a)) for alias in aliases_here()}
    checks["cache"] = _cache
    checks["broker"] = _broker
    with ThreadPoolExecutor(max_workers=len(checks)) as pool:
        return dict(pool.map(lambda item: _run(*item), checks.items()))


def database_state() -> str:
    """v1's `database` (V1-CONTRACT R2): "connected" when every context database this process has
    answers, else "error: <alias>: <what failed>" for each that does not. Checked as readiness
    does (own threads and connections), so a failing database never touches the request's."""
    aliases = aliases_here()
    with ThreadPoolExecutor(max_workers=len(aliases)) as pool:
        results = dict(pool.map(lambda alias: _run(f"database:{alias}", lambda: _database(alias)), aliases))
    failed = [
        f"{name.removeprefix('database:')}: {state.removeprefix('down: ')}"
        for name, state in results.items()
        if state != "ok"
    ]
    return "error: " + "; ".join(failed) if failed else "connected"


def _postgis_version() -> str | None:
    aliases = [a for a in (alias_for(c) for c in sorted(GEO_CONTEXTS)) if a in settings.DATABASES]
    if not aliases:
        return None
    try:
        with connections[aliases[0]].cursor() as cursor:
            cursor.execute("SELECT postgis_lib_version()")
            (version,) = cursor.fetchone()
    except Exception:  # noqa: BLE001 - no extension, no database: unavailable
        return None
    finally:
        connections.close_all()  # this thread's own connections; it is about to go
    return str(version)


def postgis_state() -> dict[str, str | None]:
    """v1's `postgis` (R2): whether the geography database has PostGIS, and its version."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        version = pool.submit(_postgis_version).result()
    return {"status": "available" if version else "unavailable", "version": version}


@require_GET
def live(request):
    return JsonResponse({"status": "ok"})


@require_GET
def ready(request):
    results = readiness()
    down = sorted(name for name, state in results.items() if state != "ok")
    # An open breaker is reported, not a reason to leave the load balancer: the app still serves.
    body = {"status": "ok" if not down else "unavailable", "checks": results, "circuit_breakers": breakers.states()}
    if down:
        body["detail"] = "Not ready: " + ", ".join(down) + " down."
        body["code"] = "not_ready"
    return JsonResponse(body, status=503 if down else 200)
