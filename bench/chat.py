"""Chat bench: messages over real chat WebSockets, persisted, versus the bare channel layer, same run.

    .venv/bin/python bench/chat.py [--pairs 64] [--seconds 20] [--warmup 5] [--rate 500] [--servers 2]
    .venv/bin/python bench/chat.py --quick      # shorter run, ~2 min (16 pairs, 3 s per measurement)
    .venv/bin/python bench/chat.py --profile    # also py-spy on one server during the persisted closed loop

Data (own databases conectar_benchchat_*, Redis db 6 for cache/presence/channel layer, db 7 as a
Celery broker nothing reads; BENCH_REDIS_URL / BENCH_BROKER_URL move them): N pairs, each a CLIENTE
and a PROFESIONAL with KYC APROBADO, made by the services (`account_register`, the registration
event delivered in-process as a worker would, `kyc_mark_submitted`/`kyc_approve`), and their chat
(`marketplace.facade.open_chat`); tokens are the login's (`issue_pair`). Accounts are kept between
runs; the marketplace tables (chats, messages, its outbox) are emptied at every start, so the row
counts at the end are this run's.

Servers: daphne (what `make run` and the `websocket` role of the image run), `--servers` processes
(default 2, one per core; no load balancer: each on its own port), production settings
(CONECTAR_ENV=production, DEBUG off, SECRET_KEY and ALLOWED_HOSTS set, the production connection
budget DB_POOL_SIZE=1, the `RedisPubSubChannelLayer` that REDIS_URL selects, INFO JSON logs to
var/bench-chat/; NOTIFY_CHANNELS empty, since production refuses to start with provider channels
lacking credentials). No Celery worker: the web path never touches the broker (publish only writes
the outbox row inside the message's transaction, and the worker's relay is measured by
bench/eventbus.py), and a worker would take CPU from the server on the same two cores.
 - persisted: `conectar.asgi:application`, the real ChatConsumer: token checked on connect, then
   each frame handed to the process's batched writer (services/chat_writer.py): whatever frames
   arrived meanwhile, their tokens checked together (one Redis round trip), in one transaction
   (`chat.messages_send`: chats locked with their bans and unlock state, shielding, one INSERT of the
   messages, one of their MessageSent events with the recipients' presence, COMMIT), then the pushes
   through the layer.
 - layer-only (the baseline): a generated module (never in conectar/) with a consumer on the same
   URL, same settings and origin check, that joins the chat's group, answers `ready`, and on a
   `message` frame group_sends the same event shape (`chat.message` with a message body) over the
   same RedisPubSubChannelLayer: the socket -> layer -> socket path without the database.

Clients: one separate process (asyncio + websockets, no Django; Origin header as a browser sends),
two sockets per pair, the two sides of a pair on different server processes, so each message
crosses Redis from one process to the other (and also comes back to the sender, as the consumer
pushes every message to both sides). A message's text is ordinary Spanish with a letters-only
reference (nothing for the shielding to mask); latency is from the send (closed loop) or from the
scheduled send time (open loop) until the OTHER side's socket receives the pushed message.
 1. closed loop: each pair ping-pongs (one message in flight per pair; the reply is sent as soon as
    it arrives), --warmup s then --seconds s measured: messages delivered per second in the window.
 2. open loop at --rate msg/s for --seconds s: message k sent at start + k/rate by pair k mod N
    (sides alternating), latency from the schedule, so queueing is not hidden (coordinated
    omission); messages still undelivered --grace s (5) after the schedule ends count with the time
    they waited. When the persisted closed loop stays under --rate, both kinds also run an open loop
    at 70% of what it reached (lowest rate first: an overloading rate leaves a backlog behind).
Order: persisted first, then layer-only at the same rates (the 70% one included); the summary
prints both side by side with the ratios persisted / layer-only. Open-loop msg/s is what was
delivered over the time it took (the schedule plus the stragglers).
Cores: the machine's two cores are shared by everything (servers, PostgreSQL, Redis, the client);
each measurement prints the CPU per message of each (server, postgres backends, redis, client) and
of everything else ("other": other people's work). After the persisted run, the database is
checked: every message delivered to the other side is a row, one MessageSent outbox row per message
row, none masked, and rows against what the clients sent (under overload, messages still queued on
a socket when the run closes it are never stored: the count says how many).
Goals (2 cores): >= 1,000 persisted+delivered msg/s; p99 <= 50 ms at 500 msg/s. Both go to
bench/_report.py (`chat.json` under $BENCH_RESULTS_DIR) with the bare layer's figure of the same run
as baseline, the CPU per message lines, the row check and the profile's summary as notes.
Knobs: BENCH_DATABASE_URL (server and database prefix), BENCH_PYSPY (path of py-spy for --profile),
BENCH_ASGI_SERVER=uvicorn with BENCH_SITE=<dir of a `pip install --target` of uvicorn[standard]> to
compare with uvicorn (not a dependency of the project).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _report import Report  # bench/ is the script's directory, as for `search`

ROOT = Path(__file__).resolve().parents[1]
ENV = {
    **os.environ,
    "CONECTAR_ENV": "production",
    "DEBUG": "false",
    "SECRET_KEY": "bench-chat-not-a-secret-0123456789abcdef0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SETTINGS_MODULE": "conectar.settings",
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conectar_benchchat"),
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6"),
    # nothing consumes it (and the web path never sends)
    "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/7"),
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "DB_POOL_SIZE": "1",  # the production connection budget (settings' default too)
    "JWT_ACCESS_MINUTES": "180",  # the run's tokens must outlive the run
    "LOG_LEVEL": "INFO",
    "NOTIFY_CHANNELS": "",  # production refuses providers without credentials; notifications are a worker's job
    "PYTHONUNBUFFERED": "1",
}
ORIGIN = "http://127.0.0.1"
PASSWORD = "Llave-Inglesa-Roja-77"  # noqa: S105 - the bench accounts' password
LOG_DIR = ROOT / "var" / "bench-chat"
PHRASES = (
    "Hola, ¿podés venir el martes a mirar la pérdida de la cocina?",
    "Sí, a la tarde puedo. ¿Es la canilla o el caño de abajo?",
    "Creo que el caño, gotea cuando abro la llave de paso.",
    "Perfecto, llevo repuestos por las dudas. Te confirmo el horario.",
    "Dale, muchas gracias. Avisame cuando estés saliendo.",
)


# --- the load generator (its own process; no Django) ----------------------------------------------


def letters(n: int) -> str:
    """n as bijective base-26 letters: a reference the contact shielding has no reason to mask."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(97 + r) + out
    return out


