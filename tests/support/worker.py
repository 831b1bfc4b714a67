"""A real Celery worker process (with embedded beat) on the test databases."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kombu.exceptions
import redis
from django.db import connections

from conectar.platform.databases import CONTEXT_DATABASES
from conectar.platform.queues import all_queues

ROOT = Path(__file__).resolve().parents[2]


def test_database_env() -> dict[str, str]:
    """`<CTX>_DATABASE_URL` for each context, naming the test database pytest-django created."""
    env = {}
    for context, alias in CONTEXT_DATABASES.items():
        s = connections[alias].settings_dict
        auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
        env[f"{context.upper()}_DATABASE_URL"] = f"postgres://{auth}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    return env


class CeleryWorker:
    def __init__(
        self,
        *,
        broker_url: str,
        log_path: Path,
        concurrency: int = 2,
        beat: bool = True,
        queues: list[str] | None = None,
        extra_env: dict[str, str] | None = None,
        nice: int = 0,
        own_session: bool = False,
    ):
        self.broker_url = broker_url
        self.queues = queues or all_queues()
        self.extra_env = extra_env or {}
        self.nice = nice  # a lower CPU priority, as `make run` gives its notifications worker
        self.own_session = own_session  # its own process group, so `kill()` reaches its pool children
        self.log_path = log_path
        self.concurrency = concurrency
        self.beat = beat
        self.process: subprocess.Popen | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="conectar-worker-")

    def start(self, app, *, timeout: float = 60.0) -> None:
        env = {
            **os.environ,
            **test_database_env(),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "CELERY_BROKER_URL": self.broker_url,
            "CELERY_BEAT_SCHEDULE_FILENAME": str(Path(self._tmp.name) / "beat-schedule"),
            "PYTHONPATH": str(ROOT),
            **self.extra_env,
        }
        cmd = [
            *(["nice", "-n", str(self.nice)] if self.nice else []),
            sys.executable,
            "-m",
            "celery",
            "-A",
            "conectar",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={self.concurrency}",
            "--queues=" + ",".join(self.queues),
            "--pool=" + os.environ.get("BENCH_POOL", "prefork"),
            "--without-gossip",
            "--without-mingle",
            f"--hostname=test-worker-{os.getpid()}@%h",
        ]
        if self.beat:
            cmd.append("--beat")
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=self.own_session
        )
        self.wait_ready(app, timeout=timeout)
        # "ready" comes before every consumer bootstep has settled; a connection drop in that
        # moment can kill the consumer for good (seen in CI). Give it a moment, then check again.
        time.sleep(2)
        self.wait_ready(app, timeout=timeout)

    def wait_ready(self, app, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"celery worker exited with {self.process.returncode}; see {self.log_path}")
            try:
                if app.control.ping(timeout=0.5):
                    return
            except (redis.ConnectionError, kombu.exceptions.OperationalError, OSError):
                app.close()  # a pooled connection cut by an outage test: reconnect and ask again
        raise TimeoutError(f"celery worker not ready after {timeout}s; see {self.log_path}")

    def alive(self, app, *, timeout: float = 20.0) -> bool:
        """Running and answering pings (it may need a few seconds to reconnect after an outage)."""
        if self.process is None or self.process.poll() is not None:
            return False
        try:
            self.wait_ready(app, timeout=timeout)
        except (TimeoutError, RuntimeError):
            return False
        return True

    def restart(self, app) -> None:
        self.stop(cleanup=False)
        self.start(app)

    def kill(self) -> None:
        """SIGKILL the main process and its pool children at once (needs `own_session`): a worker
        dying mid-task, with nothing acknowledged or cleaned up."""
        if not self.own_session:
            raise RuntimeError("kill() needs a worker started with own_session=True")
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def stop(self, *, cleanup: bool = True) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                # Its children too: a main process killed alone orphans its pool and its embedded
                # beat, and that beat went on sending the relays for good (seen after a CI run).
                children = children_of(self.process.pid)
                self.process.kill()
                self.process.wait()
                for pid in children:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
        if getattr(self, "_log", None):
            self._log.close()
        if cleanup:
            self._tmp.cleanup()


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (read from /proc: the prefork pool, the embedded beat)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile
        if ppid == pid:
            found.append(int(stat.parent.name))
    return found
