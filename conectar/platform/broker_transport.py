"""Celery's Redis broker transport, kept alive through a lost broker connection.

kombu 5.7 closes a consumer's lost connection twice: `collect()` first (which detaches the
transport from its connection, `transport.client = None`, even when closing the channel failed
half-way on the dead socket), then `close()`. The second close restores the still unacknowledged
messages (every task is acks_late here) through a new connection pool built from
`transport.client` — None by then — and the AttributeError it raises is not a connection error,
so Celery takes it as unrecoverable and the worker ends instead of reconnecting.

Here a pool asked for after the detach fails as a connection error, which the teardown expects and
passes over: the worker reconnects. The messages it held stay in the broker's unacked set, given
back after the visibility timeout; the event bus does not wait for that (a delivery not confirmed
within its lease is sent again, and the handler's processed-events record makes it run once).
"""

from __future__ import annotations

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _get_pool(self, asynchronous=False):
        if self.connection.client is None:
            raise redis.exceptions.ConnectionError("the broker connection was already closed")
        return super()._get_pool(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