def number(ref: str) -> int:
    n = 0
    for c in ref:
        n = n * 26 + ord(c) - 96
    return n - 1


def text_for(seq: int) -> str:
    return f"{PHRASES[seq % len(PHRASES)]} ref {letters(seq)}"


@dataclass
class InFlight:
    receiver: int  # 0 cliente, 1 profesional
    phase: str
    t_ref: float  # send time (closed loop) or scheduled time (open loop)
    sent_at: float = 0.0
    done: asyncio.Future | None = None


@dataclass
class Pair:
    index: int
    urls: list[str]
    sockets: list = field(default_factory=list)
    queues: list[asyncio.Queue] = field(default_factory=list)
    pending: dict[int, InFlight] = field(default_factory=dict)
    seq: int = 0


class Driver:
    def __init__(self, plan: dict):
        self.pairs = [Pair(i, urls) for i, urls in enumerate(plan["pairs"])]
        self.received: dict[str, list[tuple[float, float]]] = collections.defaultdict(list)  # phase: (ref, recv)
        self.counts = collections.Counter()
        self.errors: list[str] = []
        self.tasks: list[asyncio.Task] = []
        self.grace = plan["phases"]["grace"]
        self.delivered_ids: list[str] = []
        self.window = [0.0, 0.0]  # the closed loop's measured window (perf_counter)

    # sockets

    async def connect(self, pair: Pair, side: int) -> None:
        from websockets.asyncio.client import connect

        ws = await connect(
            pair.urls[side],
            origin=ORIGIN,
            compression=None,
            ping_interval=None,
            open_timeout=60,
            close_timeout=2,
            max_queue=None,
        )
        frame = json.loads(await asyncio.wait_for(ws.recv(), 60))
        if frame.get("type") != "ready":
            raise RuntimeError(f"pair {pair.index} side {side}: expected ready, got {frame}")
        pair.sockets[side] = ws

    async def connect_all(self) -> None:
        limit = asyncio.Semaphore(16)

        async def one(pair: Pair, side: int) -> None:
            async with limit:
                await self.connect(pair, side)

        for pair in self.pairs:
            pair.sockets = [None, None]
            pair.queues = [asyncio.Queue(), asyncio.Queue()]
        await asyncio.gather(*(one(pair, side) for pair in self.pairs for side in (0, 1)))
        for pair in self.pairs:
            for side in (0, 1):
                self.tasks.append(asyncio.create_task(self.reader(pair, side)))
                self.tasks.append(asyncio.create_task(self.writer(pair, side)))

    async def reader(self, pair: Pair, side: int) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in pair.sockets[side]:
                now = time.perf_counter()
                frame = json.loads(raw)
                if frame.get("type") != "message":
                    self.counts[f"frame_{frame.get('type')}"] += 1
                    if frame.get("type") == "error" and len(self.errors) < 10:
                        self.errors.append(f"pair {pair.index} side {side}: {frame}")
                    continue
                seq = number(frame["message"]["text"].rsplit(" ", 1)[1])
                flight = pair.pending.get(seq)
                if flight is None or flight.receiver != side:
                    self.counts["echo_or_late"] += 1  # the sender's own copy, or one past its phase
                    continue
                del pair.pending[seq]
                self.counts["delivered"] += 1
                self.delivered_ids.append(frame["message"]["id"])
                self.received[flight.phase].append((flight.t_ref, now))
                if flight.done is not None and not flight.done.done():
                    flight.done.set_result(now)
        except ConnectionClosed as exc:
            self.counts["closed"] += 1
            if len(self.errors) < 10:
                self.errors.append(f"pair {pair.index} side {side} closed: {exc}")

    async def writer(self, pair: Pair, side: int) -> None:
        queue, ws = pair.queues[side], pair.sockets[side]
        while True:
            seq, flight = await queue.get()
            await ws.send(json.dumps({"type": "message", "text": text_for(seq)}))
            flight.sent_at = time.perf_counter()
            self.counts["sent"] += 1

    def send(self, pair: Pair, side: int, flight: InFlight) -> None:
        seq = pair.seq
        pair.seq += 1
        pair.pending[seq] = flight
        pair.queues[side].put_nowait((seq, flight))

    # phases

    async def closed(self, warmup: float, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        start = time.perf_counter()
        deadline = start + warmup + seconds

        async def ping_pong(pair: Pair) -> None:
            side = pair.index % 2
            while time.perf_counter() < deadline:
                flight = InFlight(1 - side, "closed", time.perf_counter(), done=loop.create_future())
                flight_seq = pair.seq
                self.send(pair, side, flight)
                try:
                    await asyncio.wait_for(flight.done, 10)
                except TimeoutError:
                    self.counts["lost"] += 1
                    pair.pending.pop(flight_seq, None)
                side = 1 - side

        async def markers() -> None:
            await asyncio.sleep(warmup)
            self.window = [time.perf_counter(), 0.0]
            print("BEGIN closed", flush=True)
            await asyncio.sleep(max(0.0, deadline - time.perf_counter()))
            self.window[1] = time.perf_counter()
            print("END closed", flush=True)

        await asyncio.gather(markers(), *(ping_pong(pair) for pair in self.pairs))

    async def open(self, name: str, rate: float, seconds: float) -> dict:
        """Message k at start + k/rate whatever happens; latency from that scheduled time."""
        total = int(rate * seconds)
        flights: list[InFlight] = []
        n = len(self.pairs)
        print(f"BEGIN {name}", flush=True)
        start = time.perf_counter() + 0.01
        k = 0
        while k < total:
            now = time.perf_counter()
            while k < total and start + k / rate <= now:
                pair = self.pairs[k % n]
                side = (k // n + pair.index) % 2
                flight = InFlight(1 - side, name, start + k / rate)
                flights.append(flight)
                self.send(pair, side, flight)
                k += 1
            if k < total:
                await asyncio.sleep(max(0.0, start + k / rate - time.perf_counter()))
        end = time.perf_counter()
        print(f"END {name}", flush=True)
        cutoff = end + self.grace
        while time.perf_counter() < cutoff and any(p.pending for p in self.pairs):  # noqa: ASYNC110 - a poll
            await asyncio.sleep(0.01)
        cutoff = time.perf_counter()
        unfinished = [f.t_ref for p in self.pairs for f in p.pending.values()]
        for p in self.pairs:
            p.pending.clear()
        got = self.received[name]
        lag = sorted((f.sent_at - f.t_ref) * 1000 for f in flights if f.sent_at)
        return {
            "messages": len(got),
            "seconds": max([end, *(recv for _, recv in got)]) - start,
            "latencies": sorted([(recv - ref) * 1000 for ref, recv in got] + [(cutoff - r) * 1000 for r in unfinished]),
            "unfinished": len(unfinished),
            "scheduled": total,
            "rate": rate,
            "lag_p50": lag[len(lag) // 2] if lag else 0.0,
            "lag_p99": lag[int(len(lag) * 0.99)] if lag else 0.0,
        }

    async def run(self, phases: dict) -> dict:
        await self.connect_all()
        print("CONNECTED", flush=True)
        out: dict = {}
        await self.closed(phases["warmup"], phases["seconds"])
        window = self.window
        got = [(ref, recv) for ref, recv in self.received["closed"] if window[0] <= recv <= window[1]]
        out["closed"] = {
            "messages": len(got),
            "seconds": window[1] - window[0],
            "latencies": sorted((recv - ref) * 1000 for ref, recv in got),
        }
        rates = list(phases["rates"])
        closed_rate = len(got) / (window[1] - window[0])
        if phases["auto_low"] and closed_rate < max(rates):
            rates.append(max(1, round(0.7 * closed_rate)))  # also below what it can do, for comparison
        # lowest first: an overloading rate leaves a backlog on the server that would spoil the next phase
        for rate in sorted(set(rates)):
            await asyncio.sleep(1)
            out[f"open {rate:g}/s"] = await self.open(f"open {rate:g}/s", rate, phases["seconds"])
        await asyncio.sleep(0.5)  # the last echoes
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for p in self.pairs for ws in p.sockets), return_exceptions=True)
        out["counts"] = dict(self.counts)
        out["errors"] = self.errors
        out["delivered_ids"] = self.delivered_ids
        return out


def drive() -> None:
    """`bench/chat.py --drive`: the plan as JSON on stdin; BEGIN/END lines around each measured
    window (the parent meters CPU between them), then one RESULT line."""
    plan = json.load(sys.stdin)
    result = asyncio.run(Driver(plan).run(plan["phases"]))
    print("RESULT " + json.dumps(result), flush=True)


# --- setup (the parent process, with Django) ------------------------------------------------------


def django_setup() -> None:
    os.environ.update(ENV)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def reset_marketplace() -> None:
    """Empty the bench's marketplace database (chats, messages, standings, its outbox)."""
    from django.apps import apps
    from django.db import connections

    from conectar.platform.databases import alias_for
    from conectar.platform.eventbus.models import OutboxEvent, ProcessedEvent

    models = [*apps.get_app_config("marketplace").get_models(), OutboxEvent, ProcessedEvent]
    conn = connections[alias_for("marketplace")]
    if not conn.settings_dict["NAME"].startswith("conectar_bench"):
        raise SystemExit(f"refusing to empty {conn.settings_dict['NAME']}: not a bench database")
    names = ", ".join(conn.ops.quote_name(m._meta.db_table) for m in models)
    with conn.cursor() as cur:
        cur.execute(f"TRUNCATE {names} CASCADE")


def prepare(pairs: int) -> list[dict]:
    """N pairs (cliente, approved profesional) and their chats; returns ids and fresh tokens."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from conectar.auth_ctx.contracts import Role
    from conectar.auth_ctx.services import account_register
    from conectar.auth_ctx.tokens import issue_pair
    from conectar.marketplace import facade as marketplace
    from conectar.professionals.contracts import KycStatus
    from conectar.professionals.models import Professional
    from conectar.professionals.services import kyc
    from tests.support.events import deliver_outbox

    call_command("setup_databases", verbosity=0)
    reset_marketplace()
    account = get_user_model()
    wanted = {(f"bench-chat-{role}-{i}@example.com", role) for i in range(pairs) for role in ("c", "p")}
    have = set(account.objects.filter(email__in=[e for e, _ in wanted]).values_list("email", flat=True))
    missing = sorted(w for w in wanted if w[0] not in have)
    if missing:
        print(f"setup: registering {len(missing)} accounts (Argon2id hashes) ...", flush=True)
    for email, role in missing:
        account_register(
            email=email,
            password=PASSWORD,
            nombre="Ana" if role == "c" else "Pedro",
            apellido="Bench",
            role=Role.CLIENTE if role == "c" else Role.PROFESIONAL,
        )
    deliver_outbox()  # the worker's job: users profiles and professionals from UserRegistered
    out = []
    for i in range(pairs):
        cliente = account.objects.get(email=f"bench-chat-c-{i}@example.com")
        pro = account.objects.get(email=f"bench-chat-p-{i}@example.com")
        professional = Professional.objects.get(usuario_id=pro.pk)
        if professional.estado_verificacion != KycStatus.APROBADO:
            kyc.kyc_mark_submitted(usuario_id=pro.pk, documents=3)
            kyc.kyc_approve(professional_id=professional.pk, by=None)
        chat = marketplace.open_chat(cliente_id=cliente.pk, profesional_id=pro.pk, opened_by=cliente.pk)
        out.append({
            "chat_id": str(chat.id),
            "tokens": [issue_pair(cliente).access_token, issue_pair(pro).access_token],
        })  # fmt: skip
    deliver_outbox()
    return out


# --- servers --------------------------------------------------------------------------------------

LAYER_APP = '''"""Layer-only baseline generated by bench/chat.py: the chat socket's path without the database."""

import os
import uuid
from datetime import UTC, datetime

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "conectar.settings")
import django

