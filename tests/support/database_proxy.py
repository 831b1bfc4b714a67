"""A context's database reached only through a TCP proxy (tests/support/tcp_proxy.py) that the test
can cut: an outage of that one database for this process, on real sockets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connections

from tests.support.tcp_proxy import TcpProxy


def _point(alias: str, host, port) -> None:
    connection = connections[alias]
    connection.close()
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = host, port


@contextlib.contextmanager
def behind_a_proxy(alias: str) -> Iterator[TcpProxy]:
    settings_dict = connections[alias].settings_dict
    original = (settings_dict["HOST"], settings_dict["PORT"])
    proxy = TcpProxy(original[0] or "127.0.0.1", int(original[1] or 5432))
    proxy.start()
    _point(alias, "127.0.0.1", proxy.port)
    try:
        yield proxy
    finally:
        if not proxy.running:
            proxy.start()
        _point(alias, *original)
        proxy.stop()
