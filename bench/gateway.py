"""Gateway bench: a trivial authenticated Ninja route through the whole middleware stack versus a bare
Django JsonResponse view, same server, same run; then what each middleware costs.

    .venv/bin/python bench/gateway.py [--seconds 8] [--rounds 3] [--clients 8] [--trim-seconds 4] [--no-trim]

Server: gunicorn, 2 sync workers (as deployed), production settings (CONECTAR_ENV=production, DEBUG
off, JSON logs at WARNING, persistent database connections), the limiter on with limits nobody
reaches (every request still pays its Redis round trip). Requests carry `X-Forwarded-Proto: https`
as they would behind the TLS proxy (so no HTTPS redirect, and HSTS is sent) and the same bearer token.
Routes, from a generated URL module (never in conectar/) in a temp dir next to conectar's own:
 - ninja: GET /api/v1/bench/ping — a Ninja API built by the platform (`build_ninja_api`), the
   platform bearer (simplejwt signature and expiry, the account row, its token version, the denied-jti
   lookup), answering `{"ok": true, "user_id": …}`; every middleware of settings.MIDDLEWARE.
 - bare+mw: GET /api/v1/bench/bare — a plain function view returning JsonResponse, through the same
   middleware (same /api/ prefix: limiter, CORS, CSP all apply).
 - bare: GET /bare — the same view through a Django handler with no middleware at all (the generated
   WSGI module sends that one path to it), in the same gunicorn workers.
Driver: wrk (`Connection: close` — sync workers close anyway, and a new connection per request
spreads load over both workers), else Python client threads (which take CPU from the server). Each
round measures the three routes one after the other (--seconds each, after a 2 s warm-up); medians
over --rounds. Ratios: ninja / bare+mw is what Ninja + authentication cost; ninja / bare is the whole
gateway (the issue's goal: >= 0.85).
What each middleware costs:
 1. end to end (--trim-seconds, unless --no-trim): a second server with one middleware left out
    (BENCH_SKIP_MIDDLEWARE, read by the generated settings module), ninja route, measured between two
    measurements of the full-stack server (both up; the idle one takes no CPU);
 2. in process: the full stack with each middleware wrapped in a timer (generated module), 3000
    requests per route through Django's test client in one process; a middleware's own time is its
    inclusive time minus that of the next one (its process_view hooks included).
Data: own databases conectar_benchgw_* (BENCH_DATABASE_URL), Redis BENCH_REDIS_URL (db 10); one
account, created once. Knobs: BENCH_WORKERS (2), BENCH_THREADS (1; more makes gunicorn's gthread
worker, which overlaps the round trips to Redis and PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SITE = "benchgw_site"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
ENV = {
    **os.environ,
    "CONECTAR_ENV": "production",
    "DEBUG": "false",
    "SECRET_KEY": "bench-gateway-not-a-secret-0123456789abcdef0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "DJANGO_SETTINGS_MODULE": f"{SITE}.settings",
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conectar_benchgw"),
    "REDIS_URL": REDIS,
    "CELERY_BROKER_URL": REDIS,  # nothing is sent: the measured routes publish no event
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "DB_CONN_MAX_AGE": "600",
    "JWT_ACCESS_MINUTES": "600",  # the token must outlive the run
    "LOG_LEVEL": "WARNING",
    "NOTIFY_CHANNELS": "",  # production refuses provider channels without credentials
    "RATELIMIT_DEFAULT": "1000000000/60",  # limited (one Redis round trip each), never refused
    "PYTHONUNBUFFERED": "1",
}
EMAIL, PASSWORD = "bench-gateway@example.com", "Bench-Gateway-Clave-2026"
ROUTES = {"ninja": "/api/v1/bench/ping", "bare+mw": "/api/v1/bench/bare", "bare": "/bare"}
IN_PROCESS_ROUTES = {"ninja": ROUTES["ninja"], "bare+mw": ROUTES["bare+mw"]}  # the test client runs the stack

# --- the generated site (settings, URLs, WSGI with a middleware-free handler, timers) -------------------

SETTINGS_PY = """
import os

from conectar.settings import *  # noqa: F403
from conectar.settings import MIDDLEWARE

_skip = {name for name in os.environ.get("BENCH_SKIP_MIDDLEWARE", "").split(",") if name}
MIDDLEWARE = [m for m in MIDDLEWARE if m not in _skip]
if os.environ.get("BENCH_TIME_MIDDLEWARE"):
    from benchgw_site.timing import wrap_all

    MIDDLEWARE = wrap_all(MIDDLEWARE)
