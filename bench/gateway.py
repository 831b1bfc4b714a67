"""Gateway bench: a trivial authenticated Ninja route through the whole middleware stack versus a bare
Django JsonResponse view, same gunicorn, same run; then where the difference goes.

    .venv/bin/python bench/gateway.py [--quick] [--no-profile] [--seconds 8] [--rounds 3] [--clients 8]
                                      [--trim-seconds 4] [--no-trim]

Server: gunicorn exactly as production runs it: `-c python:conectar.platform.metrics.gunicorn` (gthread,
WEB_WORKERS x WEB_THREADS, keep-alive) plus whatever options docker/entrypoint.sh's `web` line adds,
the access log written (to nowhere), PROMETHEUS_MULTIPROC_DIR set; production settings
(CONECTAR_ENV=production, DEBUG off, JSON logs at INFO, persistent database connections); the rate
limiter ON with limits nobody reaches (every request pays its bucket, nothing is refused). Requests
carry `X-Forwarded-Proto: https` as behind the TLS proxy (no HTTPS redirect, HSTS sent) and one token.
Routes, from a generated URL module (never in conectar/) in a temp dir next to conectar's own:
 - ninja: GET /api/v1/bench/ping: a Ninja API built by the platform (`build_ninja_api`), the platform
   bearer (token check, the account's standing: token version, active, denied jti), answering
   `{"ok": true, "user_id": ...}`; every middleware of settings.MIDDLEWARE.
 - bare+mw: GET /api/v1/bench/bare: a plain function view returning JsonResponse, through the same
   middleware (same /api/ prefix: limiter, CORS, CSP all apply).
 - bare: GET /bare: the same view through a Django handler with no middleware at all (the generated
   WSGI module sends that one path to it), in the same gunicorn workers. The issue's baseline.
Driver: wrk with --clients keep-alive connections (the server keeps them alive), else Python client
threads (which take CPU from the server). Each round measures the three routes one after the other
(--seconds each, after a warm-up); medians over --rounds.
Also: Redis commands per authenticated request (MONITOR on the bench's Redis db while 200 requests
run one by one; goal 1: rate limit and standing in one EVALSHA); SQL statements per request and each
middleware's own CPU time in process (the full stack with each middleware in a thread-CPU-time
timer, 3000 requests per route through Django's test client; own = inclusive minus the next one's,
process_view included); the workers' CPU time per request of each route (robust to other load);
with --profile (default; --no-profile skips) py-spy on both workers during one more ninja window,
samples put in the innermost phase they reach; unless --no-trim, end to end per middleware: a
second server without it, between two measurements of the full one.
--quick: 2 rounds x 5 s, no end-to-end trim (~2 min).
Data: own databases conectar_benchgw_* (BENCH_DATABASE_URL), Redis BENCH_REDIS_URL (default
127.0.0.1:6379 db 10); one account, created once. Knobs: BENCH_WORKERS, BENCH_THREADS (default:
production's WEB_WORKERS 2 x WEB_THREADS 4).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._report import Report
from bench._servers import free_port, production_gunicorn_options

SITE = "benchgw_site"
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
METRICS_DIR = Path(tempfile.gettempdir()) / f"bench-gateway-metrics-{os.getpid()}"
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
    "LOG_LEVEL": "INFO",  # production's default
    "NOTIFY_CHANNELS": "",  # production refuses provider channels without credentials
    # The limiter is part of what is measured (run_all turns it off for the other benches): on, with
    # limits nobody reaches, so every request pays its Redis round trip and none is refused.
    "RATELIMIT_ENABLED": "true",
    "RATELIMIT_DEFAULT": "1000000000/60",
    "PROMETHEUS_MULTIPROC_DIR": str(METRICS_DIR),
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
        start = time.thread_time_ns()
        try:
            return self.inner(request)
        finally:
            TOTALS[self.target] += time.thread_time_ns() - start

    def _timed_view(self, *args):
        start = time.thread_time_ns()
        try:
            return self.inner.process_view(*args)
        finally:
            VIEW_HOOKS[self.target] += time.thread_time_ns() - start

    def __getattr__(self, name):  # process_exception, process_template_response
        return getattr(self.inner, name)
"""

