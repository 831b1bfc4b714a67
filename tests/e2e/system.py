"""The whole system as real processes on this machine, as `make run` starts it: the web server
(daphne: HTTP + WebSocket), a Celery worker, Celery beat and the MercadoPago sandbox, plus a second
web server whose deadlines are seconds long (oferta life, unpaid trabajo, checkout expiry) for the
expiry paths. The notification providers' stand-ins are HTTP servers inside the test process.

Every process uses pytest-django's test databases and this session's Redis dbs, runs in its own
process group (killed whole on stop) and writes its log to test-artifacts/e2e/<name>.log."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from django.conf import settings

from conectar.platform.queues import all_queues
from conectar.platform.topology import CONTEXTS
from tests.support.standins import GoogleStandIn, SendGridStandIn, TwilioStandIn
from tests.support.waiting import wait_until
from tests.support.worker import test_database_env

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "test-artifacts" / "e2e"
BIN = Path(sys.executable).parent
WEBHOOK_SECRET = "e2e-webhook-secret"
ACCESS_TOKEN = "TEST-e2e-sandbox-access-token"
FRONTEND_URL = "http://127.0.0.1:3000"
START_TIMEOUT = 120.0  # a ceiling, not a wait: up to a dozen processes import Django at once on 2 cores
# The short-fuse web server's deadlines, in hours: 0.001 h = 3.6 s.
SHORT_HOURS = "0.001"
SHORT_FUSE_SETTINGS = ("OFERTA_DEFAULT_HOURS", "TRABAJO_UNPAID_HOURS", "PAYMENT_EXPIRY_HOURS")
SHORT_FUSE_CONTEXTS = frozenset({"payments"})  # a lifted one reads a short-fuse setting: it gets its own twin
# Beat's sweeps: time's effects (expiries) within a second; the safety nets (outbox relay, due
# refunds and payouts, pending notifications) every few seconds.
SWEEPS = {
    "MARKETPLACE_SWEEP_INTERVAL_SECONDS": "1",
    "EVENTBUS_RELAY_INTERVAL_SECONDS": "2",
    "PAYMENTS_SWEEP_SECONDS": "2",
    "NOTIFY_SWEEP_INTERVAL_SECONDS": "2",
}


class Process:
    """One subprocess in its own process group, with its output in a log file."""

    def __init__(
        self, name: str, cmd: list[str], env: dict[str, str], *, pass_fds: tuple[int, ...] = (), again: bool = False
    ):
        self.name = name
        self.env = env
        self.log_path = LOGS / f"{name}.log"
        # Started again after a kill, it keeps its earlier lines (and readers of "listening on …"
        # lines never see another system's: each start of a system writes its logs anew).
        self._log = self.log_path.open("ab" if again else "wb")
        self.popen = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: terminate() reaches Celery's children too
            pass_fds=pass_fds,
        )

    @property
    def log(self) -> str:
        return str(self.log_path.relative_to(ROOT))

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for(self, predicate, *, what: str, timeout: float = START_TIMEOUT):
        """Poll `predicate()` until truthy; fail naming this process's log if it exits or time runs out."""

        def check():
            if self.popen.poll() is not None:
                raise AssertionError(f"{self.name} exited with {self.popen.returncode}; see {self.log}")
            return predicate()

        return wait_until(check, timeout=timeout, interval=0.1, message=f"{what} (see {self.log})")

    def kill(self) -> None:
        """SIGKILL, the whole process group: a crash, not a shutdown."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def terminate(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGTERM)

    def wait(self) -> None:
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        self._log.close()


def _listening_socket(port: int = 0) -> socket.socket:
    """A bound, listening socket on a free port (or `port`); the web server adopts it (no port race)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


# Below Linux's ephemeral range (32768-60999): a port there is never some outgoing connection's
# local port, so a service killed by a test can be started again on it.
_RESTARTABLE_PORTS = range(20000, 32000)


def _restartable_socket() -> socket.socket:
    for port in random.sample(_RESTARTABLE_PORTS, 50):
        try:
            return _listening_socket(port)
        except OSError:
            continue
    raise RuntimeError("no free port below the ephemeral range")


