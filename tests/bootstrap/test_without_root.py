"""Without root, the bootstrap cannot install anything: it lists everything missing at once and exits
non-zero (it used to stop at the first missing command, exit 127, without the list)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.bootstrap.checkout import clean_env, copy_checkout

PG_MAJOR = max(Path("/usr/lib/postgresql").iterdir(), key=lambda p: int(p.name)).name
NOTHING_INSTALLED = "#!/bin/sh\nexit 1\n"  # dpkg-query: no package is installed
NO_POSTGRESQL = "#!/bin/sh\nexit 2\n"  # ls /usr/lib/postgresql: no server of any version
TEST_ONLY = ["docker-compose", "chromium", "redis-server"]
APT_OFFERS_16 = "#!/bin/sh\nprintf 'postgresql:\\n  Installed: (none)\\n  Candidate: 16+257\\n'\n"  # apt-cache policy


def bootstrap_as_nobody(mode: str, fakes: dict[str, str]) -> subprocess.CompletedProcess:
    """The bootstrap run by an unprivileged user in a copy of the checkout, with `fakes` (command
    name -> script) first on its PATH to stand for a fresh machine."""
    place = Path(tempfile.mkdtemp(prefix="conectar-bootstrap-"))
    try:
        place.chmod(0o755)  # the unprivileged user reads the copy
        checkout = copy_checkout(place / "checkout")
        fake_bin = place / "bin"
        fake_bin.mkdir()
        for name, script in fakes.items():
            (fake_bin / name).write_text(script)
            (fake_bin / name).chmod(0o755)
        return subprocess.run(
            ["runuser", "-u", "nobody", "--", "scripts/bootstrap.sh", mode],  # noqa: S607
            cwd=checkout,
            env=clean_env(PATH=f"{fake_bin}:{clean_env()['PATH']}"),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        shutil.rmtree(place)


@pytest.mark.parametrize(
    ("mode", "fakes", "wanted"),
    [
        (
            "test",
            {"dpkg-query": NOTHING_INSTALLED},
            [f"postgresql-{PG_MAJOR}-postgis-3", "gdal-bin", "python3-venv", *TEST_ONLY],
        ),
        (  # no PostgreSQL at all: PostGIS's package is named after the major apt would install
            "run",
            {"dpkg-query": NOTHING_INSTALLED, "ls": NO_POSTGRESQL, "apt-cache": APT_OFFERS_16},
            ["postgresql", "postgresql-16-postgis-3", "gdal-bin", "python3-venv"],
        ),
    ],
    ids=["test-packages-missing", "run-without-postgresql"],
)
def test_without_root_everything_missing_is_listed_at_once(mode, fakes, wanted):
    done = bootstrap_as_nobody(mode, fakes)
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "cannot go on without root; missing:" in output
    assert f"(as root: apt-get install {' '.join(wanted)})" in output  # one list, one command
    assert "creating .venv" not in output
