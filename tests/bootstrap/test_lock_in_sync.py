"""The lock check of `make lint` (lint/lock_in_sync.py): green on the repository, red as soon as
pyproject.toml and requirements/ disagree, with the command that fixes it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from packaging.requirements import Requirement

from lint import lock_in_sync

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = ROOT / "pyproject.toml"
LOCK_DIR = ROOT / "requirements"


def check(pyproject: Path = PYPROJECT, lock_dir: Path = LOCK_DIR) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lint.lock_in_sync", "--pyproject", str(pyproject), "--lock-dir", str(lock_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def edited_pyproject(tmp_path: Path, old: str, new: str) -> Path:
    text = PYPROJECT.read_text()
    assert text.count(old) == 1
    edited = tmp_path / "pyproject.toml"
    edited.write_text(text.replace(old, new))
    return edited


def edited_lock(tmp_path: Path, name: str, pattern: str, replacement: str) -> Path:
    lock_dir = tmp_path / "requirements"
    shutil.copytree(LOCK_DIR, lock_dir)
    text = (lock_dir / name).read_text()
    edited, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    assert count == 1
    (lock_dir / name).write_text(edited)
    return lock_dir


def test_the_repository_lock_agrees_with_pyproject():
    result = check()
    assert result.returncode == 0, result.stderr
    assert "agrees" in result.stdout


def test_a_bumped_range_the_lock_does_not_satisfy_fails_with_the_command_to_run(tmp_path):
    pyproject = edited_pyproject(tmp_path, '"Django>=5.2,<5.3"', '"Django>=5.3,<5.4"')
    result = check(pyproject)
    assert result.returncode == 1
    for lock in ("base.txt", "dev.txt"):
        assert re.search(rf"{lock}: Django<5.4,>=5.3: locked at 5\.2\.\d+", result.stderr), result.stderr
    assert "run scripts/lock.sh" in result.stderr


def test_a_new_requirement_the_lock_lacks_fails(tmp_path):
    pyproject = edited_pyproject(tmp_path, '  "Django>=5.2,<5.3",\n', '  "Django>=5.2,<5.3",\n  "left-pad>=1",\n')
    result = check(pyproject)
    assert result.returncode == 1
    assert "left-pad>=1: 0 pins of left-pad on x86_64 Python 3.11" in result.stderr


def test_a_changed_range_the_old_pins_still_satisfy_fails_on_the_stamp(tmp_path):
    """Widening a range keeps every pin valid, yet the lock was not made from these requirements."""
    pyproject = edited_pyproject(tmp_path, '"redis[hiredis]>=5,<9"', '"redis[hiredis]>=5,<10"')
    result = check(pyproject)
    assert result.returncode == 1
    assert "its stamp differs" in result.stderr
    assert "locked at" not in result.stderr


def test_a_lock_edited_by_hand_fails_even_with_its_stamp(tmp_path):
    lock_dir = edited_lock(tmp_path, "dev.txt", r"^django==5\.2\.\d+", "django==5.1.0")
    result = check(lock_dir=lock_dir)
    assert result.returncode == 1
    assert "dev.txt: Django<5.3,>=5.2: locked at 5.1.0" in result.stderr
    assert "base.txt" not in result.stderr


def test_a_pin_without_the_extras_asked_for_fails(tmp_path):
    lock_dir = edited_lock(tmp_path, "base.txt", r"^celery\[redis\]==", "celery==")
    result = check(lock_dir=lock_dir)
    assert result.returncode == 1
    assert "base.txt: celery[redis]<6,>=5.4: the lock has celery without the extras [redis]" in result.stderr


def test_a_pin_without_hashes_fails(tmp_path):
    """pip install --require-hashes would refuse the whole file."""
    lock_dir = edited_lock(tmp_path, "dev.txt", r"^(pytest==\S+) \\\n(?:    --hash=\S+ \\\n)*    --hash=\S+", r"\1")
    result = check(lock_dir=lock_dir)
    assert result.returncode == 1
    assert "dev.txt: pytest has no --hash=sha256: line" in result.stderr


def test_markers_decide_which_pins_count_on_the_platforms_deployed_to():
    _, pins, problems = lock_in_sync.read_lock((LOCK_DIR / "dev.txt").read_text())
    assert problems == []
    # colorama is locked for Windows only: a requirement for it on Linux is not met …
    assert lock_in_sync.unmet([Requirement("colorama>=0.4")], pins) == [
        "colorama>=0.4: 0 pins of colorama on x86_64 Python 3.11"
    ]
    # … one for Windows only is no concern of a Linux deployment.
    assert lock_in_sync.unmet([Requirement("colorama>=0.4; sys_platform == 'win32'")], pins) == []
    # redis needs async-timeout below Python 3.11.3 only: Debian 12 (3.11.2) gets it, Ubuntu 24.04 not.
    assert lock_in_sync.unmet([Requirement("async-timeout; python_full_version < '3.11.3'")], pins) == []
    assert lock_in_sync.unmet([Requirement("async-timeout")], pins) == [
        "async-timeout: 0 pins of async-timeout on x86_64 Python 3.12"
    ]


def test_the_stamp_ignores_spelling_and_order():
    a = [Requirement("Django>=5.2,<5.3"), Requirement("celery[redis]>=5.4,<6")]
    b = [Requirement("celery [redis] <6, >=5.4"), Requirement("django<5.3,>=5.2")]
    assert lock_in_sync.fingerprint(a) == lock_in_sync.fingerprint(b)
    assert lock_in_sync.fingerprint(a) != lock_in_sync.fingerprint([*a, Requirement("redis>=5")])
