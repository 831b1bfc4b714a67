"""Memory bench: the RSS of one warm web worker, against a no-app Django worker, same run.

    .venv/bin/python bench/memory.py [--quick] [--profile] [--requests 600]

Server: gunicorn with the production web role's options, read from docker/entrypoint.sh (the same
helper as bench/login.py: gthread, workers x threads, keep-alive, the metrics hooks), production
settings (DEBUG off, JSON logs, the limiter off, PROMETHEUS_MULTIPROC_DIR as in docker/compose.yml).
That command has no --preload, so each worker imports the application itself after the fork: the
figure is each worker's own RSS (VmRSS of the worker process, what the kernel and an orchestrator
count against it), read after the requests; the reported value is the larger of the two workers.
Warm: `--requests` mixed requests, spread over both workers (a new connection each) — logins
(Argon2id), token refresh, the account (DRF), the oficios catalogue and the search (Ninja, PostGIS),
chats and ofertas of the logged-in cliente, the health check — then the RSS settles for a second.
No upload is in the mix: Pillow and pypdf load only in a worker that validates one.
Baseline: the same gunicorn command serving a Django with no apps and no database (a generated
settings module: one view answering JsonResponse on every path), warmed with as many requests. The
difference is what the project itself keeps in memory.
--profile: what a worker imports — an interpreter with the same settings sets Django up and loads
the WSGI app and every URL conf, like a worker's first request; its RSS, its modules per top-level
package, the slowest imports (`-X importtime`), and which of the heavy SDKs (which must load only
when used) it holds.
Data: own databases conectar_benchrss_* (BENCH_DATABASE_URL), Redis BENCH_REDIS_URL (db 12).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._report import Report
from bench._servers import production_venv
from bench.login import describe_gunicorn, image_malloc_settings, production_gunicorn_options, start_server, stop

REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
ENV = {
    **os.environ,
    "CONECTAR_ENV": "production",
    "DEBUG": "false",
    "SECRET_KEY": "bench-memory-not-a-secret-0123456789abcdef0123456789abcdef0123",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "TRUST_X_FORWARDED_PROTO": "true",
    "DJANGO_SETTINGS_MODULE": "conectar.settings",
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conectar_benchrss"),
    "REDIS_URL": REDIS,
    "CELERY_BROKER_URL": REDIS,
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "LOG_LEVEL": "WARNING",
    "NOTIFY_CHANNELS": "",
    "RATELIMIT_ENABLED": "false",
    "PYTHONUNBUFFERED": "1",
    "PYTHONPATH": str(ROOT),  # the project, as the image's PYTHONPATH=/app (the production venv lacks it)
    **image_malloc_settings(),
}
EMAIL, PASSWORD = "bench-memory@example.com", "Bench-Memory-Clave-2026"
GOAL_MB = 150
# Must stay out of a web worker until a request uses them (lazy imports in the adapters).
HEAVY = [
    "firebase_admin",
    "google.cloud",
    "twilio",
    "sendgrid",
    "boto3",
    "botocore",
    "schemathesis",
    "hypothesis",
    "pypdf",
    "PIL",
    "mercadopago",
    "daphne",
    "twisted.internet",
    "opentelemetry.exporter",
]  # not drf_spectacular.openapi: any DRF view with @extend_schema imports it, for ~0.2 MB

BARE_SETTINGS = """
SECRET_KEY = "bench-memory-bare-not-a-secret-0123456789abcdef0123456789abcdef"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
ROOT_URLCONF = "benchrss_bare.urls"
USE_TZ = True
"""
BARE_URLS = """
from django.http import JsonResponse
from django.urls import re_path


def answer(request):
    return JsonResponse({"ok": True})


urlpatterns = [re_path(r"", answer)]
"""
BARE_WSGI = """
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
"""


def prepare() -> None:
    """The bench's databases and one cliente account (created once)."""
    code = textwrap.dedent(f"""
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        call_command("setup_databases", verbosity=0)
        model = get_user_model()
        if not model.objects.filter(email="{EMAIL}").exists():
            model.objects.create_user("{EMAIL}", "{PASSWORD}")
    """)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=ENV, check=True)


def write_bare_site(directory: Path) -> dict:
    package = directory / "benchrss_bare"
    package.mkdir()
    for name, text in {
        "__init__.py": "",
        "settings.py": BARE_SETTINGS,
        "urls.py": BARE_URLS,
        "wsgi.py": BARE_WSGI,
    }.items():
        (package / name).write_text(text.lstrip())
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    return {
        **env,
        **image_malloc_settings(),
        "DJANGO_SETTINGS_MODULE": "benchrss_bare.settings",
        "PYTHONPATH": f"{directory}:{ROOT}",
    }


