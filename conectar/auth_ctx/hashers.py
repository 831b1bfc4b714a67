"""Argon2id with OWASP's minimum parameters (19 MiB, 2 passes, 1 lane): ~20 ms a hash here, where
Django's default (argon2 at 100 MiB or PBKDF2 at 1M rounds) costs ~360 ms and caps logins near 5/s
on two cores. Hashes made with other parameters are upgraded on the next successful login.

Every hash of a process runs on one thread of its own, one at a time. A threaded web worker
otherwise hashes on as many threads as it has requests: 4 hashes of 19 MiB at once on 2 cores
thrash the CPU caches (~25 % more CPU per hash, bench/login.py), and glibc keeps each thread's
19 MiB block in that thread's malloc arena afterwards (+19 MiB of RSS per thread that ever hashed,
bench/memory.py). One thread reuses one warm block; the server runs a worker per core, so the
cores stay busy. The parameters, and what is hashed when, are unchanged.

While it waits for the hash, the request hands its pooled database connections back: with one
connection per alias and process (DB_POOL_SIZE), a login holding it through the hash (authenticate's
SELECT, then the hash, then the login's writes) kept every other request of its worker waiting.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import Argon2PasswordHasher

from conectar.platform.databases import release_idle_connections


class _HashingThread:
    """One thread per process that runs every hash, made on first use (so after a fork)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def run(self, function, *args):
        # Tens of ms: the pooled connections serve other requests meanwhile (the next query takes one
        # again; inside a transaction they stay).
        release_idle_connections()
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash")
            executor = self._executor
        return executor.submit(function, *args).result()

    def forget(self) -> None:
        """In a forked child: the parent's thread does not exist there, its lock may be held."""
        self._lock, self._executor = threading.Lock(), None


_hashing = _HashingThread()
os.register_at_fork(after_in_child=_hashing.forget)


class OwaspArgon2idPasswordHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def encode(self, password, salt):
        return _hashing.run(super().encode, password, salt)

    def verify(self, password, encoded):
        return _hashing.run(super().verify, password, encoded)
