"""The production web server (`gunicorn -c python:conectar.platform.metrics.gunicorn`, as
docker/entrypoint.sh runs it): on a TCP bind every worker listens on a socket of its own
(SO_REUSEPORT), so the kernel spreads new connections over the workers instead of the first to wake
taking them all; on a unix socket the workers keep sharing the arbiter's one socket (each binding the
path itself would unlink the others'). Read from /proc of the real processes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.e2e.system import BIN, LOGS, ROOT, Process
from tests.support import worker as worker_harness
from tests.support.network import unused_port
from tests.support.waiting import wait_until

WORKERS = 2


def _socket_inodes(pid: int) -> set[int]:
    found = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            found.add(int(target[8:-1]))
    return found


def _tcp_listeners(port: int) -> set[int]:
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":  # LISTEN
                inodes.add(int(fields[9]))
    return inodes


def _unix_listeners(path: str) -> set[int]:
    # Accepted connections carry the path too; a listening socket has __SO_ACCEPTCON in its flags.
    return {
        int(fields[6])
        for fields in (line.split() for line in Path("/proc/net/unix").read_text().splitlines()[1:])
        if len(fields) == 8 and fields[7] == path and int(fields[3], 16) & 0x10000
    }


def _serve(bind: str) -> Process:
    env = {
        **os.environ,
        **worker_harness.test_database_env(),
        "DJANGO_SETTINGS_MODULE": "conectar.settings",
        "CONECTAR_ENV": "test",
        "PYTHONPATH": str(ROOT),
        "WEB_BIND": bind,
        "WEB_WORKERS": str(WORKERS),
        "WEB_THREADS": "1",
    }
    LOGS.mkdir(parents=True, exist_ok=True)
    cmd = [str(BIN / "gunicorn"), "-c", "python:conectar.platform.metrics.gunicorn", "conectar.wsgi:application"]
    return Process("web-sockets", cmd, env)


def _workers(server: Process) -> list[int]:
    def forked() -> list[int] | None:
        pids = worker_harness.children_of(server.popen.pid)
        return pids if len(pids) == WORKERS else None

    return wait_until(forked, message="the workers forked")


@pytest.fixture
def served():
    started: list[Process] = []

    def serve(bind: str) -> Process:
        started.append(_serve(bind))
        return started[-1]

    yield serve
    for server in started:
        server.terminate()
        server.wait()


def test_on_a_tcp_bind_each_worker_listens_on_its_own_socket(served):
    port = unused_port()
    server = served(f"127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}"
    server.wait_for(lambda: len(_tcp_listeners(port)) == WORKERS, what="every worker listening")
    assert httpx.get(f"{url}/health/live", timeout=5).status_code == 200

    listeners = _tcp_listeners(port)
    held = [_socket_inodes(pid) & listeners for pid in _workers(server)]
    assert all(len(mine) == 1 for mine in held), held
    assert held[0] != held[1], "the workers share one socket: the first to wake takes the connections"
    assert not _socket_inodes(server.popen.pid) & listeners, "the arbiter listens on nothing itself"


def test_on_a_unix_socket_the_workers_share_the_arbiters_one_socket(served):
    path = str(Path(tempfile.mkdtemp(prefix="conectar-web-")) / "web.sock")
    server = served(f"unix:{path}")
    transport = httpx.HTTPTransport(uds=path)
    server.wait_for(lambda: Path(path).exists(), what="the socket bound")
    workers = _workers(server)
    with httpx.Client(transport=transport, base_url="http://web", timeout=5) as http:
        wait_until(lambda: http.get("/health/live").status_code == 200, message="the server answering")
        assert [http.get("/health/live").status_code for _ in range(4)] == [200] * 4

    (listener,) = _unix_listeners(path)  # one socket ever bound to the path
    assert listener in _socket_inodes(server.popen.pid)
    assert all(listener in _socket_inodes(pid) for pid in workers)
