"""Finding professionals whose own coverage circle contains the client's point (DOMAIN.md § Search).

Three query shapes over SearchEntry (one row per matchable professional and oficio):
- nearest first with a window: `ORDER BY location <-> point LIMIT 200` on the (location,
  oficio) GiST index, then keep the rows whose radius covers the point. Exact whenever the window
  yields a full page: every covering professional outside the window is farther than all inside it.
  Used for the first page ordered by distance.
- best rated first with a window: the same idea along the (oficio, -rating, professional) btree,
  from the cursor on, as an index-only scan. Used for every page ordered by rating.
- coverage box: `oficio = $1 AND coverage && point AND ST_DWithin(location, point, radius)`, both
  conditions indexed by the (oficio, coverage) GiST index. Serves every order, every page (keyset
  cursor), and the windows' fallback.
Distances are on the sphere (what `<->` computes), so both shapes order identically; the coverage
rule itself (ST_DWithin on geography) is exact on the spheroid. Parameter types match the columns
(uuid, float8) so the index conditions stay index conditions.

Two more shapes serve the v1 frontend's pages (V1-CONTRACT § 4.2): `browse` when no point is given
(matchable professionals by rating, then level; no distance), and `incluir_fuera_de_radio` — with a
point, every professional of the oficio nearest first (within `radio_km` if given), whether or not
their own coverage reaches the point.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

import orjson
import psycopg
from django.db import connections

from conectar.platform.databases import alias_for
from conectar.professionals.gamification import RANK
from conectar.professionals.models import ANY_OFICIO, SearchEntry
from conectar.professionals.selectors.catalogue import named_oficios
from conectar.shared.errors import InvalidInput

DB = alias_for("professionals")
# Nearest-first windows tried in turn (any filled window is exact). The page is taken as the window
# streams in distance order, so a wide window costs only where it does not fill the page: at 1M
# professionals a 60-row window already fills it for 99.4 % of queries.
WINDOWS = (200,)
# Best-rated-first window: rows walked in rating order before the coverage query takes over. At 1M,
# 3,000 fill the page for 99 % of points (300: 36 %); the walk stops as soon as the page is full.
RATING_WINDOW = 3000
ORDERS = ("distancia", "rating", "nivel", "tarifa")
_TABLE = SearchEntry._meta.db_table
_SERVICIOS_TABLE = "professionals_professional_servicios"
_NO_TARIFA = 1e15  # sorts professionals without a rate after every rate

_POINT = "ST_SetSRID(ST_MakePoint(%(lng)s::float8, %(lat)s::float8), 4326)"
# On the sphere: what the nearest-first index orders by, so both shapes order (and page) identically.
_DISTANCE = f"(e.location <-> {_POINT}::geography)"
_SORT_KEY = {
    "distancia": _DISTANCE,
    "rating": "(-e.rating)::float8",
    "nivel": "(-e.nivel_rank)::float8",
    "tarifa": f"COALESCE(e.tarifa::float8, {_NO_TARIFA})",
}
# Without a point: ratings have two decimals, so rating·1000 + level rank orders by rating, then level.
BROWSE_ORDERS = ("relevancia", "rating", "nivel", "tarifa")
_BROWSE_SORT_KEY = {
    "relevancia": "(-(e.rating * 1000 + e.nivel_rank))::float8",
    "rating": _SORT_KEY["rating"],
    "nivel": _SORT_KEY["nivel"],
    "tarifa": _SORT_KEY["tarifa"],
}


@dataclass(frozen=True, kw_only=True)
class Filters:
    """What narrows a search, with or without a point, and the page asked for."""

    oficio_id: UUID | None = None
    servicio_id: UUID | None = None
    nivel: str | None = None
    acepta_instant: bool | None = None
    rating_min: Decimal | None = None
    tarifa_max: Decimal | None = None
    q: str | None = None
    limit: int = 20
    cursor: str | None = None


@dataclass(frozen=True, kw_only=True)
class SearchQuery(Filters):
    lat: float
    lng: float
    radio_km: float | None = None
    orden: str = "distancia"
    fuera_de_radio: bool = False  # the frontend's incluir_fuera_de_radio: ignore the coverage rule


@dataclass(frozen=True, kw_only=True)
class BrowseQuery(Filters):
    """A search without a point: the same filters but distance."""

    orden: str = "relevancia"
    radio_km: None = None  # no point, no radius (the filters read it)


@dataclass(frozen=True)
class Hit:
    professional_id: UUID
    distance_m: float | None  # None when searched without a point
    row: dict | None = None  # the professional's result columns, when asked for (`search(with_rows=True)`)


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    next_cursor: str | None
    strategy: str  # "window" or "coverage": which query shape answered (for plans and benches)


# --- cursors ------------------------------------------------------------------------------------


def encode_cursor(orden: str, key: float, professional_id: UUID) -> str:
    # orjson: json.dumps with separators builds an encoder per call, ~2 % of a search request.
    raw = orjson.dumps({"o": orden, "k": key, "id": str(professional_id)})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, orden: str) -> tuple[float, UUID]:
    invalid = InvalidInput(fields={"cursor": ["Cursor inválido: pedí la primera página de nuevo."]})
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        key, professional_id, made_for = float(data["k"]), UUID(data["id"]), data["o"]
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise invalid from exc
    if made_for != orden or math.isnan(key):
        raise invalid
    return key, professional_id


# --- SQL ----------------------------------------------------------------------------------------


def _filters(query: SearchQuery | BrowseQuery, params: dict) -> list[str]:
    """Conditions beyond the coverage rule, each on SearchEntry's own columns."""
    where = []
    if query.radio_km is not None:
        where.append(f"ST_DWithin(e.location, {_POINT}::geography, %(radius_m)s::float8)")
        params["radius_m"] = query.radio_km * 1000
    if query.nivel is not None:
        where.append("e.nivel_rank = %(nivel_rank)s::smallint")
        params["nivel_rank"] = RANK[query.nivel]
    if query.acepta_instant is not None:
        where.append("e.acepta_instant = %(acepta_instant)s::boolean")
        params["acepta_instant"] = query.acepta_instant
    if query.rating_min is not None:
        where.append("e.rating >= %(rating_min)s::numeric")
        params["rating_min"] = query.rating_min
    if query.tarifa_max is not None:
        where.append("e.tarifa <= %(tarifa_max)s::numeric")
        params["tarifa_max"] = query.tarifa_max
    if query.q:
        escaped = query.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("e.search_text LIKE %(q)s")
        params["q"] = f"%{escaped}%"
    if query.servicio_id is not None:
        where.append(
            f"EXISTS (SELECT 1 FROM {_SERVICIOS_TABLE} ps WHERE ps.professional_id = e.professional_id"  # noqa: S608
            " AND ps.servicioinstant_id = %(servicio_id)s::uuid)"
        )
        params["servicio_id"] = query.servicio_id
    return where


