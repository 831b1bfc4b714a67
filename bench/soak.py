"""Soak bench: mixed traffic for a long while at half of the measured capacity.

    .venv/bin/python bench/soak.py [--minutes 10] [--threads 8] [--capacity-seconds 30] [--split]

The whole system as `make run` starts it (tests/e2e/system.py: daphne, a worker, beat, the MercadoPago
sandbox, the notification providers' stand-ins; `--split` lifts payments and notifications into their
own processes), on its own databases (conectar_soak_*) and Redis dbs 11/12, with the rate limiter off.
Real people made through the API: clients and KYC-approved professionals, each pair with a chat.

The mix, one HTTP step at a time per thread, chosen at random with these weights:
search 5 (GET /search/professionals), chat 3 (a message), notifications 1 (GET /notify/history), and
deal 2: the next step of this thread's own deal — oferta, accept (MercadoPago checkout), pay in the
sandbox (its page and form), read until the webhook has it PAGADO_EN_ESCROW, deliver, finalize
(release and payout), both reviews — then a new deal.

1. Capacity: every thread back to back for --capacity-seconds: steps/s of the mix.
2. Soak: --minutes at half that rate, each thread on its own schedule; a step's latency counts from
   when it was due (a late start is latency too: no coordinated omission).
Reports errors (goal 0: any unexpected status or exception, with the first few), p50/p99 per kind,
RSS of every process after the capacity phase against the end (goal: growth < 5 %), and PostgreSQL
connections sampled every 10 s (goal: flat).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conectar_soak")
os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/11"
os.environ["CELERY_BROKER_URL"] = "redis://127.0.0.1:6379/12"

import django

django.setup()

import psycopg
import redis
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import get_hashers
from django.core.management import call_command

import conectar.settings as product_settings
from tests.e2e import journey, system

PALERMO = (-34.5889, -58.4306)
DESCRIPCION = "Cambio de cuerito en la canilla de la cocina"
WEIGHTS = {"search": 5, "chat": 3, "deal": 2, "notifications": 1}


@dataclass
class Deal:
    cliente: journey.Person
    pro: journey.Person
    chat_id: str
    step: str = "oferta"
    oferta_id: str = ""
    trabajo_id: str = ""
    payment_url: str = ""


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    steps: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.steps += 1
            self.latencies[kind].append(seconds * 1000)
            if error is not None:
                self.errors.append(f"{kind}: {error}")


def _oferta(deal: Deal) -> str:
    made = journey.make_oferta(deal.pro, deal.cliente, deal.chat_id, precio="12000.00", descripcion=DESCRIPCION)
    deal.oferta_id, deal.step = made["id"], "accept"
    return "deal:oferta"


def _accept(deal: Deal) -> str:
    accepted = journey.accept_oferta(deal.cliente, deal.oferta_id)
    deal.trabajo_id, deal.payment_url, deal.step = accepted["trabajo_id"], accepted["payment_url"], "pay"
    return "deal:accept"


def _pay(deal: Deal) -> str:
    status = journey.pay_in_sandbox(deal.payment_url).status_code
    if status not in {200, 302}:
        raise AssertionError(f"the sandbox answered {status} to the payment")
    deal.step = "paid?"
    return "deal:pay"


def _paid(deal: Deal) -> str:
    """A read until MercadoPago's webhook, through the workers, has the trabajo in escrow."""
    if journey.trabajo(deal.cliente, deal.trabajo_id)["estado_escrow"] == "PAGADO_EN_ESCROW":
        deal.step = "deliver"
    return "deal:read"


def _deliver(deal: Deal) -> str:
    journey.deliver(deal.pro, deal.trabajo_id)
    deal.step = "finalize"
    return "deal:deliver"


def _finalize(deal: Deal) -> str:
    journey.finalize(deal.cliente, deal.trabajo_id)
    deal.step = "review-cliente"
    return "deal:finalize"


def _review_cliente(deal: Deal) -> str:
    journey.review(deal.cliente, deal.trabajo_id, rating=5, texto="Excelente trabajo, muy prolijo.")
    deal.step = "review-pro"
    return "deal:review"


def _review_pro(deal: Deal) -> str:
    journey.review(deal.pro, deal.trabajo_id, rating=5, texto="Cliente muy amable y puntual.")
    deal.step = "oferta"  # the next deal of the same pair
    return "deal:review"


DEAL_STEPS = {
    "oferta": _oferta,
    "accept": _accept,
    "pay": _pay,
    "paid?": _paid,
    "deliver": _deliver,
    "finalize": _finalize,
    "review-cliente": _review_cliente,
    "review-pro": _review_pro,
}


class Worker(threading.Thread):
    """One simulated person-pair's traffic: a deal of its own, searches, messages, notifications."""

    def __init__(self, api: journey.Api, deal: Deal, oficio: str, tally: Tally, seed: int):
        super().__init__(daemon=True)
        self.api, self.deal, self.oficio, self.tally = api, deal, oficio, tally
        self.random = random.Random(seed)
        self.until = 0.0
        self.interval = 0.0  # 0: back to back (capacity); else seconds between due times (soak)

    def step(self, kind: str) -> str:
        if kind == "search":
            journey.search(self.api, near=PALERMO, oficio=self.oficio)
        elif kind == "chat":
            journey.send_message(self.deal.cliente, self.deal.chat_id, "¿Podés pasar el jueves a la tarde?")
        elif kind == "notifications":
            journey.expect(self.deal.pro.get("/notify/history"))
        else:
            kind = DEAL_STEPS[self.deal.step](self.deal)
        return kind

    def run(self) -> None:
        due = time.perf_counter()
        while (now := time.perf_counter()) < self.until:
            if self.interval:
                if now < due:
                    time.sleep(due - now)
                started = due  # latency from when it was due
                due += self.interval
            else:
                started = now
            kind, error = self.random.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0], None
            try:
                kind = self.step(kind)
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                error = f"{type(exc).__name__}: {str(exc)[:300]}"
                self.deal.step = "oferta"  # start the deal over
            self.tally.record(kind, time.perf_counter() - started, error)


