"""Local ports for the processes and servers tests start."""

import socket


def unused_port() -> int:
    """A port nobody listens on right now (bound and released): for a server to take, or for a
    client to find refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