PROFILE_PY = """
import json
import sys
from contextlib import ExitStack

import django

django.setup()
from django.conf import settings
from django.db import connections
from django.test import Client

from benchgw_site import timing

n, token = int(sys.argv[1]), sys.argv[2]
targets = [getattr(timing, m.rsplit(".", 1)[1]).target for m in settings.MIDDLEWARE]
middleware, innermost = targets[:-1], targets[-1]
client = Client(HTTP_X_FORWARDED_PROTO="https", HTTP_AUTHORIZATION=f"Bearer {token}")
out = {}
statements = [0]


def counted(execute, sql, params, many, context):
    statements[0] += 1
    return execute(sql, params, many, context)

for route, path in json.loads(sys.argv[3]).items():
    for _ in range(200):  # warm: connections, caches, imports
        assert client.get(path).status_code == 200
    timing.TOTALS.clear()
    timing.VIEW_HOOKS.clear()
    statements[0] = 0
    with ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(counted))
        for _ in range(n):
            client.get(path)
    inclusive = [timing.TOTALS[t] / n / 1000 for t in targets]
    hooks = {t: timing.VIEW_HOOKS[t] / n / 1000 for t in middleware}
    out[route] = {
        "stack_us": inclusive[0],
        # own time: inclusive minus the next one's, plus its process_view (which runs in the handler)
        "own_us": {t: inclusive[i] - inclusive[i + 1] + hooks[t] for i, t in enumerate(middleware)},
        "handler_us": inclusive[-1] - sum(hooks.values()),
        "sql_per_request": statements[0] / n,
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


def start_server(directory: Path, *, skip: str = "") -> tuple[subprocess.Popen, str]:
    port = free_port()
    METRICS_DIR.mkdir(exist_ok=True)
    command = [str(ROOT / ".venv/bin/gunicorn"), *production_gunicorn_options(), f"{SITE}.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}"]
    env = site_env(directory, BENCH_SKIP_MIDDLEWARE=skip)
    env["WEB_WORKERS"] = os.environ.get("BENCH_WORKERS", os.environ.get("WEB_WORKERS", "2"))
    env["WEB_THREADS"] = os.environ.get("BENCH_THREADS", os.environ.get("WEB_THREADS", "4"))
    env["PATH"] = f"{ROOT / '.venv/bin'}:{os.environ['PATH']}"
    # The access log goes to stdout as in production (its cost included), here to nowhere.
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
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


def worker_pids(server: subprocess.Popen) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(server.pid)], check=False, capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


WRK_SCRIPT = r"""
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer TOKEN"
wrk.headers["X-Forwarded-Proto"] = "https"
done = function(summary, latency, requests)
  io.write(string.format("STATS %d %d %d %.3f %.3f\n", summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def drive(url: str, token: str, seconds: float, clients: int) -> tuple[float, float, float]:
    """Requests per second, p50 and p95 (ms) at `url` for `seconds`, over keep-alive connections."""
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
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}

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


# --- the measurements ---------------------------------------------------------------------------------------


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            raw = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def same_run(server: subprocess.Popen, base: str, token: str, args) -> dict[str, tuple[float, ...]]:
    """Per route: req/s, p50 ms, p95 ms (medians over the rounds) and the workers' CPU time per
    request in µs (over all rounds: what a request costs the server whatever else loads the machine)."""
    for path in ROUTES.values():
        drive(base + path, token, 2, args.clients)  # warm every worker's connections and caches
    workers = worker_pids(server)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ROUTES}
    cpu = dict.fromkeys(ROUTES, 0.0)
    for _ in range(args.rounds):
        for name, path in ROUTES.items():
            before = cpu_seconds(workers)
            results[name].append(drive(base + path, token, args.seconds, args.clients))
            cpu[name] += cpu_seconds(workers) - before
    out = {}
    for name, runs in results.items():
        served = sum(r[0] for r in runs) * args.seconds
        out[name] = (*(statistics.median(r[i] for r in runs) for i in range(3)), 1e6 * cpu[name] / served)
    return out


def redis_commands_per_request(base: str, token: str, requests: int = 200) -> float:
    """Commands the bench's Redis db receives from clients (a script's own calls not counted) while
    `requests` ninja requests run one after the other."""
    client = redis.Redis.from_url(REDIS)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    start, stop_mark = "bench-gateway-count-start", "bench-gateway-count-stop"
    counted, ready = [0], threading.Event()

    def watch():
        with client.monitor() as monitor:
            recording = False
            for entry in monitor.listen():
                if entry.get("client_type") == "lua" or int(entry.get("db", -1)) != db:
                    continue
                if start in entry["command"]:
                    recording = True
                    ready.set()
                elif stop_mark in entry["command"]:
                    return
                elif recording:
                    counted[0] += 1

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    while not ready.is_set():
        client.echo(start)
        ready.wait(0.05)
    headers = {"Authorization": f"Bearer {token}", "X-Forwarded-Proto": "https"}
    with httpx.Client(timeout=5, headers=headers) as http:
        for _ in range(requests):
            http.get(base + ROUTES["ninja"]).raise_for_status()
    client.echo(stop_mark)
    watcher.join(10)
    return counted[0] / requests


SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"
NEEDS_SESSIONS = (
    "conectar.platform.browser_state.BrowserAuthenticationMiddleware",
    "conectar.platform.browser_state.BrowserMessageMiddleware",
)


def trimmed(directory: Path, full_base: str, token: str, middleware: list[str], args) -> dict:
    """Per middleware: (full stack req/s, req/s without it), measured back to back as full, trimmed,
    full (the two fulls averaged) on two servers that are up together (an idle gunicorn takes no
    CPU), so a load change on the shared machine hits both sides of each pair alike."""
    results: dict[str, tuple[float, float] | str] = {}
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
    return results


def in_process(directory: Path, token: str, requests: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", f"{SITE}.profile", str(requests), token, json.dumps(IN_PROCESS_ROUTES)],
        cwd=ROOT,
        env=site_env(directory, BENCH_TIME_MIDDLEWARE="1"),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


# Where a sample goes: the innermost frame that one of these path fragments matches (checked in order
# per frame, frames from the leaf up), so time in Redis's socket under the limiter counts as Redis.
PHASES = [
    ("Redis round trip (rate limit + token standing)", ("/redis/",)),
    ("SQL", ("/psycopg/", "/psycopg_pool/", "/django/db/")),
    ("logging (structlog, stdlib)", ("/structlog/", "/logging/")),
    ("metrics (prometheus_client)", ("/prometheus_client/",)),
    ("JSON encode/decode", ("/json/", "/orjson")),
    ("pydantic (Ninja's schemas)", ("/pydantic/", "/pydantic_core/")),
    ("token check and standing (auth_ctx, platform auth)", ("auth_ctx/", "platform/auth.py", "token_standing.py")),
    ("rate limiter (own code)", ("platform/ratelimit.py", "platform/counters.py", "platform/breakers.py")),
    ("Ninja (operation, params, renderer)", ("/ninja/",)),
    ("DRF (authentication classes)", ("/rest_framework",)),
    (
        "middleware (platform, Django, corsheaders, whitenoise)",
        (
            "conectar/platform/",
            "django/middleware/",
            "corsheaders/",
            "whitenoise/",
            "django/contrib/",
            "django/utils/deprecation.py",
        ),
    ),
    ("Django handler (request, URL resolver, response)", ("/django/",)),
    ("gunicorn (HTTP parse, keep-alive loop, access log)", ("/gunicorn/",)),
]


def pyspy_binary() -> str | None:
    for candidate in (os.environ.get("BENCH_PYSPY"), shutil.which("py-spy"), str(ROOT / ".venv/bin/py-spy")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def profile(server: subprocess.Popen, base: str, token: str, seconds: float, clients: int) -> list[str]:
    """py-spy on every worker while wrk drives the ninja route; lines for the report."""
    pyspy = pyspy_binary()
    if pyspy is None:
        return ["profile: py-spy not found (set BENCH_PYSPY or pip install py-spy)"]
    outs, spies = [], []
    for pid in worker_pids(server):
        out = Path(tempfile.gettempdir()) / f"bench-gateway-pyspy-{pid}.txt"
        command = [pyspy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--rate", "250"]
        command += ["--format", "raw", "--output", str(out), "--nonblocking", "--full-filenames"]
        spies.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        outs.append(out)
    time.sleep(1)
    rate = drive(base + ROUTES["ninja"], token, seconds - 2, clients)[0]
    for spy in spies:
        spy.wait()
    phases: collections.Counter = collections.Counter()
    leaves: collections.Counter = collections.Counter()
    total = 0
    for out in outs:
        if not out.exists():
            continue
        for line in out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack:
                continue
            n, frames = int(count), stack.split(";")
            if any("threading.py" in f and ("wait" in f) for f in frames[-2:]):
                continue  # an idle thread (pool waiting for work)
            total += n
            phases[_phase(frames)] += n
            leaves[_short(frames[-1])] += n
    if not total:
        return ["py-spy recorded nothing (is ptrace allowed?)"]
    lines = [f"py-spy, {len(outs)} workers, {total} busy samples at 250 Hz while ~{rate:.0f} req/s were served:"]
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in phases.most_common()]
    lines.append("  hottest leaf frames (self):")
    lines += [f"  {100 * n / total:5.1f}%  {name}" for name, n in leaves.most_common(8)]
    lines.append(f"  raw stacks: {', '.join(str(o) for o in outs)}")
    return lines


def _phase(frames: list[str]) -> str:
    for frame in reversed(frames):
        where = frame.partition(" (")[2]
        for name, marks in PHASES:
            if any(mark in where for mark in marks):
                return name
    return "other (interpreter, stdlib)"


def _short(frame: str) -> str:
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", str(ROOT) + "/", "python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})"


