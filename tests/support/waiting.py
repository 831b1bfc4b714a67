"""Waiting for an asynchronous outcome without fixed sleeps: poll until true or fail loudly."""

import time


def wait_until(predicate, *, timeout: float = 60.0, interval: float = 0.05, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)