@dataclass
class Providers:
    """The stand-ins of FCM, SendGrid and Twilio (their SDKs are pointed at them)."""

    google: GoogleStandIn = field(default_factory=GoogleStandIn)
    sendgrid: SendGridStandIn = field(default_factory=SendGridStandIn)
    twilio: TwilioStandIn = field(default_factory=TwilioStandIn)
    started: bool = False

    def start(self) -> dict[str, str]:
        for standin in (self.google, self.sendgrid, self.twilio):
            standin.start()
        self.started = True
        return {
            "NOTIFY_CHANNELS": "push,email,sms",
            "FCM_SERVICE_ACCOUNT": json.dumps(self.google.new_service_account()),
            "FCM_BASE_URL": self.google.url,
            "SENDGRID_API_KEY": self.sendgrid.api_key,
            "SENDGRID_BASE_URL": self.sendgrid.url,
            "TWILIO_ACCOUNT_SID": self.twilio.account_sid,
            "TWILIO_AUTH_TOKEN": self.twilio.auth_token,
            "TWILIO_FROM_NUMBER": "+15005550006",
            "TWILIO_BASE_URL": self.twilio.url,
            "NOTIFY_RETRY_BACKOFF_SECONDS": "0.2",
            "NOTIFY_RETRY_BACKOFF_MAX_SECONDS": "1",
        }

    def stop(self) -> None:
        if self.started:  # a server that never served would wait forever in shutdown()
            for standin in (self.google, self.sendgrid, self.twilio):
                standin.stop()
            self.started = False


@dataclass
class System:
    web_url: str
    short_fuse_url: str  # the same system, but ofertas, unpaid trabajos and checkouts last seconds
    sandbox_url: str
    providers: Providers
    processes: dict[str, Process]
    workdir: Path  # media, private KYC files, beat's schedule
    services: dict[str, str] = field(default_factory=dict)  # a lifted context -> its web server's URL

    def start_web_again(self, name: str, url: str) -> None:
        """Start the (killed) web server `name` again on the same port, with the same environment."""
        old = self.processes[name]
        sock = _listening_socket(int(url.rsplit(":", 1)[1]))
        self.processes[name] = _web(old.name, sock, old.env, again=True)
        self.processes[name].wait_for(lambda: _answers(url), what=f"{name} answering again")

    @property
    def logs(self) -> str:
        """Where to look when a step times out."""
        return ", ".join(p.log for p in self.processes.values())

    def ws_url(self, path: str) -> str:
        return self.web_url.replace("http://", "ws://", 1) + path

    def stop(self) -> None:
        for process in self.processes.values():  # all at once: each takes a moment to shut down
            process.terminate()
        for process in self.processes.values():
            process.wait()
        self.providers.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _environment(*, sandbox_url: str, web_url: str, providers: dict[str, str], workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        **test_database_env(),
        **providers,
        **SWEEPS,
        "DJANGO_SETTINGS_MODULE": "conectar.settings",  # the product's settings, not the test module
        "CONECTAR_ENV": "test",  # no rate limits: every request of the suite comes from 127.0.0.1
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "DB_POOL_SIZE": "1",  # the production connection budget, not the test process's per-thread ones
        "REDIS_URL": os.environ["REDIS_URL"],
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,  # straight to Redis, not the suite's proxy
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "CELERY_BEAT_SCHEDULE_FILENAME": str(workdir / "beat-schedule"),
        "MEDIA_ROOT": str(workdir / "media"),
        "KYC_ROOT": str(workdir / "kyc"),
        "FRONTEND_URL": FRONTEND_URL,
        "PUBLIC_API_URL": web_url,  # MercadoPago's webhooks come here
        "MERCADOPAGO_BASE_URL": sandbox_url,
        "MERCADOPAGO_ACCESS_TOKEN": ACCESS_TOKEN,
        "MERCADOPAGO_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MERCADOPAGO_SANDBOX": "true",
        "MERCADOPAGO_RETRY_BACKOFF_SECONDS": "0.05",
        "PAYOUT_PROVIDER": "mercadopago",  # Money Out through the sandbox, as `make run` does
        "PAYMENTS_RETRY_BACKOFF_SECONDS": "0.2",
        "EVENTBUS_RETRY_BACKOFF_SECONDS": "0.2",
        "EVENTBUS_RETRY_BACKOFF_MAX_SECONDS": "2",
    }


def _url(sock: socket.socket) -> str:
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def _web(name: str, sock: socket.socket, env: dict[str, str], *, again: bool = False) -> Process:
    """daphne serving conectar.asgi on the already bound `sock`."""
    fd = sock.fileno()
    cmd = [str(BIN / "daphne"), "--fd", str(fd), "--access-log", "-", "conectar.asgi:application"]
    try:
        return Process(name, cmd, env, pass_fds=(fd,), again=again)
    finally:
        sock.close()  # the child holds its own copy


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health/live", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _worker(name: str, env: dict[str, str], queues: list[str], *, beat: bool = False) -> Process:
    cmd = [
        str(BIN / "celery"),
        "-A",
        "conectar",
        "worker",
        "--loglevel=INFO",
        "--concurrency=2",
        "--queues=" + ",".join(queues),
        "--without-gossip",
        "--without-mingle",
        f"--hostname=e2e-{name}-{os.getpid()}@%h",
    ]
    if beat:  # the service's own beat inside its worker (its context's sweeps and relay only)
        cmd += ["--beat", f"--schedule={env['CELERY_BEAT_SCHEDULE_FILENAME']}"]
    return Process(name, cmd, env)