# --- report -------------------------------------------------------------------------------------------------------


def short(dotted: str) -> str:
    return dotted.rsplit(".", 1)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds x 5 s, no end-to-end trim")
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--trim-seconds", type=float, default=4)
    parser.add_argument("--no-trim", action="store_true")
    parser.add_argument("--profile", action=argparse.BooleanOptionalAction, default=True, help="py-spy the workers")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.no_trim = 5, 2, True

    report = Report("gateway")
    METRICS_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as tmp:
        directory = Path(tmp)
        write_site(directory)
        token, middleware = prepare(directory)
        server, base = start_server(directory)
        try:
            check_routes(base, token)
            results = same_run(server, base, token, args)
            commands = redis_commands_per_request(base, token)
            profile_lines = profile(server, base, token, args.seconds + 2, args.clients) if args.profile else []
            pairs = {} if args.no_trim else trimmed(directory, base, token, middleware, args)
        finally:
            stop(server)
        in_proc = in_process(directory, token, 1000 if args.quick else 3000)
    shutil.rmtree(METRICS_DIR, ignore_errors=True)

    print_and_record(
        report, args, results=results, commands=commands, in_proc=in_proc, pairs=pairs, profile_lines=profile_lines
    )


def print_and_record(report: Report, args, *, results, commands, in_proc, pairs, profile_lines) -> None:
    options = " ".join(production_gunicorn_options())
    driver = f"wrk, {args.clients} keep-alive connections" if shutil.which("wrk") else "Python clients"
    workers, threads = os.environ.get("BENCH_WORKERS", "2"), os.environ.get("BENCH_THREADS", "4")
    print(f"\n== gateway: gunicorn {options} ({workers} workers x {threads} threads), {driver}")
    print(f"   {args.rounds} rounds x {args.seconds:.0f} s per route, medians")
    for name, (rps, p50, p95, cpu) in results.items():
        print(f"{name:>8} {ROUTES[name]:<20} {rps:7.0f} req/s  p50 {p50:5.2f} ms  p95 {p95:5.2f} ms  CPU {cpu:4.0f} us")
    ninja, bare_mw, bare = (results[n][0] for n in ("ninja", "bare+mw", "bare"))
    print(f"ratio ninja / bare (no middleware): {ninja / bare:.2f}x  (goal >= 0.6)")
    print(f"ratio ninja / bare+mw (same middleware): {ninja / bare_mw:.2f}x  (Ninja + authentication)")
    print(f"ratio bare+mw / bare: {bare_mw / bare:.2f}x  (the middleware stack)")
    cpu_ratio = results["bare"][3] / results["ninja"][3]
    print(f"CPU per request, bare / ninja: {cpu_ratio:.2f}x  (the throughput ratio once the server is CPU-bound)")
    print(f"Redis commands per authenticated request: {commands:.2f}")

    routes = in_proc["routes"]
    table = [f"{'middleware':<36}{'ninja':>9}{'bare+mw':>9}"]
    for target in in_proc["order"]:
        row = [routes[r]["own_us"][target] for r in ("ninja", "bare+mw")]
        table.append(f"{short(target):<36}{row[0]:9.1f}{row[1]:9.1f}")
    for label, key in (("handler (URL resolving, view)", "handler_us"), ("whole stack", "stack_us")):
        row = [routes[r][key] for r in ("ninja", "bare+mw")]
        table.append(f"{label:<36}{row[0]:9.1f}{row[1]:9.1f}")
    print("\n== in process: CPU microseconds per request (thread time), each middleware's own")
    print("\n".join(table))
    sql = routes["ninja"]["sql_per_request"]
    print(f"SQL statements per authenticated request (in process): {sql:.4f}")

    trim_lines = []
    for target, pair in pairs.items():
        label = short(target) + (" (+ auth, messages)" if target == SESSIONS else "")
        if isinstance(pair, str):
            trim_lines.append(f"{label}: {pair}")
            continue
        full, without = pair
        saved = 2e6 / full - 2e6 / without  # 2 cores busy: server time per request
        trim_lines.append(f"{label}: {full:.0f} -> {without:.0f} req/s ({saved:+.0f} us)")
    if trim_lines:
        print(f"\n== end to end, ninja route, full stack -> one middleware left out ({args.trim_seconds:.0f} s each)")
        print("\n".join(trim_lines))
    for line in profile_lines:
        print(line)

    report.measure(
        "authenticated Ninja route vs bare JsonResponse view (gunicorn, same run)",
        value=ninja,
        unit="req/s",
        baseline=bare,
        baseline_label="bare JsonResponse view, no middleware, same gunicorn",
        goal=0.6,
        goal_kind="ratio>=",
        note=f"gunicorn {options}; {driver}; p50 ninja {results['ninja'][1]:.2f} ms, bare {results['bare'][1]:.2f} ms",
    )
    report.measure(
        "authenticated Ninja route vs the bare view through the same middleware",
        value=ninja,
        unit="req/s",
        baseline=bare_mw,
        baseline_label="bare JsonResponse view behind every middleware",
        goal_kind="ratio>=",
    )
    report.measure(
        "server CPU per request: bare JsonResponse view vs authenticated Ninja route",
        value=1e6 / results["ninja"][3],
        unit="req per CPU-second",
        baseline=1e6 / results["bare"][3],
        baseline_label="bare view, same workers",
        goal=0.6,
        goal_kind="ratio>=",
        note=f"worker CPU per request: ninja {results['ninja'][3]:.0f} us, bare {results['bare'][3]:.0f} us"
        " (robust to other load on the machine)",
    )
    report.measure(
        "Redis commands per authenticated request (rate limit + revocation + standing)",
        value=commands,
        unit="commands",
        goal=1,
        goal_kind="value<=",
    )
    report.measure(
        "SQL statements per authenticated request (standing cached)",
        value=sql,
        unit="statements",
        goal=0.01,  # one read-through per account per standing TTL (60 s), none otherwise
        goal_kind="value<=",
    )
    stack = {r: routes[r]["stack_us"] for r in ("ninja", "bare+mw")}
    own = sorted(((routes["ninja"]["own_us"][t], short(t)) for t in in_proc["order"]), reverse=True)
    report.note(
        f"In process (test client), whole stack: ninja {stack['ninja']:.0f} us, bare+mw {stack['bare+mw']:.0f} us;"
        f" handler {routes['ninja']['handler_us']:.0f} vs {routes['bare+mw']['handler_us']:.0f} us; middleware own"
        " time on the ninja route: " + ", ".join(f"{name} {us:.0f}" for us, name in own) + " us."
    )
    explain(report, results)
    if trim_lines:
        report.note("End to end, one middleware left out: " + "; ".join(trim_lines) + ".")
    if profile_lines:
        report.note(" / ".join(x.strip() for x in profile_lines[:-1]))
    report.finish()


