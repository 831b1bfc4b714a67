"""A real daphne process (HTTP + WebSocket, conectar.asgi) on the test databases and this session's
Redis, as the suite's worker runs: for tests that need the server itself, e.g. sockets open in two
server processes that share the channel layer. Its log: test-artifacts/<name>.log."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.waiting import wait_until
from tests.support.worker import test_database_env

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
START_TIMEOUT = 120.0  # a ceiling, not a wait: importing Django next to a busy suite


class Daphne:
    def __init__(self, name: str):
        self.name = name
        self.log_path = ARTIFACTS / f"{name}.log"
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> Daphne:
        ARTIFACTS.mkdir(exist_ok=True)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.set_inheritable(True)
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        env = {
            **os.environ,
            **test_database_env(),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "PYTHONPATH": str(ROOT),
            "PYTHONUNBUFFERED": "1",
            "DB_POOL_SIZE": "1",  # the production connection budget
        }
        cmd = [str(Path(sys.executable).parent / "daphne"), "--fd", str(sock.fileno()), "conectar.asgi:application"]
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                pass_fds=(sock.fileno(),),
                start_new_session=True,
            )
        sock.close()  # the child holds its own copy
        wait_until(
            self._answers, timeout=START_TIMEOUT, interval=0.1, message=f"{self.name} answering (see {self.log_path})"
        )
        return self

    def _answers(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
        try:
            return httpx.get(f"{self.url}/health/live", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    def ws_url(self, path: str) -> str:
        return self.url.replace("http://", "ws://", 1) + path

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
