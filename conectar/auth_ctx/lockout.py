"""Failed-login lockout: 5 failures for one e-mail (from any IP) or 20 from one IP within 15 min.

Counters live in the cache (Redis in every real deployment: atomic INCR with a TTL, shared by all
processes). An attempt is counted *before* the password is checked, so concurrent guesses cannot
slip past the limit together; a success gives its attempt back (IP) or clears the count (e-mail).
The lock holds until the window that started with the first failure passes.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache

from conectar.shared.errors import RateLimited

WINDOW_SECONDS = 15 * 60
EMAIL_LIMIT = 5
IP_LIMIT = 20


@dataclass(frozen=True)
class _Counter:
    key: str
    limit: int

    @property
    def until_key(self) -> str:
        return self.key + ":until"

    def take(self) -> int:
        now = time.time()
        cache.add(self.until_key, now + WINDOW_SECONDS, timeout=WINDOW_SECONDS)
        cache.add(self.key, 0, timeout=WINDOW_SECONDS)
        try:
            return cache.incr(self.key)
        except ValueError:  # expired between add and incr: a new window starts with this attempt
            cache.set(self.until_key, now + WINDOW_SECONDS, timeout=WINDOW_SECONDS)
            cache.set(self.key, 1, timeout=WINDOW_SECONDS)
            return 1

    def give_back(self) -> None:
        with contextlib.suppress(ValueError):  # the window already expired: nothing to give back
            cache.decr(self.key)

    def clear(self) -> None:
        cache.delete_many([self.key, self.until_key])

    def retry_after(self) -> int:
        until = cache.get(self.until_key) or (time.time() + WINDOW_SECONDS)
        return max(1, int(until - time.time()) + 1)


def _counters(email: str, ip: str | None) -> tuple[_Counter, _Counter | None]:
    # Hashed so raw e-mail addresses never sit in the cache.
    email_key = "auth:lockout:email:" + hashlib.sha256(email.encode()).hexdigest()
    ip_counter = _Counter("auth:lockout:ip:" + ip, IP_LIMIT) if ip else None
    return _Counter(email_key, EMAIL_LIMIT), ip_counter


class LoginAttempt:
    """`with LoginAttempt(email, ip) as attempt:` … `attempt.succeeded()` once the password is right."""

    def __init__(self, email: str, ip: str | None):
        self.email_counter, self.ip_counter = _counters(email, ip)
        self._ok = False

    def __enter__(self) -> LoginAttempt:
        for counter in filter(None, (self.email_counter, self.ip_counter)):
            if counter.take() > counter.limit:
                raise RateLimited(
                    "Demasiados intentos fallidos. Probá de nuevo más tarde.",
                    retry_after=counter.retry_after(),
                    code="login_locked",
                )
        return self

    def succeeded(self) -> None:
        self._ok = True

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._ok:
            self.email_counter.clear()
            if self.ip_counter:
                self.ip_counter.give_back()