def _params(query: SearchQuery) -> dict:
    return {"lat": query.lat, "lng": query.lng, "oficio": query.oficio_id or ANY_OFICIO}


def _covers(row: str) -> str:
    """The coverage rule (ST_DWithin on the spheroid, ~8 µs a row) decided from the sphere distance
    `row` carries anyway (what `<->` measures) whenever that is clear: the two differ by under 0.6 %
    anywhere, so only a row within 1 % of its own radius pays for the exact test."""
    return (
        f"CASE WHEN {row}.distance <= {row}.radio_m * 0.99::float8 THEN true"
        f" WHEN {row}.distance > {row}.radio_m * 1.01::float8 THEN false"
        f" ELSE ST_DWithin({row}.location, {_POINT}::geography, {row}.radio_m) END"
    )


def window_sql(query: SearchQuery, params: dict, *, window: int = WINDOWS[-1]) -> str:
    extra = "".join(f" AND {c}" for c in _filters(query, params))
    params["window"] = window
    params["page"] = query.limit + 1
    # Only module constants are interpolated; every value is a bound parameter.
    return f"""
        SELECT e.professional_id, e.distance, e.distance AS sort_key FROM (
            SELECT e.*, {_DISTANCE} AS distance
            FROM {_TABLE} e
            WHERE e.oficio_id = %(oficio)s::uuid
            ORDER BY {_DISTANCE}
            LIMIT %(window)s
        ) e
        WHERE {_covers("e")}{extra}
        ORDER BY e.distance, e.professional_id
        LIMIT %(page)s
    """  # noqa: S608


# What the rating window reads when no filter asks for more: all of it in the `search_oficio_rating`
# index, so the walk is an index-only scan.
_RATING_COLUMNS = "e.professional_id, e.location, e.radio_m, e.rating"