def run_phase(workers: list[Worker], seconds: float, interval: float) -> Tally:
    tally = Tally()
    threads = []
    for worker in workers:
        fresh = Worker(worker.api, worker.deal, worker.oficio, tally, seed=worker.random.randrange(2**32))
        fresh.until, fresh.interval = time.perf_counter() + seconds, interval
        threads.append(fresh)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for worker, thread in zip(workers, threads, strict=True):
        worker.deal = thread.deal
    return tally


def rss_by_process(running: system.System) -> dict[str, int]:
    """KiB of resident memory of every process of the system (a worker's prefork children too)."""
    found: dict[str, int] = {}
    for name, process in running.processes.items():
        pgid = process.popen.pid
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.getpgid(int(entry.name)) != pgid:
                    continue
                status = (entry / "status").read_text()
            except (OSError, ProcessLookupError):
                continue
            rss = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            found[f"{name}[{entry.name}]"] = rss
    return found


def connections_now() -> int:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE %s", ["conectar_soak%"]
        ).fetchone()
    return count


def people(api: journey.Api, pairs: int) -> tuple[list[Deal], str]:
    settings.PASSWORD_HASHERS = product_settings.PASSWORD_HASHERS  # hashed as the web server checks it
    get_hashers.cache_clear()
    staff = journey.staff_member(api, get_user_model())
    oficio = journey.oficio_id(api, "Plomero")
    deals = []
    for n in range(pairs):
        cliente = journey.register(api, rol="CLIENTE", nombre="Lucia", apellido="Soak")
        pro = journey.register(api, rol="PROFESIONAL", nombre="Martin", apellido="Soak")
        journey.become_professional(
            pro, at=PALERMO, radio_km=20, tarifa="8000.00", oficios=["Plomero"], payout_account=f"soak.pro{n}.mp"
        )
        journey.upload_kyc(pro)
        journey.approve_kyc(staff, pro)
        journey.find(api, pro, near=PALERMO, oficio=oficio)
        deals.append(Deal(cliente, pro, journey.open_chat(cliente, pro)))
    return deals, oficio


def percentile(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


def report(tally: Tally, seconds: float, label: str) -> None:
    print(
        f"\n{label}: {tally.steps} steps in {seconds:.0f} s = {tally.steps / seconds:.1f} steps/s; "
        f"errors {len(tally.errors)} (goal 0)"
    )
    print(f"   {'kind':16} {'count':>7} {'p50 ms':>9} {'p99 ms':>9}")
    every = [ms for samples in tally.latencies.values() for ms in samples]
    for kind, samples in sorted(tally.latencies.items()):
        print(f"   {kind:16} {len(samples):7} {percentile(samples, 50):9.1f} {percentile(samples, 99):9.1f}")
    print(f"   {'all':16} {len(every):7} {percentile(every, 50):9.1f} {percentile(every, 99):9.1f}")
    for error in tally.errors[:5]:
        print(f"   error: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--capacity-seconds", type=float, default=30.0)
    parser.add_argument("--split", action="store_true", help="payments and notifications as their own services")
    args = parser.parse_args()

    call_command("setup_databases", verbosity=0)
    for db in (11, 12):
        redis.Redis(db=db).flushdb()
    running = system.start(lifted=("payments", "notifications") if args.split else ())
    api = journey.Api(running)
    try:
        deals, oficio = people(api, args.threads)
        workers = [Worker(api, deal, oficio, Tally(), seed=n) for n, deal in enumerate(deals)]
        capacity = run_phase(workers, args.capacity_seconds, interval=0.0)
        report(capacity, args.capacity_seconds, f"1. Capacity, {args.threads} threads back to back")
        rate = capacity.steps / args.capacity_seconds / 2
        rss_before, samples = rss_by_process(running), [connections_now()]
        sampler_stop = threading.Event()

        def sample() -> None:
            while not sampler_stop.wait(10):
                samples.append(connections_now())

        threading.Thread(target=sample, daemon=True).start()
        seconds = args.minutes * 60
        soak = run_phase(workers, seconds, interval=args.threads / rate)
        sampler_stop.set()
        report(soak, seconds, f"2. Soak at half capacity ({rate:.1f} steps/s offered) for {args.minutes:g} min")
        rss_after = rss_by_process(running)
        print("\n   RSS per process (KiB): after the capacity phase -> end (goal growth < 5 %)")
        worst = 0.0
        for name in sorted(rss_before):
            if name in rss_after and rss_before[name]:
                growth = (rss_after[name] - rss_before[name]) / rss_before[name] * 100
                worst = max(worst, growth)
                print(f"   {name:40} {rss_before[name]:9} -> {rss_after[name]:9}  {growth:+6.1f} %")
        print(f"   worst growth {worst:+.1f} %")
        print(f"\n   PostgreSQL connections every 10 s: min {min(samples)}, max {max(samples)} (goal: flat)")
    finally:
        api.close()
        running.stop()


if __name__ == "__main__":
    main()