django.setup()

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path


class LayerOnlyConsumer(AsyncJsonWebsocketConsumer):
    async def dispatch(self, message):  # as ChatConsumer: no hop to Channels' database thread per frame
        await getattr(self, get_handler_name(message))(message)

    async def connect(self):
        await self.accept()
        self.chat_id = str(self.scope["url_route"]["kwargs"]["chat_id"])
        self.group = f"chat.{self.chat_id}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({"type": "ready", "chat_id": self.chat_id})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if content.get("type") == "message":
            message = {
                "id": str(uuid.uuid4()),
                "chat_id": self.chat_id,
                "sender_id": None,
                "kind": "texto",
                "text": content["text"],
                "masked": False,
                "created_at": datetime.now(UTC).isoformat(),
            }
            await self.channel_layer.group_send(self.group, {"type": "chat.message", "message": message})

    async def chat_message(self, event):
        await self.send_json({"type": "message", "message": event["message"]})


application = ProtocolTypeRouter(
    {
        "websocket": AllowedHostsOriginValidator(
            URLRouter([path("ws/chat/<uuid:chat_id>/", LayerOnlyConsumer.as_asgi())])
        )
    }
)
'''


# For comparison only (BENCH_ASGI_SERVER=uvicorn): uvicorn is not a dependency; BENCH_SITE names a
# directory with it (`pip install --target DIR "uvicorn[standard]"`), appended to the server's path
# so that the project's own packages win.
ASGI_SERVER = os.environ.get("BENCH_ASGI_SERVER", "daphne")
UVICORN = (
    "import os, sys; sys.path.extend(p for p in os.environ.get('BENCH_SITE', '').split(os.pathsep) if p);"
    " from uvicorn.main import main; sys.argv[0] = 'uvicorn'; main()"
)


class Servers:
    """`count` ASGI server processes (daphne) of one application, each on its own port."""

    def __init__(self, kind: str, count: int, module_dir: str):
        from search import free_port  # bench/search.py's

        self.kind = kind
        app = "conectar.asgi:application" if kind == "persisted" else "bench_chat_layer_only:application"
        env = {**ENV, "PYTHONPATH": os.pathsep.join([module_dir, str(ROOT)])}
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        self.ports = [free_port() for _ in range(count)]
        self.procs, self.logs = [], []
        for port in self.ports:
            self.logs.append((LOG_DIR / f"{kind}-{port}.log").open("w"))
            if ASGI_SERVER == "uvicorn":
                command = [sys.executable, "-c", UVICORN, app, "--host", "127.0.0.1", "--port", str(port)]
                command += ["--lifespan", "off"]
            else:
                command = [str(ROOT / ".venv/bin/daphne"), "-b", "127.0.0.1", "-p", str(port), app]
            self.procs.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=self.logs[-1], stderr=subprocess.STDOUT)
            )
        for port, proc in zip(self.ports, self.procs, strict=True):
            self._wait(port, proc)

    @staticmethod
    def _wait(port: int, proc: subprocess.Popen) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{ASGI_SERVER} on port {port} exited ({proc.returncode}); see {LOG_DIR}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            except OSError:
                time.sleep(0.1)
            else:
                return
        raise RuntimeError(f"{ASGI_SERVER} on port {port} did not come up")

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + 5  # an overloaded one still works through its backlog: no need to wait
        for proc in self.procs:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


# --- CPU ------------------------------------------------------------------------------------------


class CpuWindow:
    """CPU seconds per group of processes between start and stop (read while they still run:
    the servers and the client are gone by the time the message count is known); "other" is the
    rest of the machine (other people's work). bench/search.py's CpuMeter, split in two."""

    def __init__(self, groups: dict[str, list[int]]):
        from search import _cpu_of as cpu_seconds
        from search import _machine_busy as machine_busy

        self.cpu_seconds, self.machine_busy = cpu_seconds, machine_busy
        self.groups = groups
        self.before = {name: sum(cpu_seconds(p) for p in pids) for name, pids in groups.items()}
        self.busy, self.wall = machine_busy(), time.perf_counter()
        self.used: dict[str, float] = {}

    def stop(self) -> None:
        self.used = {n: sum(map(self.cpu_seconds, pids)) - self.before[n] for n, pids in self.groups.items()}
        self.busy, self.wall = self.machine_busy() - self.busy, time.perf_counter() - self.wall
        self.used["other"] = max(0.0, self.busy - sum(self.used.values()))

    def report(self, messages: int) -> str:
        parts = ", ".join(f"{name} {1000 * s / max(messages, 1):.2f}" for name, s in self.used.items())
        cores = 100 * self.busy / self.wall / (os.cpu_count() or 1)
        warning = " - OTHER PROCESSES BUSY, figures disturbed" if self.used["other"] > 0.1 * self.busy else ""
        return f"CPU ms/message: {parts}; machine busy {cores:.0f}%{warning}"


def postgres_backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname LIKE %s AND backend_type = 'client backend'"
            " AND pid <> pg_backend_pid()",
            # every context database of the bench (DATABASE_URL's name is their prefix)
            [ENV["DATABASE_URL"].rsplit("/", 1)[1] + "_%"],
        )
        return [r[0] for r in cur.fetchall()]


def redis_pid() -> list[int]:
    import redis

    try:
        return [int(redis.Redis.from_url(ENV["REDIS_URL"]).info("server")["process_id"])]
    except (redis.RedisError, KeyError, ValueError):
        return []


# --- profiling ------------------------------------------------------------------------------------


def pyspy_path() -> str | None:
    for candidate in (os.environ.get("BENCH_PYSPY"), shutil.which("py-spy"), str(ROOT / ".venv/bin/py-spy")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def start_profile(pid: int, seconds: float) -> tuple[subprocess.Popen, Path] | None:
    pyspy = pyspy_path()
    if pyspy is None:
        print("  (--profile: py-spy not found; set BENCH_PYSPY or pip install py-spy)")
        return None
    out = LOG_DIR / f"pyspy-{pid}.txt"
    command = [pyspy, "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))), "--rate", "250"]
    command += ["--format", "raw", "--threads", "--output", str(out), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL), out


def report_profile(out: Path) -> list[str]:
    """Collapsed stacks -> share of samples per thread, the project's functions by inclusive share
    (where the writer's time goes), and the hottest leaf frames. Returns a summary for the report."""
    threads: collections.Counter = collections.Counter()
    inclusive: collections.Counter = collections.Counter()
    leaf: collections.Counter = collections.Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        threads[frames[0].split(": ", 1)[-1]] += n
        for name in {_short(f) for f in frames[1:]}:
            inclusive[name] += n
        leaf[_short(frames[-1])] += n
    if not total:
        print("  (py-spy recorded nothing)")
        return []
    print(f"\n-- py-spy, one persisted server process in the closed loop, {total} samples of busy threads:")
    print("   " + ", ".join(f"{name} {100 * n / total:.1f}%" for name, n in threads.most_common()))
    print("   project functions (inclusive share of samples):")
    for name, n in [(k, v) for k, v in inclusive.most_common() if "conectar/" in k][:20]:
        print(f"   {100 * n / total:5.1f}%  {name}")
    interesting = ("set_autocommit", "close_old_connections", "group_send", "send_json", "execute_sql", "RedisCache.")
    print("   selected library functions (inclusive):")
    for name, n in [(k, v) for k, v in inclusive.most_common() if any(x in k.split(" ")[0] for x in interesting)][:12]:
        print(f"   {100 * n / total:5.1f}%  {name}")
    print("   leaf frames (self):")
    for name, n in leaf.most_common(10):
        print(f"   {100 * n / total:5.1f}%  {name}")
    print(f"   raw stacks: {out}")
    top = [(k, v) for k, v in inclusive.most_common() if "conectar/" in k][:6]
    return [
        "py-spy, one persisted server in the closed loop, threads: "
        + ", ".join(f"{name} {100 * n / total:.0f}%" for name, n in threads.most_common(4)),
        "py-spy, project functions (inclusive): "
        + ", ".join(f"{k.split(' ')[0]} {100 * v / total:.0f}%" for k, v in top),
        "py-spy, leaf frames: "
        + ", ".join(f"{k.split(' ')[0]} {100 * v / total:.0f}%" for k, v in leaf.most_common(5)),
    ]


def _short(frame: str) -> str:
    """'func (path/to/site-packages/pkg/mod.py:12)' -> 'func (pkg/mod.py)'."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
            break
    return f"{name} ({where})"


# --- the run --------------------------------------------------------------------------------------


@dataclass
class Figures:
    label: str
    messages: int
    seconds: float
    latencies: list[float]
    note: str = ""
    cpu: str = ""
    rate_asked: float = 0.0  # open loop: the scheduled rate

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        s = self.latencies
        return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))] if s else float("nan")

    def line(self) -> str:
        out = f"{self.label:34}{self.rate:9.0f}{self.pct(50):9.2f}{self.pct(95):9.2f}{self.pct(99):9.2f}"
        out += f"{self.pct(100):9.1f}  {self.note}"
        return out + (f"\n{'':6}{self.cpu}" if self.cpu else "")


HEADER = f"{'':34}{'msg/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'max ms':>9}"


def follow(driver: subprocess.Popen, servers: Servers, args, *, profile: bool) -> tuple[dict, dict, tuple | None]:
    """Read the client's lines: meter CPU over each measured window, start py-spy if asked."""
    cpu: dict[str, CpuWindow] = {}
    meter, profiler, result = None, None, {}
    for line in driver.stdout:
        word, _, rest = line.strip().partition(" ")
        if word == "BEGIN":
            groups = {"server": servers.pids, "postgres": postgres_backends(), "redis": redis_pid()}
            meter = CpuWindow({**groups, "client": [driver.pid]})
            if rest == "closed" and profile:
                profiler = start_profile(servers.pids[0], args.seconds)
        elif word == "END" and meter is not None:
            meter.stop()
            cpu[rest], meter = meter, None
        elif word == "RESULT":
            result = json.loads(rest)
        elif word == "CONNECTED":
            print("  sockets connected and subscribed; measuring", flush=True)
    if driver.wait() != 0 or not result:
        raise RuntimeError(f"the client process failed ({driver.returncode})")
    if profiler is not None:
        profiler[0].wait(timeout=args.seconds + 60)
    return result, cpu, profiler


def run_kind(kind: str, prepared: list[dict], args, module_dir: str, rates: list[float]) -> dict:
    print(f"\n== {kind}: {args.servers} {ASGI_SERVER} process(es), {len(prepared)} pairs", flush=True)
    t0 = time.perf_counter()
    servers = Servers(kind, args.servers, module_dir)
    t1 = time.perf_counter()
    driver = None
    try:
        ports = servers.ports
        plan = {
            "pairs": [
                [
                    f"ws://127.0.0.1:{ports[(i + side) % len(ports)]}/ws/chat/{p['chat_id']}/?token={p['tokens'][side]}"
                    for side in (0, 1)
                ]
                for i, p in enumerate(prepared)
            ],
            "phases": {
                "warmup": args.warmup,
                "seconds": args.seconds,
                "rates": rates,
                "auto_low": kind == "persisted",
                "grace": args.grace,
            },
        }
        driver = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--drive"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={k: v for k, v in ENV.items() if k != "DJANGO_SETTINGS_MODULE"},
        )
        driver.stdin.write(json.dumps(plan))
        driver.stdin.close()
        result, cpu, profiler = follow(driver, servers, args, profile=args.profile and kind == "persisted")
    finally:
        t2 = time.perf_counter()
        if driver is not None and driver.poll() is None:
            driver.kill()
            driver.wait()
        servers.stop()
    print(
        f"  (servers up in {t1 - t0:.1f} s, clients {t2 - t1:.1f} s, servers down in {time.perf_counter() - t2:.1f} s)"
    )
    c = result["closed"]
    figures = {"closed": Figures(f"{kind}, closed loop", c["messages"], c["seconds"], c["latencies"])}
    figures["closed"].note = f"{len(prepared)} in flight"
    for phase, o in result.items():
        if phase.startswith("open "):
            note = f"send delay p50 {o['lag_p50']:.2f} / p99 {o['lag_p99']:.2f} ms"
            if o["unfinished"]:
                note += f", {o['unfinished']} of {o['scheduled']} undelivered {args.grace:g} s after (as waited)"
            figures[phase] = Figures(f"{kind}, {phase}", o["messages"], o["seconds"], o["latencies"], note)
            figures[phase].rate_asked = o["rate"]
    for phase, meter in cpu.items():
        figures[phase].cpu = meter.report(figures[phase].messages)
    print(f"  client counts: {result['counts']}")
    for error in result["errors"]:
        print(f"  ! {error}")
    print(HEADER)
    for f in figures.values():
        print(f.line())
    profile = report_profile(profiler[1]) if profiler is not None and profiler[1].is_file() else []
    return {"figures": figures, "counts": result["counts"], "ids": result["delivered_ids"], "profile": profile}


def check_rows(prepared: list[dict], persisted: dict) -> str:
    """The persisted run's messages are rows: every one delivered, and one MessageSent each."""
    from conectar.marketplace.models import Message
    from conectar.platform.databases import alias_for
    from conectar.platform.eventbus.models import OutboxEvent

    messages = Message.objects.filter(chat_id__in=[p["chat_id"] for p in prepared])
    rows, masked = messages.count(), messages.filter(masked=True).count()
    outbox = OutboxEvent.objects.using(alias_for("marketplace")).filter(event_type__startswith="marketplace.message_s")
    events = outbox.count()
    ids = persisted["ids"]
    found = sum(messages.filter(pk__in=ids[i : i + 5000]).count() for i in range(0, len(ids), 5000))
    sent = persisted["counts"].get("sent", 0)
    ok = found == len(ids) and events == rows and masked == 0 and len(ids) <= rows <= sent
    line = (
        f"check ({'ok' if ok else 'MISMATCH'}): {found} of the {len(ids)} messages delivered to the other side"
        f" are rows; the bench's chats hold {rows} message rows ({masked} masked) and the outbox {events}"
        f" MessageSent events; the clients sent {sent} (warm-up included)"
        + (f", {sent - rows} of them still queued on sockets the run closed" if sent > rows else "")
    )
    print(f"\n  {line}")
    return line


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20, help="per measurement")
    parser.add_argument("--warmup", type=float, default=5, help="closed loop before its measured window")
    parser.add_argument("--rate", type=float, default=500, help="open-loop messages per second")
    parser.add_argument("--servers", type=int, default=2, help="ASGI server processes (one port each)")
    parser.add_argument("--grace", type=float, default=5, help="open loop: how long to wait for the last messages")
    parser.add_argument("--quick", action="store_true", help="smoke run (< 1 min): 16 pairs, 3 s per measurement")
    parser.add_argument("--profile", action="store_true", help="py-spy one persisted server in its closed loop")
    parser.add_argument("--drive", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive()
        return
    if args.quick:
        args.pairs, args.seconds, args.warmup, args.grace = 16, 3, 1, 2
    started = time.perf_counter()
    report = Report("chat")
    django_setup()
    prepared = prepare(args.pairs)
    print(
        f"chat bench: {args.pairs} pairs, {os.cpu_count()} cores, {args.servers} {ASGI_SERVER} process(es) per kind,"
        f" {args.warmup:.0f} s warm-up + {args.seconds:.0f} s closed loop, {args.seconds:.0f} s open loop"
        f" at {args.rate:g} msg/s (and at 70% of the persisted closed loop when that is lower);"
        f" load average {os.getloadavg()[0]:.2f} before (setup"
        f" {time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(dir="/tmp") as module_dir:
        (Path(module_dir) / "bench_chat_layer_only.py").write_text(LAYER_APP)
        persisted = run_kind("persisted", prepared, args, module_dir, [args.rate])
        check = check_rows(prepared, persisted)
        pf = persisted["figures"]
        rates = [f.rate_asked for f in pf.values() if f.rate_asked]  # the baseline at the same rates
        lf = run_kind("layer-only", prepared, args, module_dir, rates)["figures"]
    print(
        f"\n== summary ({args.pairs} pairs, {args.servers} {ASGI_SERVER} processes,"
        f" {os.cpu_count()} cores shared with everything)"
    )
    print(HEADER)
    for phase in pf:
        for f in (lf.get(phase), pf[phase]):
            if f is not None:
                print(f.line().split("\n")[0])
    ratios = [f"closed-loop msg/s {pf['closed'].rate / lf['closed'].rate:.2f}x"]
    for phase in pf:
        if phase in lf and phase != "closed":
            p, lo = pf[phase], lf[phase]
            ratios.append(f"{phase} p50 {p.pct(50) / lo.pct(50):.1f}x, p99 {p.pct(99) / lo.pct(99):.1f}x")
    print("  persisted / layer-only: " + "; ".join(ratios))
    record(report, args, pf, lf, profile=persisted["profile"], check=check)
    print(f"  load average now {os.getloadavg()[0]:.2f}; total {time.perf_counter() - started:.0f} s")
    report.finish()


def record(report: Report, args, pf: dict, lf: dict, *, profile: list[str], check: str) -> None:
    """The issue's two chat figures, each against the bare channel layer measured in the same run."""
    report.measure(
        "chat, persisted messages over WebSocket (closed loop)",
        value=pf["closed"].rate,
        unit="msg/s",
        baseline=lf["closed"].rate,
        baseline_label="bare channel layer, same sockets and servers",
        goal=1000,
        goal_kind="value>=",
        note=f"{args.pairs} pairs, one message in flight each, {args.servers} {ASGI_SERVER} processes",
    )
    phase = f"open {args.rate:g}/s"
    at_rate, base = pf.get(phase), lf.get(phase)
    if at_rate is not None:
        report.measure(
            f"chat, delivery p99 at {args.rate:g} msg/s offered",
            value=at_rate.pct(99),
            unit="ms",
            baseline=base.pct(99) if base is not None else None,
            baseline_label=f"bare channel layer at {args.rate:g} msg/s",
            goal=50,
            goal_kind="value<=",
            note=f"delivered {at_rate.rate:.0f} msg/s ({base.rate if base else float('nan'):.0f} bare); {at_rate.note}",
        )
    for name, f in (("persisted", pf), ("bare layer", lf)):
        for figures in f.values():
            if figures.cpu:
                report.note(f"{name}, {figures.label.split(', ', 1)[1]}: {figures.cpu}")
    report.note(check)
    for line in profile:
        report.note(line)


if __name__ == "__main__":
    main()
