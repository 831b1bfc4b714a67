"""Which contexts run in this process, and where the others answer (ARCHITECTURE.md § Lifting a
context).

Two kinds of process run the same code base:

- **The gateway process** (`CONECTAR_SERVICE` unset): the gateway and every context that is not
  lifted. A context is lifted by naming its service: `PAYMENTS_SERVICE_URL=http://payments:8000`.
  With no `<CTX>_SERVICE_URL` at all this is the monolith.
- **A context's service** (`CONECTAR_SERVICE=payments`): that context and the platform only. Every
  other context is remote: at its own `<CTX>_SERVICE_URL` if it has one, else at
  `GATEWAY_SERVICE_URL`, the gateway process, which answers for every context it runs.

Read from the environment by settings; the rest of the code asks `django.conf.settings`
(`CONECTAR_SERVICE`, `CONTEXTS_HERE`, `REMOTE_CONTEXTS`) or `conectar.platform.lifting`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

# Every context, in the order Django installs them (auth_ctx first: the account model).
CONTEXTS: tuple[str, ...] = ("auth_ctx", "users", "professionals", "marketplace", "payments", "notifications")


class TopologyError(ValueError):
    pass


@dataclass(frozen=True)
class Topology:
    service: str  # "" for the gateway process, else the one context this process serves
    here: tuple[str, ...]  # the contexts installed in this process
    remote: dict[str, str]  # every other context -> the base URL of the process that runs it

    @property
    def is_gateway(self) -> bool:
        return self.service == ""


def _url(environ: Mapping[str, str], name: str) -> str:
    return environ.get(name, "").strip().rstrip("/")


def topology_from(environ: Mapping[str, str]) -> Topology:
    service = environ.get("CONECTAR_SERVICE", "").strip()
    named = {ctx: _url(environ, f"{ctx.upper()}_SERVICE_URL") for ctx in CONTEXTS}
    if not service:
        remote = {ctx: url for ctx, url in named.items() if url}
        return Topology("", tuple(ctx for ctx in CONTEXTS if ctx not in remote), remote)
    if service not in CONTEXTS:
        raise TopologyError(f"CONECTAR_SERVICE={service!r} is not a context: one of {', '.join(CONTEXTS)}")
    gateway = _url(environ, "GATEWAY_SERVICE_URL")
    remote = {}
    for ctx in CONTEXTS:
        if ctx != service:
            remote[ctx] = named[ctx] or gateway
            if not remote[ctx]:
                raise TopologyError(f"the {service} service needs {ctx.upper()}_SERVICE_URL or GATEWAY_SERVICE_URL")
    return Topology(service, (service,), remote)


def development_service_keys(secret_key: str) -> list[str]:
    """`<name>:<key>` for the gateway and every context, derived from the development SECRET_KEY
    (the same in every process of one machine), so a split topology signs its calls with no setup."""
    names = ("gateway", *CONTEXTS)
    return [f"{n}:{hmac.new(secret_key.encode(), f'service:{n}'.encode(), hashlib.sha256).hexdigest()}" for n in names]
