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


def run_together(*actions) -> list:
    """Run each action in a thread of its own, all released at the same instant (two different
    decisions racing); returns their results (or exceptions) in the order of `actions`."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def worker(index: int, action) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except Exception as exc:  # noqa: BLE001 - handed back to the test, which asserts on it
            results[index] = exc
        finally:
            connections.close_all()  # each thread has its own connections

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results