ROOT_URLCONF = "benchgw_site.urls"
"""

URLS_PY = """
from django.http import JsonResponse
from django.urls import path

from conectar.platform.ninja_api import build_ninja_api
from conectar.urls import handler400, handler403, handler404, handler500  # noqa: F401
from conectar.urls import urlpatterns as conectar_urlpatterns

api = build_ninja_api(urls_namespace="bench")


@api.get("/ping")
def ping(request):
    return {"ok": True, "user_id": str(request.auth.user_id)}


def bare(request):
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bare", bare),
    path("api/v1/bench/bare", bare),
    path("api/v1/bench/", api.urls),
    *conectar_urlpatterns,
]
"""

WSGI_PY = """
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.core.wsgi import get_wsgi_application

full = get_wsgi_application()


class NoMiddleware(WSGIHandler):
    def load_middleware(self, is_async=False):
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        self._middleware_chain = convert_exception_to_response(self._get_response)


bare = NoMiddleware()


def application(environ, start_response):
    return (bare if environ["PATH_INFO"] == "/bare" else full)(environ, start_response)
"""

TIMING_PY = """
import sys
import time
from collections import defaultdict

from django.utils.module_loading import import_string

TOTALS = defaultdict(int)  # middleware -> inclusive ns
VIEW_HOOKS = defaultdict(int)  # middleware -> ns in its process_view


def wrap_all(paths):
    # Each middleware in a timer, plus an innermost no-op one whose time is the handler's.
    module = sys.modules[__name__]
    wrapped = []
    for index, dotted in enumerate([*paths, f"{__name__}.Innermost"]):
        cls = type(f"Timed{index}", (Timed,), {"target": dotted})
        setattr(module, cls.__name__, cls)
        wrapped.append(f"{__name__}.{cls.__name__}")
    return wrapped


class Innermost:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


class Timed:
    target = ""

    def __init__(self, get_response):
        self.inner = import_string(self.target)(get_response)
        if hasattr(self.inner, "process_view"):
            self.process_view = self._timed_view

    def __call__(self, request):
        start = time.perf_counter_ns()
        try:
            return self.inner(request)
        finally:
            TOTALS[self.target] += time.perf_counter_ns() - start

    def _timed_view(self, *args):
        start = time.perf_counter_ns()
        try:
            return self.inner.process_view(*args)
        finally:
            VIEW_HOOKS[self.target] += time.perf_counter_ns() - start

    def __getattr__(self, name):  # process_exception, process_template_response
        return getattr(self.inner, name)
"""

PROFILE_PY = """
import json
import sys
import time

import django

django.setup()
from django.conf import settings
from django.test import Client

from benchgw_site import timing

n, token = int(sys.argv[1]), sys.argv[2]
targets = [getattr(timing, m.rsplit(".", 1)[1]).target for m in settings.MIDDLEWARE]
middleware, innermost = targets[:-1], targets[-1]
client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_AUTHORIZATION=f"Bearer {token}")
out = {}
for route, path in json.loads(sys.argv[3]).items():
    for _ in range(200):  # warm: connections, caches, imports
        assert client.get(path).status_code == 200
    timing.TOTALS.clear()
    timing.VIEW_HOOKS.clear()
    for _ in range(n):
        client.get(path)
    inclusive = [timing.TOTALS[t] / n / 1000 for t in targets]
    hooks = {t: timing.VIEW_HOOKS[t] / n / 1000 for t in middleware}
    out[route] = {
        "stack_us": inclusive[0],
        # own time: inclusive minus the next one's, plus its process_view (which runs in the handler)
        "own_us": {t: inclusive[i] - inclusive[i + 1] + hooks[t] for i, t in enumerate(middleware)},
        "handler_us": inclusive[-1] - sum(hooks.values()),
    }
print(json.dumps({"order": middleware, "routes": out}))
"""


def write_site(directory: Path) -> None:
    package = directory / SITE
    package.mkdir()
    for name, text in {
        "__init__.py": "",
        "settings.py": SETTINGS_PY,
        "urls.py": URLS_PY,
        "wsgi.py": WSGI_PY,
        "timing.py": TIMING_PY,
        "profile.py": PROFILE_PY,
    }.items():
        (package / name).write_text(textwrap.dedent(text).lstrip())


def site_env(directory: Path, **extra: str) -> dict[str, str]:
    return {**ENV, "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT)]), **extra}


# --- data ------------------------------------------------------------------------------------------------

PREPARE_PY = """
import django

django.setup()
from django.contrib.auth import get_user_model
from django.core.management import call_command

from conectar.auth_ctx.tokens import issue_pair

