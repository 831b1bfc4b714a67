"""The common part of every stand-in: a threaded HTTP server, request recording, fault injection."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes
    status: int | None = None  # what the stand-in answered (None: the connection was dropped)

    def json(self):
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Reply:
    status: int
    body: dict | list | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Fault:
    status: int
    times: int
    path_contains: str
    body: dict | None


class StandIn:
    """Subclasses implement `handle(request) -> Reply`; faults apply to paths containing
    `fault_path` unless a fault names its own."""

    fault_path = ""

    def __init__(self):
        self.requests: list[Recorded] = []
        self._faults: list[_Fault] = []
        self._down = False
        self._delay = 0.0
        self._lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorded = Recorded(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                with standin._lock:
                    standin.requests.append(recorded)
                reply = standin._reply(recorded)
                if reply is None:  # down: drop the connection without an answer
                    self.close_connection = True
                    return
                recorded.status = reply.status
                payload = b"" if reply.body is None else json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_DELETE = do_PUT = _serve  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name=type(self).__name__, daemon=True)

    # --- lifecycle ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StandIn:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._faults.clear()
            self._down = False
            self._delay = 0.0
        self.on_reset()

    def on_reset(self) -> None:
        pass

    # --- faults -------------------------------------------------------------------------------------

    def fail_next(self, status: int = 500, *, times: int = 1, path_contains: str | None = None, body=None) -> None:
        with self._lock:
            self._faults.append(
                _Fault(status, times, self.fault_path if path_contains is None else path_contains, body)
            )

    def down(self) -> None:
        """Every request to the fault path gets its connection dropped, unanswered."""
        with self._lock:
            self._down = True

    def up(self) -> None:
        with self._lock:
            self._down = False

    def slow(self, seconds: float) -> None:
        """Answer requests to the fault path only after `seconds` (a client timeout)."""
        with self._lock:
            self._delay = seconds

    # --- recording ----------------------------------------------------------------------------------

    def received(self, path_contains: str | None = None) -> list[Recorded]:
        needle = self.fault_path if path_contains is None else path_contains
        with self._lock:
            return [r for r in self.requests if needle in r.path]

    def _reply(self, request: Recorded) -> Reply | None:
        with self._lock:
            faulty = self.fault_path in request.path
            down, delay = self._down and faulty, self._delay if faulty else 0.0
            fault = next((f for f in self._faults if f.path_contains in request.path and f.times > 0), None)
            if fault is not None and not down:
                fault.times -= 1
        if delay:
            time.sleep(delay)
        if down:
            return None
        if fault is not None:
            return Reply(fault.status, fault.body or {"error": {"code": fault.status, "message": "injected fault"}})
        return self.handle(request)

    def handle(self, request: Recorded) -> Reply:
        raise NotImplementedError
