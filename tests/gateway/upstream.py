"""A stand-in for a lifted context's service: a real HTTP/1.1 server on 127.0.0.1, one thread per
connection, that the gateway's proxy talks to like any service.

What it does is chosen by the request's query (`?stub=…`), which the proxy forwards untouched:
- (none) — echo: JSON with the method, path, raw query, headers and the body's size and SHA-256;
- `status&code=N` — that status, with its own headers (X-Upstream, two cookies, Keep-Alive);
- `stream&bytes=N` — N bytes of `payload(N)`: the first chunk at once, the rest only once the test
  sets `release_download` (so a proxy that buffered the body would never hand over the first chunk);
- `gate-upload` — echo, setting `upload_started` as soon as the first body bytes arrive;
- `hang` — answers only when the test ends (past any read timeout);
- `drop` — closes the connection without answering.
`GET /api/v1/schema` answers `schema` (404 while it is None). Every request is counted in `hits`.
"""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

FIRST_CHUNK = 64 * 1024
GATE_SECONDS = 30.0  # a failsafe only: a test that works never waits for it


def payload(size: int) -> bytes:
    return (bytes(range(256)) * (size // 256 + 1))[:size]


class Upstream:
    def __init__(self, schema: dict | None = None):
        self.schema = schema
        self.hits: list[str] = []
        self.upload_started = threading.Event()
        self.release_download = threading.Event()
        self.download_gate: list[bool] = []  # True: the test released the rest of the download
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.upstream = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> Upstream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.release_download.set()
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # quiet: pytest shows failures, not every request
        pass

    def do_GET(self):
        try:
            self._handle()
        except (BrokenPipeError, ConnectionResetError):  # the proxy gave up first (timeouts)
            self.close_connection = True

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815 - http.server names

    def _handle(self):
        upstream: Upstream = self.server.upstream
        url = urlsplit(self.path)
        stub = parse_qs(url.query).get("stub", ["echo"])[0]
        upstream.hits.append(url.path)
        if stub == "drop":
            self.close_connection = True
            return
        body_size, body_sha = self._read_body(upstream if stub == "gate-upload" else None)
        if url.path == "/api/v1/schema":
            self._json(200 if upstream.schema is not None else 404, upstream.schema or {"detail": "none"})
        elif stub == "hang":
            upstream._stopping.wait(GATE_SECONDS)
            self._json(200, {"late": True})
        elif stub == "status":
            code = int(parse_qs(url.query)["code"][0])
            self._json(code, {"detail": f"upstream {code}", "code": "upstream"}, extra=_STATUS_HEADERS)
        elif stub == "stream":
            self._stream(upstream, int(parse_qs(url.query)["bytes"][0]))
        else:
            headers = [[name.lower(), value] for name, value in self.headers.items()]
            self._json(
                200,
                {
                    "method": self.command,
                    "path": url.path,
                    "query": url.query,
                    "headers": headers,
                    "body_bytes": body_size,
                    "body_sha256": body_sha,
                },
            )

    def _read_body(self, gate: Upstream | None) -> tuple[int, str]:
        remaining = int(self.headers.get("Content-Length") or 0)
        digest, size = hashlib.sha256(), 0
        while remaining:
            chunk = self.rfile.read(min(remaining, 64 * 1024))
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
            remaining -= len(chunk)
            if gate is not None:
                gate.upload_started.set()
        return size, digest.hexdigest()

    def _json(self, status: int, body: dict, *, extra: tuple = ()):
        data = b"" if status in {204, 304} or self.command == "HEAD" else json.dumps(body).encode()
        self.send_response(status)
        for name, value in extra:
            self.send_header(name, value)
        if status not in {204, 304}:
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, upstream: Upstream, size: int):
        data = payload(size)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Disposition", 'attachment; filename="documento.bin"')
        self.send_header("Content-Length", str(size))
        self.end_headers()
        self.wfile.write(data[:FIRST_CHUNK])
        self.wfile.flush()
        upstream.download_gate.append(upstream.release_download.wait(GATE_SECONDS))
        self.wfile.write(data[FIRST_CHUNK:])


_STATUS_HEADERS = (
    ("X-Upstream", "yes"),
    ("Set-Cookie", "first=1; Path=/"),
    ("Set-Cookie", "second=2; Path=/"),
    ("Keep-Alive", "timeout=5"),
    ("Allow", "GET, POST"),
)
