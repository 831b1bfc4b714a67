"""The system as real processes, built to be broken: a broker of its own (a redis-server without
persistence, like many deployments, reached through a TCP proxy that can be cut), the web server,
a domain worker and a notifications worker started per queue as `make run` does, beat, the
MercadoPago sandbox and the providers' stand-ins. Workers and the broker can be SIGKILLed and
started again; every process writes its log to test-artifacts/e2e/<name>.log."""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import redis

from conectar.platform.queues import delivery_queues, domain_queues
from tests.e2e.system import (
    BIN,
    LOGS,
    WEBHOOK_SECRET,
    Process,
    Providers,
    _answers,
    _environment,
    _listening_socket,
    _url,
    _web,
)
from tests.support.network import unused_port
from tests.support.tcp_proxy import TcpProxy
from tests.support.waiting import wait_until

# A lost delivery comes back within a couple of seconds here (the product's lease is a minute).
TIMINGS = {
    "EVENTBUS_DELIVERY_LEASE_SECONDS": "2",
    "EVENTBUS_RELAY_INTERVAL_SECONDS": "0.5",
    "CELERY_BROKER_CONNECTION_TIMEOUT": "1",
}
_generation = itertools.count(1)


class Broker:
    """A redis-server of the test's own, without persistence: killed, it comes back empty."""

    def __init__(self):
        self.port = unused_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (LOGS / "chaos-broker.log").open("ab")
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "/usr/bin/redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._answers, timeout=10, message="the chaos broker answering")

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_timeout=0.5).ping()
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def restart_empty(self) -> None:
        """SIGKILL and start again on the same port, without persistence: every queued and
        unacknowledged message is gone (the processes reconnect at once and start writing again)."""
        self.kill()
        self.start()


@dataclass
class ChaosSystem:
    web_url: str
    sandbox_url: str
    broker: Broker
    proxy: TcpProxy
    providers: Providers
    env: dict[str, str]
    workdir: Path
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def logs(self) -> str:
        return ", ".join(p.log for p in self.processes.values())

    @property
    def short_fuse_url(self) -> str:  # the journey's clients expect one; this system has no other
        return self.web_url

    # --- workers ------------------------------------------------------------------------------------

    def start_worker(self, kind: str = "domain") -> Process:
        """A worker as `make run` starts it: `domain` (events, relays, context tasks) or
        `notifier` (notification deliveries); or `relay`, which only relays the outboxes (so what it
        sends stays queued). Its database connections carry its name."""
        queues = {
            "domain": domain_queues(),
            "notifier": delivery_queues(),
            "relay": [q for q in domain_queues() if q.startswith("eventbus.")],
        }[kind]
        name = f"chaos-{kind}-{next(_generation)}"
        cmd = [
            str(BIN / "celery"),
            *("-A", "conectar", "worker", "--loglevel=INFO", "--concurrency=2"),
            *("--queues", ",".join(queues), "--without-gossip", "--without-mingle"),
            f"--hostname={name}-{os.getpid()}@%h",
        ]
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "tests.chaos.settings", "PGAPPNAME": name}
        process = Process(name, cmd, env)
        process.wait_for(lambda: " ready." in process.text(), what=f"the {kind} worker ready")
        self.processes[kind] = process
        return process

    def kill_worker(self, kind: str = "domain") -> None:
        """SIGKILL the worker's whole process group: main process and pool children at once."""
        process = self.processes.pop(kind)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait()
        process.wait()

    # --- the broker ---------------------------------------------------------------------------------

    def cut_broker(self) -> None:
        self.proxy.stop()

    def restore_broker(self) -> None:
        self.proxy.start()

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait()
        self.proxy.stop()
        self.broker.kill()
        self.providers.stop()


def start() -> ChaosSystem:
    LOGS.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="conectar-chaos-"))
    broker = Broker()
    broker.start()
    proxy = TcpProxy("127.0.0.1", broker.port)
    proxy.start()
    providers = Providers()
    system = None
    try:
        sandbox = Process(
            "chaos-sandbox",
            [str(BIN / "python"), "-m", "conectar.devtools.sandbox", "--port", "0", "--webhook-secret", WEBHOOK_SECRET],
            {**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        found = sandbox.wait_for(lambda: _sandbox_url(sandbox), what="the MercadoPago sandbox listening")
        web_sock: socket.socket = _listening_socket()
        web_url = _url(web_sock)
        env = {
            **_environment(sandbox_url=found, web_url=web_url, providers=providers.start(), workdir=workdir),
            **TIMINGS,
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{proxy.port}/0",
        }
        system = ChaosSystem(web_url, found, broker, proxy, providers, env, workdir, {"sandbox": sandbox})
        system.processes["web"] = _web("chaos-web", web_sock, env)
        system.processes["web"].wait_for(lambda: _answers(web_url), what="the web server answering")
        beat_env = {**env, "CELERY_BEAT_SCHEDULE_FILENAME": str(workdir / "beat-schedule")}
        system.processes["beat"] = Process("chaos-beat", [str(BIN / "celery"), "-A", "conectar", "beat"], beat_env)
        system.start_worker("domain")
        system.start_worker("notifier")
    except BaseException:
        if system is not None:
            system.stop()
        else:
            proxy.stop()
            broker.kill()
            providers.stop()
        raise
    return system


def _sandbox_url(sandbox: Process) -> str | None:
    for line in sandbox.text().splitlines():
        if "listening on " in line:
            return line.split("listening on ", 1)[1].split()[0]
    return None