def worker_pids(server: subprocess.Popen) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(server.pid)], check=False, capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def thp() -> str:
    """The kernel's transparent huge pages mode, which GLIBC_TUNABLES' hugetlb=1 relies on."""
    try:
        mode = re.search(r"\[(\w+)\]", Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text())
    except OSError:
        mode = None
    return f"transparent huge pages: {mode[1] if mode else 'unknown'}"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


# --- the mixed requests ------------------------------------------------------------------------------


def mixed_requests(base: str, total: int, *, bare: bool = False, clients: int = 4) -> collections.Counter:
    """`total` requests over `clients` threads, a new connection each (so both workers get theirs).
    Returns the count per (route, status); any 5xx is an error."""
    statuses: collections.Counter = collections.Counter()
    lock = threading.Lock()
    remaining = [total]
    errors: list[str] = []

    def take() -> bool:
        with lock:
            remaining[0] -= 1
            return remaining[0] >= 0

    def client() -> None:
        headers = {"X-Forwarded-Proto": "https", "Connection": "close"}
        with httpx.Client(base_url=base, timeout=30, headers=headers) as http:
            tokens = None
            step = 0
            while take():
                name, response = _one(http, step, tokens, bare)
                step += 1
                if name in ("login", "refresh") and response.status_code == 200 and not bare:
                    tokens = response.json()
                with lock:
                    statuses[(name, response.status_code)] += 1
                if response.status_code >= 500:
                    errors.append(f"{name}: {response.status_code} {response.text[:200]}")
                    return

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("; ".join(errors[:3]))
    return statuses


ROUTES = ["login", "me", "oficios", "search", "chats", "ofertas", "refresh", "health"]


def _one(http: httpx.Client, step: int, tokens: dict | None, bare: bool) -> tuple[str, httpx.Response]:
    name = ROUTES[step % len(ROUTES)]
    if name != "login" and tokens is None and not bare:
        name = "login"
    auth = {"Authorization": f"Bearer {tokens['access_token']}"} if tokens else {}
    if name == "login":
        return name, http.post("/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD})
    if name == "refresh":
        body = {"refresh_token": tokens["refresh_token"]} if tokens else {}
        return name, http.post("/api/v1/auth/refresh", json=body)
    paths = {
        "me": "/api/v1/users/me",
        "oficios": "/api/v1/public/oficios",
        "search": "/api/v1/search/professionals?lat=-34.6037&lng=-58.3816&radio_km=20",
        "chats": "/api/v1/chat/list",
        "ofertas": "/api/v1/cliente/ofertas",
        "health": "/health/live",
    }
    return name, http.get(paths[name], headers=auth)


def warm_rss(
    env: dict, app: str, total: int, *, bare: bool, venv: Path
) -> tuple[list[float], list[float], collections.Counter]:
    """Each worker's RSS after boot (one health check served), then after the mixed requests."""
    server, base = start_server(env, app, venv)
    try:
        time.sleep(1)
        booted = [rss_mb(pid) for pid in worker_pids(server)]
        statuses = mixed_requests(base, total, bare=bare)
        time.sleep(1)  # let freed memory settle
        return booted, [rss_mb(pid) for pid in worker_pids(server)], statuses
    finally:
        stop(server)


# --- what a worker imports ------------------------------------------------------------------------------

LOAD = """
import json, sys

import django

django.setup()
from django.urls import get_resolver

import conectar.wsgi  # noqa: F401


def every_pattern(resolver):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            every_pattern(pattern)


every_pattern(get_resolver())
rss = next(int(x.split()[1]) for x in open("/proc/self/status") if x.startswith("VmRSS:")) / 1024
print(json.dumps({"rss": rss, "modules": sorted(sys.modules)}))
"""


def import_profile(venv: Path) -> list[str]:
    with tempfile.NamedTemporaryFile("w+", suffix=".txt") as trace:
        out = subprocess.run(
            [str(venv / "bin" / "python"), "-X", "importtime", "-c", LOAD],
            cwd=ROOT,
            env=ENV,
            capture_output=True,
            text=True,
            check=True,
        )
        trace.write(out.stderr)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    modules = loaded["modules"]
    packages = collections.Counter(name.split(".")[0] for name in modules)
    held = [h for h in HEAVY if any(m == h or m.startswith(h + ".") for m in modules)]
    return [
        (
            f"a process with the worker's settings, after django.setup(), the WSGI app and every URL conf: "
            f"{loaded['rss']:.0f} MB RSS, {len(modules)} modules"
        ),
        "  modules per package: " + ", ".join(f"{p} {n}" for p, n in packages.most_common(18)),
        "  heavy SDKs held (must be none): " + (", ".join(held) if held else "none"),
        "  slowest imports (cumulative, ms): "
        + ", ".join(f"{name} {us / 1000:.0f}" for name, us in _slowest_imports(out.stderr, 14)),
    ]


def _slowest_imports(trace: str, n: int) -> list[tuple[str, int]]:
    """The top-level imports (depth 0 of -X importtime) with the largest cumulative time."""
    rows = []
    for line in trace.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match[2]) == 1:
            rows.append((match[3], int(match[1])))
    return sorted(rows, key=lambda row: -row[1])[:n]