def rating_window_sql(query: SearchQuery, params: dict, *, window: int = RATING_WINDOW) -> str:
    """Best rated first: the oficio's first `window` rows in (rating desc, professional id) order,
    from the cursor on, walked on the `search_oficio_rating` index, then kept if they cover the
    point. Exact whenever it yields a full page, like the distance window: every covering row past
    the window comes later in the order. The outer order is the index's own (`walk_key`, the same
    order as the cursor's float key), so no sort: the walk stops at the page's last row, and the
    window only bounds how far it goes where few professionals cover the point."""
    filters = _filters(query, params)
    extra = "".join(f" AND {c}" for c in filters)
    params["window"] = window
    params["page"] = query.limit + 1
    keyset = ""
    if query.cursor:
        params["cursor_key"], params["cursor_id"] = decode_cursor(query.cursor, query.orden)
        # The cursor's key is -rating as a float8: exact for two decimals, so as numeric it is the
        # same value, and the row comparison is an index condition.
        keyset = " AND (e.rating * -1, e.professional_id) > (%(cursor_key)s::numeric, %(cursor_id)s::uuid)"
    columns = "e.*" if filters else _RATING_COLUMNS
    # Only module constants are interpolated; every value is a bound parameter.
    return f"""
        SELECT e.professional_id, e.distance, e.sort_key FROM (
            SELECT {columns}, {_DISTANCE} AS distance, {_SORT_KEY["rating"]} AS sort_key,
                   e.rating * -1 AS walk_key
            FROM {_TABLE} e
            WHERE e.oficio_id = %(oficio)s::uuid{keyset}
            ORDER BY e.rating * -1, e.professional_id
            LIMIT %(window)s
        ) e
        WHERE {_covers("e")}{extra}
        ORDER BY e.walk_key, e.professional_id
        LIMIT %(page)s
    """  # noqa: S608


def coverage_sql(query: SearchQuery, params: dict) -> str:
    coverage = [] if query.fuera_de_radio else [f"e.coverage && {_POINT}"]
    conditions = ["e.oficio_id = %(oficio)s::uuid", *coverage, *_filters(query, params)]
    after = [c for c in ([] if query.fuera_de_radio else [_covers("s")]) + [_page(query, params)] if c]
    # Only module constants are interpolated; every value is a bound parameter.
    return f"""
        SELECT s.professional_id, s.distance, s.sort_key FROM (
            SELECT e.professional_id, e.location, e.radio_m, {_DISTANCE} AS distance,
                   {_SORT_KEY[query.orden]} AS sort_key
            FROM {_TABLE} e
            WHERE {" AND ".join(conditions)}
        ) s
        {"WHERE " + " AND ".join(after) if after else ""}
        ORDER BY s.sort_key, s.professional_id
        LIMIT %(page)s
    """  # noqa: S608


def attempts(query: SearchQuery) -> Iterator[tuple[str, str, dict]]:
    """The statements that answer `query`, cheapest first, as (strategy, sql, params): each but the
    last answers only if it fills the page; the last (the coverage query) is always exact."""
    if not query.fuera_de_radio and query.orden == "distancia" and not query.cursor:
        for window in WINDOWS:
            params = _params(query)
            yield "window", window_sql(query, params, window=window), params
    if not query.fuera_de_radio and query.orden == "rating":
        params = _params(query)
        yield "rating window", rating_window_sql(query, params), params
    params = _params(query)
    yield "coverage", coverage_sql(query, params), params


def _run(sql: str, params) -> list[tuple]:
    """Through Django's connection (its pool, error wrapping, query metrics) but bound on the server:
    psycopg prepares a statement it has run five times on a connection, so the hot shapes skip
    parsing and planning (Django's own cursor binds on the client, which can never prepare)."""
    connection = connections[DB]
    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    cursor = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def search(query: SearchQuery, *, with_rows: bool = False) -> SearchPage:
    """The page `query` asks for. `with_rows`: each hit also carries its professional's result
    columns (`result_rows`' dicts), read in the same statement as the page."""
    for strategy, sql, params in attempts(query):
        rows = _run(hydrated(sql) if with_rows else sql, params)
        if len(rows) > query.limit or strategy == "coverage":
            break  # a window that does not fill a page cannot tell: the next shape can
    page = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit:
        last_id, _, last_key = page[-1][:3]
        next_cursor = encode_cursor(query.orden, float(last_key), last_id)
    hits = [Hit(row[0], float(row[1]), _result(row[3:]) if with_rows else None) for row in page]
    return SearchPage(hits, next_cursor, strategy)


