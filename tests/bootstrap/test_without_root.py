"""Without root, the bootstrap cannot install anything: it lists everything missing at once and exits
non-zero (it used to stop at the first missing command, exit 127, without the list)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.bootstrap.checkout import clean_env, copy_checkout

PG_MAJOR = max(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name)).name


def test_without_root_every_missing_package_is_listed_at_once():
    # A place the unprivileged user can read, and a dpkg-query that finds nothing installed: the
    # packages of a fresh machine, as far as the bootstrap can tell.
    place = Path(tempfile.mkdtemp(prefix="conectar-bootstrap-"))
    try:
        place.chmod(0o755)
        checkout = copy_checkout(place / "checkout")
        fake_bin = place / "bin"
        fake_bin.mkdir()
        (fake_bin / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")
        (fake_bin / "dpkg-query").chmod(0o755)
        env = clean_env(PATH=f"{fake_bin}:{clean_env()['PATH']}")
        done = subprocess.run(
            ["runuser", "-u", "nobody", "--", "scripts/bootstrap.sh", "test"],  # noqa: S607
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(place)
    assert done.returncode == 1, done.stdout + done.stderr
    output = done.stdout + done.stderr
    assert "cannot go on without root; missing:" in output
    postgis = f"postgresql-{PG_MAJOR}-postgis-3"
    wanted = [postgis, "gdal-bin", "python3-venv", "docker-compose", "chromium", "redis-server"]
    assert f"apt-get install {' '.join(wanted)}" in output  # one list, one command
    assert "creating .venv" not in output