def _service_env(context: str, env: dict[str, str], *, gateway_url: str, services: dict[str, str]) -> dict[str, str]:
    """A lifted context's process: only that context; the others at the gateway or their service."""
    return {
        **env,
        "CONECTAR_SERVICE": context,
        "GATEWAY_SERVICE_URL": gateway_url,
        **{f"{c.upper()}_SERVICE_URL": url for c, url in services.items() if c != context},
        "CELERY_BEAT_SCHEDULE_FILENAME": f"{env['CELERY_BEAT_SCHEDULE_FILENAME']}-{context}",
    }


def start(*, lifted: tuple[str, ...] = ()) -> System:
    """The monolith, or with `lifted` contexts in their own processes (a web server each — and a
    second for payments behind the short-fuse gateway, whose checkouts lapse in seconds — plus a
    worker running the context's own beat), reached through the gateway as clients reach them."""
    LOGS.mkdir(parents=True, exist_ok=True)
    logs = "split-" if lifted else ""  # each topology's logs side by side in test-artifacts/e2e
    workdir = Path(tempfile.mkdtemp(prefix="conectar-e2e-"))
    processes: dict[str, Process] = {}
    providers = Providers()
    try:
        sandbox = Process(
            "sandbox",
            [sys.executable, "-m", "conectar.devtools.sandbox", "--port", "0", "--webhook-secret", WEBHOOK_SECRET],
            {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
        )
        processes["sandbox"] = sandbox
        found = sandbox.wait_for(
            lambda: re.search(r"listening on (http://\S+)", sandbox.text()), what="the MercadoPago sandbox listening"
        )
        sandbox_url = found.group(1)

        provider_env = providers.start()
        # Each web server must know its own URL before it starts (MercadoPago's webhooks and the
        # checkout's return go there), so it adopts a socket bound here.
        web_sock, short_sock = _listening_socket(), _listening_socket()
        web_url, short_url = _url(web_sock), _url(short_sock)
        service_socks = {ctx: _restartable_socket() for ctx in lifted}
        short_socks = {ctx: _listening_socket() for ctx in lifted if ctx in SHORT_FUSE_CONTEXTS}
        services = {ctx: _url(sock) for ctx, sock in service_socks.items()}
        short_services = {**services, **{ctx: _url(sock) for ctx, sock in short_socks.items()}}
        env = _environment(sandbox_url=sandbox_url, web_url=web_url, providers=provider_env, workdir=workdir)
        short_env = {**env, **dict.fromkeys(SHORT_FUSE_SETTINGS, SHORT_HOURS)}

        def urls(of: dict[str, str]) -> dict[str, str]:
            return {f"{ctx.upper()}_SERVICE_URL": url for ctx, url in of.items()}

        processes["web"] = _web(f"{logs}web", web_sock, {**env, **urls(services)})
        processes["web-short-fuse"] = _web(f"{logs}web-short-fuse", short_sock, {**short_env, **urls(short_services)})
        for ctx, sock in service_socks.items():
            service_env = _service_env(ctx, env, gateway_url=web_url, services=services)
            processes[ctx] = _web(f"{logs}{ctx}", sock, service_env)
            processes[f"{ctx}-worker"] = _worker(f"{logs}{ctx}-worker", service_env, all_queues((ctx,)), beat=True)
        for ctx, sock in short_socks.items():
            processes[f"{ctx}-short-fuse"] = _web(
                f"{logs}{ctx}-short-fuse",
                sock,
                _service_env(ctx, short_env, gateway_url=short_url, services=short_services),
            )
        here = tuple(ctx for ctx in CONTEXTS if ctx not in lifted)
        processes["worker"] = _worker(f"{logs}worker", {**env, **urls(services)}, all_queues(here))
        processes["beat"] = Process(
            f"{logs}beat", [str(BIN / "celery"), "-A", "conectar", "beat", "--loglevel=INFO"], {**env, **urls(services)}
        )

        answering = {"web": web_url, "web-short-fuse": short_url, **services}
        answering |= {f"{ctx}-short-fuse": url for ctx, url in short_services.items() if ctx in short_socks}
        for name, url in answering.items():
            processes[name].wait_for(lambda url=url: _answers(url), what=f"{name} answering /health/live")
        for name, process in processes.items():
            if name == "worker" or name.endswith("-worker"):
                process.wait_for(lambda p=process: " ready." in p.text(), what=f"the {name} ready")
        beat = processes["beat"]
        beat.wait_for(lambda: "Sending due task" in beat.text(), what="Celery beat sending tasks")
    except BaseException:
        System("", "", "", providers, processes, workdir).stop()
        raise
    return System(web_url, short_url, sandbox_url, providers, processes, workdir, services)
