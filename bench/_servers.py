"""What the benches' own servers share: production's gunicorn options and a free port."""

from __future__ import annotations

import os
import re
import shlex
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def production_gunicorn_options() -> list[str]:
    """gunicorn's options of docker/entrypoint.sh's `web` role (${VAR:-default} expanded from this
    environment), without its --bind and application: the bench serves what production serves."""
    text = (ROOT / "docker" / "entrypoint.sh").read_text()
    line = next(x for x in text.splitlines() if x.strip().startswith("web)") and "exec gunicorn" in x)
    command = line.split("exec gunicorn", 1)[1].rsplit(";;", 1)[0]
    command = re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: os.environ.get(m[1], m[2]), command)
    options, skip = [], False
    for word in shlex.split(command):
        if skip:
            skip = False
        elif word == "--bind":
            skip = True
        elif word != "conectar.wsgi:application":
            options.append(word)
    if "-c" not in options:
        options = ["-c", "python:conectar.platform.metrics.gunicorn", *options]
    return options


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