def explain(report: Report, results) -> None:
    cpu = {name: results[name][3] for name in ROUTES}
    stack = cpu["bare+mw"] - cpu["bare"]
    report.note(
        f"Where a request's server CPU goes (this run): the bare view {cpu['bare']:.0f} us (gunicorn's keep-alive"
        f" loop, HTTP parse, access log, Django's handler); the middleware stack adds {stack:.0f} us"
        " (bare+mw carries the same token, so it pays the limiter's one EVALSHA with the standing read too);"
        f" Ninja and the token check add {cpu['ninja'] - cpu['bare+mw']:.0f} us. The security middleware (limiter,"
        " CORS, CSP and HSTS, body and input checks) and observability (request id, metrics) stay, so the ratio to a"
        " view with no middleware at all is bounded by the stack's cost; the session user and messages no longer"
        " run for API calls without a session cookie (platform/browser_state.py)."
    )
    report.note(
        "Exactness: the standing cached per account in Redis (platform/token_standing.py) is dropped inside every"
        " writer's transaction (a Redis error rolls the write back) and again on commit; a reader fills only if the"
        " generation it saw with its miss is unchanged; TTL 60 s as the last bound; a flush revives nothing (read"
        " through from DeniedAccessToken and the account row). Tests: tests/auth_ctx/test_token_standing.py."
    )


if __name__ == "__main__":
    main()
