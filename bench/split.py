"""Split bench: what lifting a context costs.

    .venv/bin/python bench/split.py [--calls 3000] [--rounds 3] [--no-journey] [--quick]

1. A facade call over HTTP against the same call in process, in one run: `auth_ctx.get_account`
   (one primary-key read) called N times in this process, and N times through the remote-facade
   client (platform/lifting/client.py: contract codec, signed service auth with its one-time record
   in Redis, pooled keep-alive connection) against the same code served by gunicorn (2 gthread
   workers with keep-alive, production settings, as deployed). Blocks of the two alternate so drift
   hits both; p50/p95/p99 of each and the difference. Goal: remote p99 <= 5 ms on this machine.
2. The journey's wall time: the e2e journeys (sign-up to reviews, cancel and refund, dispute split)
   run by pytest in both topologies — the monolith, and payments + notifications lifted — on their
   own test databases; each test's call time from pytest's --durations, and split / monolith.

--quick: 1,000 calls and no journeys.
Runs on its own databases (conectar_benchsplit_*, test_*_benchsplit) and Redis dbs 12/13.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import Report

ROOT = Path(__file__).resolve().parents[1]
ORIGINAL_ENV = dict(os.environ)  # the journeys' pytest must not inherit the callee's production settings
KEY = "bench-split-gateway-key-0123456789abcdef"
DATABASE_URL = "postgres://postgres@127.0.0.1:5432/conectar_benchsplit"
REDIS = "redis://127.0.0.1:6379/12"
SERVER_ENV = {
    **os.environ,
    "CONECTAR_ENV": "production",
    "DEBUG": "false",
    "SECRET_KEY": "bench-split-not-a-secret-0123456789abcdef0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS,
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/13",
    "INTERNAL_SERVICE_KEYS": f"gateway:{KEY}",
    "LOG_LEVEL": "WARNING",
    "NOTIFY_CHANNELS": "",
    "SECURE_SSL_REDIRECT": "false",
    "PYTHONPATH": str(ROOT),
}


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_callee() -> tuple[subprocess.Popen, str]:
    subprocess.run(
        [sys.executable, "manage.py", "setup_databases"], cwd=ROOT, env=SERVER_ENV, check=True, capture_output=True
    )
    port = free_port()
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "conectar.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            # gthread keeps connections alive (a sync worker closes each one): the caller's pool
            # reuses them, as the deployed services do (docker/entrypoint.sh).
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=SERVER_ENV,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/live", timeout=1).status_code == 200:
                return server, url
        except httpx.TransportError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the callee did not start")


def bench_remote_call(report: Report, url: str, calls: int, rounds: int) -> None:
    os.environ.update({k: v for k, v in SERVER_ENV.items() if k != "PYTHONPATH"})
    os.environ["DJANGO_SETTINGS_MODULE"] = "conectar.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from conectar.auth_ctx import facade as accounts
    from conectar.auth_ctx.contracts import NewAccount, Role
    from conectar.platform.lifting.client import call_remote
    from conectar.platform.lifting.facades import local_function

    ((account, _),) = accounts.seed_accounts(
        people=[NewAccount(email="bench-split@example.com", nombre="Ana", apellido="Díaz", role=Role.CLIENTE)],
        password="bench-split-password-123",  # noqa: S106 - a bench account on its own database
    )
    settings.REMOTE_CONTEXTS = {"auth_ctx": url}
    declared = local_function("auth_ctx", "get_account")
    local = lambda: accounts.get_account(user_id=account.id)  # noqa: E731
    remote = lambda: call_remote(declared, {"user_id": account.id})  # noqa: E731
    if local() != remote():
        raise SystemExit("the remote call must answer what the local one answers")
    for _ in range(300):  # warm both: connections, caches, the workers' imports
        local()
        remote()

    timings: dict[str, list[float]] = {"in process": [], "remote": []}
    block = 250
    for _ in range(rounds):
        for _ in range(calls // block):
            for name, call in (("in process", local), ("remote", remote)):
                for _ in range(block):
                    start = time.perf_counter()
                    call()
                    timings[name].append((time.perf_counter() - start) * 1000)

    print(f"\n1. auth_ctx.get_account, {len(timings['remote'])} calls each, one caller, alternating blocks")
    print(f"   {'':12} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, samples in timings.items():
        print(
            f"   {name:12} {percentile(samples, 50):8.3f} {percentile(samples, 95):8.3f} "
            f"{percentile(samples, 99):8.3f} {statistics.fmean(samples):8.3f}"
        )
    local_p, remote_p = timings["in process"], timings["remote"]
    print(
        f"   remote - in process: p50 +{percentile(remote_p, 50) - percentile(local_p, 50):.3f} ms, "
        f"p99 +{percentile(remote_p, 99) - percentile(local_p, 99):.3f} ms; "
        f"remote / in process at p50: {percentile(remote_p, 50) / percentile(local_p, 50):.1f}x"
    )
    report.measure(
        "remote facade call p99 (auth_ctx.get_account over HTTP)",
        value=percentile(remote_p, 99),
        unit="ms",
        baseline=percentile(local_p, 99),
        baseline_label="the same call in process, p99",
        goal=5.0,
        goal_kind="value<=",
    )


JOURNEYS = ["tests/e2e/test_happy_path.py", "tests/e2e/test_cancel_and_refund.py", "tests/e2e/test_dispute_split.py"]
DURATION = re.compile(r"^\s*([\d.]+)s call\s+(\S+)::(\S+)\[(monolith|split)\]", re.M)


def bench_journey(report: Report) -> None:
    env = {
        **ORIGINAL_ENV,
        "TEST_DB_SUFFIX": "_benchsplit",
        "TEST_REDIS_DB": "12",
        "TEST_BROKER_DB": "13",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [str(ROOT / ".venv/bin/pytest"), "-q", "-p", "no:cacheprovider", "--timeout=900", "--durations=0", *JOURNEYS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        print("\n".join(line for line in done.stdout.splitlines() if line.startswith(("E ", "ERROR", "FAILED"))))
        raise SystemExit("the journeys failed: no timing")
    found: dict[str, dict[str, float]] = {}
    for seconds, module, test, topology in DURATION.findall(done.stdout):
        found.setdefault(f"{Path(module).stem}::{test}", {})[topology] = float(seconds)
    print("\n2. The journeys' wall time (pytest call time, the system already started)")
    print(f"   {'':70} {'monolith s':>10} {'split s':>8} {'ratio':>6}")
    totals = {"monolith": 0.0, "split": 0.0}
    for name, times in sorted(found.items()):
        for topology in totals:
            totals[topology] += times[topology]
        print(f"   {name[:70]:70} {times['monolith']:10.2f} {times['split']:8.2f} {_ratio(times):6.2f}")
    print(f"   {'all':70} {totals['monolith']:10.2f} {totals['split']:8.2f} {_ratio(totals):6.2f}")
    report.measure(
        "e2e journeys' wall time, payments + notifications lifted",
        value=totals["split"],
        unit="s",
        baseline=totals["monolith"],
        baseline_label="the same journeys, monolith",
    )


def _ratio(times: dict[str, float]) -> float:
    return times["split"] / times["monolith"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-journey", action="store_true")
    parser.add_argument("--quick", action="store_true", help="1,000 calls, no journeys")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.no_journey = 1000, True
    report = Report("split")
    server, url = start_callee()
    try:
        bench_remote_call(report, url, args.calls // args.rounds, args.rounds)
    finally:
        os.killpg(server.pid, 15)
        server.wait()
    journeys_failed = None
    if not args.no_journey:
        try:
            bench_journey(report)
        except SystemExit as failed:  # the remote call's figures still stand; say why there is no ratio
            journeys_failed = str(failed)
            report.note(f"the e2e journeys failed ({failed}): no split/monolith wall-time ratio in this run")
    report.finish()
    if journeys_failed:
        raise SystemExit(journeys_failed)


if __name__ == "__main__":
    main()