call_command("setup_databases", verbosity=0)
model = get_user_model()
account = model.objects.filter(email="{email}").first() or model.objects.create_user("{email}", "{password}")
print(issue_pair(account).access_token)
"""


def prepare(directory: Path) -> tuple[str, list[str]]:
    """The bench account's access token, and the middleware list of the settings under test."""
    code = PREPARE_PY.format(email=EMAIL, password=PASSWORD)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=site_env(directory), capture_output=True, text=True, check=True
    ).stdout
    token = out.strip().splitlines()[-1]
    listing = "import django; django.setup(); from django.conf import settings; print(','.join(settings.MIDDLEWARE))"
    middleware = subprocess.run(
        [sys.executable, "-c", listing], cwd=ROOT, env=site_env(directory), capture_output=True, text=True, check=True
    ).stdout.strip()
    return token, middleware.split(",")


# --- server and driver --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(directory: Path, *, skip: str = "") -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(ROOT / ".venv/bin/gunicorn"), f"{SITE}.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", os.environ.get("BENCH_WORKERS", "2"), "--threads", os.environ.get("BENCH_THREADS", "1")]
    command += ["--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=site_env(directory, BENCH_SKIP_MIDDLEWARE=skip))
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/health/live", timeout=1)
        except httpx.HTTPError:
            time.sleep(0.1)
        else:
            return server, base
    server.kill()
    raise RuntimeError("gunicorn did not start")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait()


WRK_SCRIPT = r"""
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer TOKEN"
wrk.headers["X-Forwarded-Proto"] = "https"
wrk.headers["Connection"] = "close"
done = function(summary, latency, requests)
  io.write(string.format("STATS %d %d %d %.3f %.3f\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def drive(url: str, token: str, seconds: float, clients: int) -> tuple[float, float, float]:
    """Requests per second, p50 and p95 (ms) at `url` for `seconds`."""
    if shutil.which("wrk"):
        with tempfile.NamedTemporaryFile("w", suffix=".lua") as script:
            script.write(WRK_SCRIPT.replace("TOKEN", token))
            script.flush()
            command = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "-s", script.name, url]
            out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        fields = next(line for line in out.splitlines() if line.startswith("STATS")).split()[1:]
        requests, bad_status, socket_errors = int(fields[0]), int(fields[1]), int(fields[2])
        if bad_status or socket_errors:
            raise RuntimeError(f"{url}: {bad_status} non-2xx answers, {socket_errors} socket errors")
        return requests / seconds, float(fields[3]), float(fields[4])
    return drive_with_python(url, token, seconds, clients)


def drive_with_python(url: str, token: str, seconds: float, clients: int) -> tuple[float, float, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https", "Connection": "close"}

    def client() -> None:
        with httpx.Client(timeout=10, headers=headers) as http:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                if http.get(url).status_code != 200:
                    raise RuntimeError(f"{url}: non-200 answer")
                with lock:
                    latencies.append(time.perf_counter() - start)

    started = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = sorted(x * 1000 for x in latencies)
    return len(ms) / (time.perf_counter() - started), statistics.median(ms), ms[int(len(ms) * 0.95)]


def check_routes(base: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
    for name, path in ROUTES.items():
        response = httpx.get(base + path, headers=headers, timeout=5)
        if response.status_code != 200:
            raise RuntimeError(f"{name} answered {response.status_code}: {response.text[:200]}")
    full = httpx.get(base + ROUTES["ninja"], headers=headers, timeout=5).headers
    bare = httpx.get(base + ROUTES["bare"], headers=headers, timeout=5).headers
    if not full.get("RateLimit-Limit") or "Strict-Transport-Security" not in full:
        raise RuntimeError("the full stack must run (limiter on, HTTPS as behind the proxy)")
    if "RateLimit-Limit" in bare or "X-Request-ID" in bare:
        raise RuntimeError("the bare route must run without middleware")


# --- the three measurements ------------------------------------------------------------------------------------


def same_run(directory: Path, token: str, args) -> dict[str, tuple[float, float, float]]:
    server, base = start_server(directory)
    try:
        check_routes(base, token)
        for path in ROUTES.values():
            drive(base + path, token, 2, args.clients)  # warm every worker's connections and caches
        results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ROUTES}
        for _ in range(args.rounds):
            for name, path in ROUTES.items():
                results[name].append(drive(base + path, token, args.seconds, args.clients))
    finally:
        stop(server)
    return {name: tuple(statistics.median(r[i] for r in runs) for i in range(3)) for name, runs in results.items()}


SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
NEEDS_SESSIONS = (
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
)


def trimmed(directory: Path, token: str, middleware: list[str], args) -> dict[str, tuple[float, float] | str]:
    """Per middleware: (full stack req/s, req/s without it), measured back to back as full, trimmed,
    full (the two fulls averaged) on two servers that are up together — an idle gunicorn takes no
    CPU — so a load change on the shared machine hits both sides of each pair alike."""
    full_server, full_base = start_server(directory)
    results: dict[str, tuple[float, float] | str] = {}
    try:
        for target in middleware:
            # Authentication (and messages) need sessions: leaving sessions out leaves them out too.
            skip = [target, *NEEDS_SESSIONS] if target == SESSIONS else [target]
            try:
                server, base = start_server(directory, skip=",".join(skip))
            except RuntimeError as exc:
                results[target] = f"not measurable: {exc}"
                continue
            try:
                for url in (full_base, base):
                    drive(url + ROUTES["ninja"], token, 1, args.clients)
                before = drive(full_base + ROUTES["ninja"], token, args.trim_seconds, args.clients)[0]
                without = drive(base + ROUTES["ninja"], token, args.trim_seconds, args.clients)[0]
                after = drive(full_base + ROUTES["ninja"], token, args.trim_seconds, args.clients)[0]
                results[target] = ((before + after) / 2, without)
            except (RuntimeError, subprocess.CalledProcessError) as exc:
                results[target] = f"not measurable: {exc}"
            finally:
                stop(server)
    finally:
        stop(full_server)
    return results


def in_process(directory: Path, token: str) -> dict:
    import json

    out = subprocess.run(
        [sys.executable, "-m", f"{SITE}.profile", "3000", token, json.dumps(IN_PROCESS_ROUTES)],
        cwd=ROOT,
        env=site_env(directory, BENCH_TIME_MIDDLEWARE="1"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- report -------------------------------------------------------------------------------------------------------


def short(dotted: str) -> str:
    return dotted.rsplit(".", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--trim-seconds", type=float, default=4)
    parser.add_argument("--no-trim", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        directory = Path(tmp)
        write_site(directory)
        token, middleware = prepare(directory)
        driver = "wrk" if shutil.which("wrk") else "python clients"
        results = same_run(directory, token, args)
        workers, threads = os.environ.get("BENCH_WORKERS", "2"), os.environ.get("BENCH_THREADS", "1")
        print(f"\n== gateway: gunicorn {workers} workers x {threads} threads, {args.clients} connections ({driver})")
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"   {args.rounds} rounds x {args.seconds:.0f} s per route, medians; load average now {load}")
        for name, (rps, p50, p95) in results.items():
            print(f"{name:>8} {ROUTES[name]:<22} {rps:8.0f} req/s   p50 {p50:5.2f} ms   p95 {p95:5.2f} ms")
        ninja, bare_mw, bare = (results[n][0] for n in ("ninja", "bare+mw", "bare"))
        print(f"ratio ninja / bare (no middleware): {ninja / bare:.2f}x  (goal >= 0.85)")
        print(f"ratio ninja / bare+mw (same middleware): {ninja / bare_mw:.2f}x  (Ninja + authentication)")
        print(f"ratio bare+mw / bare: {bare_mw / bare:.2f}x  (the middleware stack)")

        profile = in_process(directory, token)
        print("\n== in process: microseconds per request, each middleware's own time (3000 requests)")
        print(f"{'middleware':<36}{'ninja':>9}{'bare+mw':>9}")
        for target in profile["order"]:
            row = [profile["routes"][r]["own_us"][target] for r in ("ninja", "bare+mw")]
            print(f"{short(target):<36}{row[0]:9.1f}{row[1]:9.1f}")
        for label, key in (("handler (URL resolving, view)", "handler_us"), ("whole stack", "stack_us")):
            row = [profile["routes"][r][key] for r in ("ninja", "bare+mw")]
            print(f"{label:<36}{row[0]:9.1f}{row[1]:9.1f}")

        if not args.no_trim:
            pairs = trimmed(directory, token, middleware, args)
            print(
                f"\n== end to end, ninja route, full stack vs one middleware left out ({args.trim_seconds:.0f} s each)"
            )
            print(f"{'left out':<40}{'full':>8}{'without':>9}   server time saved per request")
            for target, pair in pairs.items():
                label = short(target) + (" (+ auth, messages)" if target == SESSIONS else "")
                if isinstance(pair, str):
                    print(f"{label:<40}{pair}")
                    continue
                full, without = pair
                saved = 2e6 / full - 2e6 / without  # 2 workers busy: server time per request
                print(f"{label:<40}{full:8.0f}{without:9.0f}   {saved:+6.0f} us")


if __name__ == "__main__":
    main()
