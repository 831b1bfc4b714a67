"""The production image's glibc malloc settings hand each login's Argon2id block back after the hash.

Under glibc's defaults the block's first free raises the mmap threshold, and the heap then keeps it
(and as much again) for the rest of the worker's life; docker/Dockerfile's GLIBC_TUNABLES map it for
each hash instead. Both are run here in a real process with the project's hasher parameters.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MIB = 1024 * 1024

HASH_THREE_TIMES = """
import argon2
from conectar.auth_ctx.hashers import OwaspArgon2idPasswordHasher as Project

def rss():
    status = open("/proc/self/status").read()
    return int(status.split("VmRSS:")[1].split()[0]) * 1024

hasher = argon2.PasswordHasher(
    time_cost=Project.time_cost, memory_cost=Project.memory_cost, parallelism=Project.parallelism
)
before = rss()
for _ in range(3):
    hasher.verify(hasher.hash("una clave de prueba"), "una clave de prueba")
print(rss() - before)
"""


def image_environment() -> dict[str, str]:
    text = "\n".join(
        line for line in (ROOT / "docker/Dockerfile").read_text().splitlines() if not line.lstrip().startswith("#")
    )
    return dict(re.findall(r"\b(MALLOC_[A-Z_]+|GLIBC_TUNABLES)=([\w.:=]+)", text))


def growth_after_hashing(malloc: dict[str, str]) -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "GLIBC_TUNABLES"}
    out = subprocess.run(
        [sys.executable, "-c", HASH_THREE_TIMES],
        env={**env, **malloc, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return int(out.stdout.strip())


def test_the_image_sets_the_malloc_tunables():
    assert "GLIBC_TUNABLES" in image_environment()
    assert "glibc.malloc.mmap_threshold" in image_environment()["GLIBC_TUNABLES"]


def test_with_the_image_settings_a_worker_keeps_no_argon2_block_after_hashing():
    memory_cost = 19 * MIB
    kept_by_default = growth_after_hashing({"MALLOC_ARENA_MAX": "1"})
    kept_in_the_image = growth_after_hashing(image_environment())

    assert kept_by_default >= memory_cost * 3 // 4, "glibc's defaults should keep the block (the control)"
    assert kept_in_the_image < memory_cost // 4
