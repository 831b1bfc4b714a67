"""Failed-login lockout: 5 failures for one e-mail (from any IP) or 20 from one IP within 15 min.

An attempt is counted *before* the password is checked, so concurrent guesses cannot slip past
the limit together; a success clears the e-mail's count and gives the IP its attempt back. The
lock holds until the window opened by the first counted attempt closes. Counters are the
platform's window counters (one Redis round trip per login); e-mails are hashed in the keys.
"""

from __future__ import annotations

import hashlib

from conectar.platform.counters import window_counter
from conectar.shared.errors import RateLimited

WINDOW_SECONDS = 15 * 60
EMAIL_LIMIT = 5
IP_LIMIT = 20


class LoginAttempt:
    """`with LoginAttempt(email, ip) as attempt:` … `attempt.succeeded()` once the password is right."""

    def __init__(self, email: str, ip: str | None):
        self.email_key = "auth:lockout:email:" + hashlib.sha256(email.encode()).hexdigest()
        self.ip_key = f"auth:lockout:ip:{ip}" if ip else None
        self._ok = False

    def __enter__(self) -> LoginAttempt:
        keys, limits = [self.email_key], [EMAIL_LIMIT]
        if self.ip_key:
            keys.append(self.ip_key)
            limits.append(IP_LIMIT)
        hits = window_counter().hit(keys, window=WINDOW_SECONDS)
        over = [hit for hit, limit in zip(hits, limits, strict=True) if hit.count > limit]
        if over:
            raise RateLimited(
                "Demasiados intentos fallidos. Probá de nuevo más tarde.",
                retry_after=max(hit.retry_after for hit in over),
                code="login_locked",
            )
        return self

    def succeeded(self) -> None:
        self._ok = True

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._ok:
            window_counter().release(forget=[self.email_key], give_back=[self.ip_key] if self.ip_key else [])
