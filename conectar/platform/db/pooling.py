"""A pooled connection is checked before use without a round trip.

With CONN_HEALTH_CHECKS, Django has psycopg_pool run `ConnectionPool.check_connection` on every
checkout: an empty query, one more round trip on every request (a quarter of the search route's
Python time in its profile). An idle connection has nothing to read unless the server closed it (a
restart, pg_terminate_backend, a failover, a cut proxy): then its socket is readable, holding the
error message or EOF. Such a connection is closed — which marks it broken — and handed back, so the
pool discards it and the request gets another. A server that vanished without a word is found by
the request's query itself, as it would be mid-request anyway.
"""

from __future__ import annotations

import select


def closed_by_server(connection) -> bool:
    if connection.closed:
        return True
    poller = select.poll()  # not select.select: a busy daphne's descriptors pass FD_SETSIZE (1024)
    poller.register(connection.fileno(), select.POLLIN)
    return bool(poller.poll(0))


class IdleCheckedPool:
    """Mixed into a PostgreSQL DatabaseWrapper: a pooled connection the server closed is replaced."""

    def get_new_connection(self, conn_params):
        # Bounded: after a restart every idle connection is dead, but the pool holds at most max_size
        # of them; past that, the query on what we got says what is wrong.
        for _ in range(self.pool.max_size + 1 if self.pool is not None else 0):
            connection = super().get_new_connection(conn_params)
            if not closed_by_server(connection):
                return connection
            connection.close()
            self.pool.putconn(connection)  # broken: the pool drops it and opens a replacement
        return super().get_new_connection(conn_params)
