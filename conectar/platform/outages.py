"""What counts as a backing service out of reach — Redis (cache, token denylist, lockout counters,
presence) or PostgreSQL refusing or dropping connections: an outage, not a fault of the request.
HTTP answers it with 503 and Retry-After (http_errors); the chat socket with close code 4503 or an
error frame. Clients come back later instead of reading a bug."""

from __future__ import annotations

import redis
from django.db import OperationalError

BACKING_SERVICE_DOWN = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OperationalError)
RETRY_AFTER_SECONDS = 5
