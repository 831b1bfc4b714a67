"""Login bench: logins per second through the API versus raw password checks, same run.

    .venv/bin/python bench/login.py [--seconds 15] [--clients 4]

API: gunicorn (WSGI, 2 sync workers as deployed — BENCH_WORKERS/BENCH_THREADS to vary; production
hashers: Argon2id 19 MiB/t=2/p=1) serving POST /api/v1/auth/login with JSON, driven by `wrk` (C, barely any
CPU of its own) with `--clients` connections, rotating over 40 accounts; without wrk, by Python
clients (which then take CPU from the server and lower the ratio).
Baseline: 2 processes calling Django's `check_password` on the same stored hash, as fast as they
can. Both use the two cores; the ratio says what everything around the hash costs (goal >= 0.9).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "CONECTAR_ENV": "development",
    "DJANGO_SETTINGS_MODULE": "conectar.settings",
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conectar_bench"),
    "REDIS_URL": "redis://127.0.0.1:6379/12",
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "LOG_LEVEL": "WARNING",
}
PASSWORD = "Bench-Login-Clave-2026"  # noqa: S105 - the bench accounts' password
USERS = 40


def django_setup():
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare() -> list[str]:
    django_setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("setup_databases", verbosity=0)
    model = get_user_model()
    emails = [f"bench-login-{n}@example.com" for n in range(USERS)]
    for email in emails:
        if not model.objects.filter(email=email).exists():
            model.objects.create_user(email, PASSWORD)
    return emails


def _check_loop(encoded: str, seconds: float, counter) -> None:
    django_setup()
    from django.contrib.auth.hashers import check_password

    deadline, n = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline:
        if not check_password(PASSWORD, encoded):
            raise RuntimeError("baseline hash check failed")
        n += 1
    with counter.get_lock():
        counter.value += n


def raw_checks_per_second(seconds: float) -> float:
    from django.contrib.auth import get_user_model

    encoded = get_user_model().objects.get(email="bench-login-0@example.com").password
    counter = multiprocessing.Value("i", 0)
    procs = [multiprocessing.Process(target=_check_loop, args=(encoded, seconds, counter)) for _ in range(2)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return counter.value / (time.perf_counter() - start)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


WRK_SCRIPT = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
-- New connection per request: keep-alive pins wrk's few connections unevenly to the two
-- gunicorn workers (seen 3:1, leaving half a core idle), which measures wrk, not the server.
wrk.headers["Connection"] = "close"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"email":"bench-login-%d@example.com","password":"PASSWORD"}', n % USERS)
  return wrk.format(nil, "/api/v1/auth/login", nil, body)
end
done = function(summary, latency, requests)
  io.write(string.format("STATS %d %d %.3f %.3f\n", summary.requests, summary.errors.status,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(ROOT / ".venv/bin/gunicorn"), "conectar.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", os.environ.get("BENCH_WORKERS", "2"), "--threads", os.environ.get("BENCH_THREADS", "1")]
    command += ["--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=ENV)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{base}/health/live", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)
    return server, base


def drive_with_wrk(base: str, seconds: float, clients: int) -> tuple[float, float, float]:
    script = WRK_SCRIPT.replace("PASSWORD", PASSWORD).replace("USERS", str(USERS))
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        command = ["wrk", "-t2", f"-c{clients}", f"-d{int(seconds)}s", "-s", file.name, base]
        out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    stats = next(line for line in out.splitlines() if line.startswith("STATS")).split()[1:]
    requests, failed, p50, p95 = int(stats[0]), int(stats[1]), float(stats[2]), float(stats[3])
    if failed:
        raise RuntimeError(f"{failed} logins failed")
    return requests / seconds, p50, p95


def drive_with_python(base: str, emails: list[str], seconds: float, clients: int) -> tuple[float, float, float]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(index: int) -> None:
        with httpx.Client(base_url=base, timeout=10) as http:
            n = index
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                r = http.post("/api/v1/auth/login", json={"email": emails[n % len(emails)], "password": PASSWORD})
                if r.status_code != 200:
                    raise RuntimeError(f"login failed: {r.status_code} {r.text}")
                with lock:
                    latencies.append(time.perf_counter() - t0)
                n += clients

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ms = sorted(x * 1000 for x in latencies)
    return len(latencies) / (time.perf_counter() - start), statistics.median(ms), ms[int(len(ms) * 0.95)]


def api_logins_per_second(emails: list[str], seconds: float, clients: int) -> tuple[float, float, float, str]:
    server, base = start_server()
    try:
        if shutil.which("wrk"):
            return (*drive_with_wrk(base, seconds, clients), "wrk")
        return (*drive_with_python(base, emails, seconds, clients), "python clients")
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    emails = prepare()
    raw = raw_checks_per_second(args.seconds)
    api, p50, p95, driver = api_logins_per_second(emails, args.seconds, args.clients)
    print(f"\n== login: {args.seconds:.0f} s each, 2 cores")
    print(f"raw check_password (2 processes): {raw:7.1f} checks/s")
    workers, threads = os.environ.get("BENCH_WORKERS", "2"), os.environ.get("BENCH_THREADS", "1")
    print(f"API logins (gunicorn {workers}x{threads}, {args.clients} connections, {driver}): {api:7.1f} logins/s")
    print(f"  latency p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    print(f"ratio API/raw: {api / raw:.2f}x (goal >= 0.9)")


if __name__ == "__main__":
    main()
