"""The route-ownership table (gateway/route_owners.py) against what the monolith really mounts:
every route under /api/v1 — DRF and Django views from the URL resolver, and every operation of
every Ninja API mounted there — must be owned by exactly the context whose module defines its view
(none for the gateway's own routes and development tooling), and no entry of the table may be
stale. So a lifted context's gateway proxies exactly that context's routes."""

from __future__ import annotations

import re
import uuid

from django.urls import URLPattern, URLResolver, get_resolver
from ninja.operation import PathView

from conectar.gateway.api import api
from conectar.gateway.route_owners import ROUTE_OWNERS, matches
from conectar.platform.topology import CONTEXTS

API_PREFIX = "api/v1/"
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>|\{(?:(\w+):)?(\w+)\}")  # Django's <conv:name>, Ninja's {conv:name}


def _sample(route: str) -> str:
    """A concrete path the route answers: every parameter filled with a value its converter takes."""

    def value(match: re.Match) -> str:
        converter = match.group(1) or match.group(3) or "str"
        return "7" if converter == "int" else str(uuid.uuid4())

    return _PARAM.sub(value, route)


def _context_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "conectar" and parts[1] in CONTEXTS else None


def _view_module(callback) -> str:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    return (view_class or callback).__module__


def _path_view(callback) -> PathView | None:
    """The Ninja PathView behind one of its URL patterns (Ninja keeps it in the view's closure)."""
    for cell in getattr(callback, "__closure__", None) or ():
        if isinstance(cell.cell_contents, PathView):
            return cell.cell_contents
    return None


def mounted_routes() -> list[tuple[str, tuple[str, ...], str]]:
    """(route relative to /api/v1/, methods, module of the view) for everything conectar.urls mounts there."""
    found = []

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith(API_PREFIX):
                relative = route.removeprefix(API_PREFIX)
                path_view = _path_view(pattern.callback)
                if path_view is None:
                    found.append((relative, ("*",), _view_module(pattern.callback)))
                else:
                    found.extend((relative, tuple(op.methods), op.view_func.__module__) for op in path_view.operations)

    walk(get_resolver("conectar.urls").url_patterns, "")
    return found


def test_the_walk_sees_every_ninja_operation_of_the_gateway_api():
    walked = {(route, methods) for route, methods, _ in mounted_routes()}
    for bound in api._get_bound_routers():
        for ninja_path, path_view in bound.path_operations.items():
            route = re.sub(r"\{([\w:]+)\}", r"<\1>", ninja_path.lstrip("/"))  # Ninja's own rewrite
            for operation in path_view.operations:
                assert (route, tuple(operation.methods)) in walked, (ninja_path, operation.methods)


def test_every_route_is_owned_by_exactly_the_context_whose_module_defines_it():
    routes = mounted_routes()
    assert len(routes) > 100, "the walk found the API"
    wrong = []
    used = set()
    for route, methods, module in routes:
        owners = matches(_sample(route))
        used.update(owners)
        expected = _context_of(module)
        if [context for context, _ in owners] != ([expected] if expected else []):
            wrong.append(f"{'/'.join(methods)} {route} (defined in {module}): table says {owners or 'nobody'}")
    assert not wrong, "route_owners.py has drifted from the routes:\n" + "\n".join(wrong)

    stale = [(context, t) for context, templates in ROUTE_OWNERS.items() for t in templates if (context, t) not in used]
    assert not stale, f"entries no mounted route answers: {stale}"


def test_ownership_is_not_by_prefix():
    assert matches("payment/create") == [("marketplace", "payment/create")]
    assert matches("payment/webhook/mercadopago") == [("payments", "payment/webhook/mercadopago")]
    assert matches("professional/ofertas") == [("marketplace", "professional/ofertas")]
    assert matches("professional/kyc") == [("professionals", "professional/kyc")]
    assert matches("admin/metrics/users") == [], "the gateway's own staff composition"
    assert matches("session") == []
