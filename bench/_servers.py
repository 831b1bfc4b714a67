"""What the benches' own servers share: production's gunicorn options, its packages, a free port."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import socket
import subprocess
import sys
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


def production_venv() -> Path:
    """A virtualenv holding only what the production image installs (requirements/base.txt, hashes
    checked; the project itself comes from PYTHONPATH, as the image's /app does), made once per
    version of the lock under var/bench/ (git-ignored). The dev venv's extras are imported when
    present (rich and pygments by structlog, jinja2 by django.test): ~6 MB a worker no image has."""
    lock = ROOT / "requirements" / "base.txt"
    venv = ROOT / "var" / "bench" / f"venv-production-{hashlib.sha256(lock.read_bytes()).hexdigest()[:12]}"
    if not (venv / "ready").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        # The pip bundled with 3.11 mis-resolves a pinned requirement with extras under --require-hashes.
        for step in (["--upgrade", "pip"], ["--require-hashes", "-r", str(lock)]):
            done = subprocess.run([*pip, *step], capture_output=True, text=True, check=False)
            if done.returncode:  # only then its output (a pip configuration's warnings would swamp the bench's)
                sys.stderr.write(done.stdout + done.stderr)
                raise subprocess.CalledProcessError(done.returncode, done.args)
        (venv / "ready").touch()
    return venv
