"""Firing the same action from several threads at the same instant (double clicks, duplicates)."""

import threading

from django.db import connections


def run_concurrently(action, times: int) -> list:
    """Run `action()` in `times` threads released together; returns their results (or exceptions)."""
    barrier = threading.Barrier(times)
    results: list = []
    lock = threading.Lock()

    def worker():
        barrier.wait()
        try:
            outcome = action()
        except Exception as exc:  # noqa: BLE001 - handed back to the test, which asserts on it
            outcome = exc
        finally:
            connections.close_all()  # each thread has its own connections
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