def _page(query, params: dict) -> str:
    """The page's bound parameters (one row more than the limit says whether another page follows),
    and the keyset condition that starts it after the cursor's row ("" on the first page)."""
    params["page"] = query.limit + 1
    if not query.cursor:
        return ""
    params["cursor_key"], params["cursor_id"] = decode_cursor(query.cursor, query.orden)
    return "(s.sort_key, s.professional_id) > (%(cursor_key)s::float8, %(cursor_id)s::uuid)"


def browse_sql(query: BrowseQuery, params: dict) -> str:
    conditions = ["e.oficio_id = %(oficio)s::uuid", *_filters(query, params)]
    keyset = _page(query, params)
    keyset = f"WHERE {keyset}" if keyset else ""
    # Only module constants are interpolated; every value is a bound parameter.
    return f"""
        SELECT s.professional_id, s.sort_key FROM (
            SELECT e.professional_id, {_BROWSE_SORT_KEY[query.orden]} AS sort_key
            FROM {_TABLE} e
            WHERE {" AND ".join(conditions)}
        ) s
        {keyset}
        ORDER BY s.sort_key, s.professional_id
        LIMIT %(page)s
    """  # noqa: S608


def browse(query: BrowseQuery) -> SearchPage:
    """Matchable professionals without a point (the v1 frontend's pages before one is picked),
    best first by `orden`, keyset-paged like `search`; hits carry no distance."""
    params = {"oficio": query.oficio_id or ANY_OFICIO}
    rows = _run(browse_sql(query, params), params)
    page = rows[: query.limit]
    next_cursor = None
    if len(rows) > query.limit:
        last_id, last_key = page[-1]
        next_cursor = encode_cursor(query.orden, float(last_key), last_id)
    return SearchPage([Hit(pid, None) for pid, _ in page], next_cursor, "browse")


# Ids as text: the answer prints them, and UUID objects cost Python CPU to build, hash and print.
_RESULT_COLUMNS = """
    p.id::text, p.usuario_id::text, p.nombre, p.apellido, p.avatar_url, p.nivel, p.rating_promedio,
    p.total_resenas, p.tarifa_por_hora, p.acepta_instant, p.radio_cobertura_km,
    p.estado_verificacion, p.tasa_comision_actual, p.puntos_experiencia,
    ARRAY(SELECT po.oficio_id::text FROM professionals_professional_oficios po WHERE po.professional_id = p.id)
"""
_RESULTS_SQL = f"SELECT {_RESULT_COLUMNS} FROM professionals_professional p WHERE p.id = ANY(%s::uuid[])"  # noqa: S608
_RESULT_FIELDS = (
    "id", "usuario_id", "nombre", "apellido", "avatar_url", "nivel", "rating_promedio",
    "total_resenas", "tarifa_por_hora", "acepta_instant", "radio_cobertura_km",
    "estado_verificacion", "tasa_comision_actual", "puntos_experiencia", "oficios",
)  # fmt: skip


def result_rows(professional_ids: list[UUID]) -> dict[str, dict]:
    """The page's professionals as plain dicts, oficios included, in one query, by id as text: building
    ORM objects for a page was most of the route's CPU (measured ~7 ms of ~10 ms per request at 1M)."""
    if not professional_ids:
        return {}
    rows = _run(_RESULTS_SQL, [list(professional_ids)])
    return {row[0]: _result(row) for row in rows}


def _result(columns) -> dict:
    """A professional's result columns as a dict; its oficios' ids (the statement reads only the
    ids: joining and sorting the names per professional was a quarter of a page's SQL) named from
    the catalogue."""
    row = dict(zip(_RESULT_FIELDS, columns, strict=True))
    row["oficios"] = named_oficios(row["oficios"])
    return row


def hydrated(sql: str) -> str:
    """A search statement's page joined to its professionals' result columns, in the page's order:
    one round trip per request instead of two (a window that does not fill the page wastes the join
    of at most a page of rows; at 1M that is ~1 % of requests)."""
    # Only module constants and the selector's own statements are interpolated.
    return f"""
        WITH hits AS MATERIALIZED ({sql})
        SELECT h.professional_id, h.distance, h.sort_key, {_RESULT_COLUMNS}
        FROM hits h JOIN professionals_professional p ON p.id = h.professional_id
        ORDER BY h.sort_key, h.professional_id
    """  # noqa: S608