# --- the run ------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 requests per server")
    parser.add_argument("--profile", action="store_true", help="what a worker imports (RSS, packages, SDKs)")
    parser.add_argument("--requests", type=int, default=900)
    args = parser.parse_args()
    if args.quick:
        args.requests = 300

    report = Report("memory")
    prepare()
    venv = production_venv()
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        bare_env = write_bare_site(Path(tmp))
        bare_boot, bare, _ = warm_rss(bare_env, "benchrss_bare.wsgi:application", args.requests, bare=True, venv=venv)
    booted, workers, statuses = warm_rss(ENV, "conectar.wsgi:application", args.requests, bare=False, venv=venv)
    profile_lines = import_profile(venv) if args.profile else []

    options = describe_gunicorn()
    preload = "--preload" in production_gunicorn_options() or ", preload" in options
    malloc = image_malloc_settings()
    print(f"\n== memory: {options}; glibc malloc {malloc or 'defaults (the image sets none)'}; {thp()}")
    print(f"   packages: the image's only ({venv.relative_to(ROOT)}, from requirements/base.txt)")
    print(f"   {'after --preload: the master imports, workers share' if preload else 'no --preload: per worker'}")
    print(f"no-app Django worker RSS: {', '.join(f'{x:.1f}' for x in bare)} MB")
    print(f"conectar worker RSS after boot: {', '.join(f'{x:.1f}' for x in booted)} MB")
    print(f"conectar worker RSS after {args.requests} mixed requests: {', '.join(f'{x:.1f}' for x in workers)} MB")
    mix = collections.Counter()
    for (route, status), n in statuses.items():
        mix[f"{route} {status}"] += n
    print("   requests: " + ", ".join(f"{k} x{v}" for k, v in sorted(mix.items())))
    for line in profile_lines:
        print(line)

    value, baseline = max(workers), max(bare)
    report.measure(
        "one warm web worker (RSS)",
        value=value,
        unit="MB",
        baseline=baseline,
        baseline_label="no-app Django worker, same gunicorn",
        goal=GOAL_MB,
        goal_kind="value<=",
        note=f"the larger of {len(workers)} workers after {args.requests} mixed requests; "
        + ("after --preload" if preload else "no --preload: each worker's own import"),
    )
    report.measure(
        "one web worker after boot (RSS)",
        value=max(booted),
        unit="MB",
        baseline=max(bare_boot),
        baseline_label="no-app Django worker after boot",
        note="imports only (what the lazy imports cut); no login has run yet, so no Argon2id block",
    )
    report.note(
        f"glibc malloc as the image sets it ({', '.join(f'{k}={v}' for k, v in malloc.items())}; {thp()}): "
        "each login's 19 MiB Argon2id block is mapped for the hash and unmapped after it, on huge pages "
        "(a login's CPU in the worker ~24 -> ~28 ms, bench/login.py). With glibc's defaults the block's first "
        "free raised the mmap threshold and the heap kept it, and as much again free at its top: ~180 MB "
        "instead of ~146 here (~225 MB with an arena per thread); during a hash the worker still holds the "
        "block for its ~20 ms. Packages: the image's only (requirements/base.txt); the dev venv's extras, "
        "imported when present (rich, pygments, jinja2), add ~6 MB."
    )
    report.note(f"{options}; the project adds {value - baseline:.0f} MB to a no-app Django worker ({baseline:.0f} MB).")
    if profile_lines:
        report.note(" / ".join(line.strip() for line in profile_lines))
    report.finish()


if __name__ == "__main__":
    main()
