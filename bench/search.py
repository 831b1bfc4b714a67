"""Search bench: GET /api/v1/search/professionals versus the same SQL through psycopg, same run.

    .venv/bin/python bench/search.py [--quick] [--profile] [--size 100k|1m] [--seconds 15]
                                     [--connections 16] [--rate 350]

Data (own databases: conectar_benchsearch_* for 1M, conectar_benchsearch_100k_* for 100k, so a
--quick run never costs the 1M set its ~5 min rebuild; Redis db 12 unless BENCH_REDIS_URL): N
professionals clustered around 20 Argentine cities (gaussian scatter of a few to tens of km, Buenos
Aires the biggest share), radii mostly 5-30 km, some up to 100, rare 300-500; 1-3 of 50 oficios each
(~2), plus the ANY_OFICIO row; all matchable. Generated inside PostgreSQL (INSERT ... SELECT over
generate_series, setseed per batch of 100k, deterministic ids), into `professionals_professional`
and its oficios M2M and into `professionals_searchentry` exactly as `search_index.reindex` writes it
(checked against `reindex` on a sample). Reused when already there; resumable (a batch is one
transaction). SearchEntry's indexes are dropped during a load and rebuilt (Django's own DDL) after.

Workloads: random client points from the same city distribution, a random oficio among the 50,
limit 20, first page; `orden=distancia` (KNN window, coverage fallback) and `orden=rating` (rating
window, coverage fallback).
Raw baseline: 2 processes, closed loop, psycopg bound on the server (prepared after 5 runs, as the
selector's statements are under Django) with Django's connection options, running the selector's
own statements (`selectors.search.attempts`, in turn, as `search()` does) - "search" - and what
the route runs: the same statements with the page's professionals and their oficios joined in
(`hydrated`), plus the oficio existence check only when a page is empty - "route"; and
the coverage-box query alone, the exact shape every order fell back to before the windows -
"coverage", the same-run baseline of the selector's figures.
API: gunicorn as production runs it (gthread workers, keep-alive: bench/_servers.py; production
settings, requests saying X-Forwarded-Proto: https as the ingress does), 2 workers, rate limiter
off, driven by wrk (Lua script reading the pre-generated query paths, keep-alive connections)
closed loop at 2 connections (same concurrency as the raw baseline: the latency comparison; re-run
until the kernel put one on each worker, `wrk_spread`) and
at --connections (throughput); then an open loop at --rate req/s by a Python driver
(a scheduler thread sends at fixed intervals to a pool of threads, each on its own kept-alive
connection; latency from the intended send time, so queueing is not hidden); when the closed loop
stays under --rate, also at 70% of what it reached. Every measurement also prints the CPU it cost
per request (client or Django, PostgreSQL backends, driver, and "other": anyone else's work).
--profile: py-spy on one worker during an extra closed loop (never during a measured one).
Then EXPLAIN (ANALYZE, BUFFERS) of both windows, and the KNN window's spread over the 50 oficios at
the densest city's centre. Figures go to bench/_report.py (RESULTS.md via run_all.py).
Goals (1M): selector SQL p50 <= 1.0 ms; API p50 <= its SQL's (the route's, hydrated) p50 + 1.5 ms; >= 700 req/s at 16
connections; p95 <= 10 ms at 350 req/s.
Knobs: BENCH_DATABASE_URL (server and database prefix), BENCH_REDIS_URL, BENCH_WORKERS,
BENCH_WSGI (module:app), BENCH_PYSPY.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import math
import multiprocessing
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench._report import Report
from bench._servers import free_port, production_gunicorn_options
from tests.support.worker import children_of

# Production settings, as the image runs them; TLS ends before gunicorn there (the ingress says so in
# X-Forwarded-Proto), so every request the bench sends carries that header (FORWARDED).
ENV = {
    **os.environ,
    "CONECTAR_ENV": "production",
    "DEBUG": "false",
    "SECRET_KEY": "bench-search-not-a-secret-0123456789abcdef0123456789abcdef",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "TRUST_X_FORWARDED_PROTO": "true",
    "NOTIFY_CHANNELS": "",  # production refuses provider channels without credentials
    "DJANGO_SETTINGS_MODULE": "conectar.settings",
    # Dev machines may point this at a Redis of their own (BENCH_REDIS_URL); CI uses db 12 of the default one.
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12"),
    "RATELIMIT_ENABLED": "false",  # the bench measures search; nothing else may limit its server
    "CELERY_TASK_ALWAYS_EAGER": "false",
    "LOG_LEVEL": "WARNING",
}
FORWARDED = {"X-Forwarded-Proto": "https"}
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/conectar_benchsearch")
SIZES = {"100k": 100_000, "1m": 1_000_000}
# Each size in databases of its own, so a --quick run never costs the 1M data set its rebuild.
DATABASE_SUFFIX = {"100k": "_100k", "1m": ""}
BATCH = 100_000  # one transaction, one setseed: the data of batch k is the same however it was reached
LIMIT = 20
OFICIOS_WANTED = 50
SEARCH_TABLE = "professionals_searchentry"  # SearchEntry._meta.db_table

# name, lat, lng, share of professionals, sigma of the scatter (km)
CITIES = (
    ("Buenos Aires (AMBA)", -34.6037, -58.3816, 0.34, 14.0),
    ("Córdoba", -31.4201, -64.1888, 0.09, 9.0),
    ("Rosario", -32.9442, -60.6505, 0.08, 8.0),
    ("Mendoza", -32.8895, -68.8458, 0.06, 9.0),
    ("La Plata", -34.9214, -57.9544, 0.05, 6.0),
    ("San Miguel de Tucumán", -26.8083, -65.2176, 0.045, 7.0),
    ("Mar del Plata", -38.0055, -57.5426, 0.04, 6.0),
    ("Salta", -24.7821, -65.4232, 0.035, 6.0),
    ("Santa Fe", -31.6333, -60.7000, 0.03, 6.0),
    ("San Juan", -31.5375, -68.5364, 0.025, 6.0),
    ("Neuquén", -38.9516, -68.0591, 0.025, 7.0),
    ("Resistencia", -27.4606, -58.9839, 0.02, 5.0),
    ("Corrientes", -27.4692, -58.8306, 0.02, 5.0),
    ("Posadas", -27.3671, -55.8961, 0.02, 5.0),
    ("Bahía Blanca", -38.7196, -62.2724, 0.02, 5.0),
    ("Santiago del Estero", -27.7951, -64.2615, 0.018, 5.0),
    ("Paraná", -31.7413, -60.5115, 0.017, 5.0),
    ("San Salvador de Jujuy", -24.1858, -65.2995, 0.015, 5.0),
    ("San Carlos de Bariloche", -41.1335, -71.3103, 0.012, 5.0),
    ("Comodoro Rivadavia", -45.8641, -67.4966, 0.012, 6.0),
    ("Río Cuarto", -33.1307, -64.3499, 0.01, 4.0),
)
WIDE_SHARE, WIDE_FACTOR, MAX_SIGMAS = 0.25, 2.5, 4.0  # a quarter live in the outskirts
KM_PER_DEGREE = 111.32

EXTRA_OFICIOS = (  # the migration seeds 39; the bench wants 50
    ("Instalador de paneles solares", "Paneles solares, termotanques solares e inversores."),
    ("Técnico en calefacción", "Calderas, radiadores, losa radiante y calefactores."),
    ("Tornero", "Torneado y fresado de piezas a medida."),
    ("Marmolista", "Mesadas de mármol y granito, cortes y pulido."),
    ("Electricista del automotor", "Arranque, alternador, luces y cableado del auto."),
    ("Decorador de interiores", "Asesoramiento y diseño de ambientes."),
    ("Peluquero a domicilio", "Cortes, color y peinados a domicilio."),
    ("Entrenador personal", "Entrenamiento personalizado a domicilio o al aire libre."),
    ("Profesor de música", "Clases de instrumento, canto y lenguaje musical."),
    ("Técnico en electrodomésticos", "Reparación de microondas, hornos y pequeños electrodomésticos."),
    ("Colocador de membranas", "Membranas asfálticas y líquidas para techos y terrazas."),
)
NOMBRES = (
    "Juan", "María", "Carlos", "Ana", "Jorge", "Laura", "Luis", "Marta", "José", "Silvia", "Diego", "Paula",
    "Martín", "Lucía", "Pablo", "Sofía", "Miguel", "Valeria", "Sergio", "Florencia", "Matías", "Camila",
    "Nicolás", "Agustina", "Facundo", "Romina", "Gustavo", "Carolina", "Ramón", "Noelia",
)  # fmt: skip
APELLIDOS = (
    "González", "Rodríguez", "Gómez", "Fernández", "López", "Díaz", "Martínez", "Pérez", "García", "Sánchez",
    "Romero", "Sosa", "Álvarez", "Torres", "Ruiz", "Ramírez", "Flores", "Benítez", "Acosta", "Medina",
    "Herrera", "Suárez", "Aguirre", "Giménez", "Gutiérrez", "Pereyra", "Rojas", "Molina", "Castro", "Ortiz",
)  # fmt: skip


def django_setup(size: str):
    ENV["DATABASE_URL"] = DATABASE_URL + DATABASE_SUFFIX[size]
    os.environ.update(ENV)
    import django

    django.setup()


# --- statistics ---------------------------------------------------------------------------------


@dataclass
class Stats:
    label: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    note: str = ""
    extra: dict = field(default_factory=dict)
    cpu: str = ""
    cpu_ms: dict = field(default_factory=dict)  # CPU ms per request by group of processes

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        if "p" + str(q) in self.extra:
            return self.extra["p" + str(q)]
        s = self.latencies_ms
        return s[min(len(s) - 1, max(0, math.ceil(q / 100 * len(s)) - 1))]

    def line(self) -> str:
        line = f"{self.label:46}{self.rps:9.0f}{self.pct(50):9.2f}{self.pct(95):9.2f}{self.pct(99):9.2f}  {self.note}"
        return line + (f"\n{'':6}{self.cpu}" if self.cpu else "")


HEADER = f"{'':46}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"


# --- where the CPU goes -------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _machine_busy() -> float:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / CLK_TCK  # all but idle and iowait


def backends(info: dict) -> list[int]:
    """PostgreSQL backends connected to the bench's professionals database (the clients')."""
    with _connect(info, autocommit=True) as conn:
        return [
            r[0]
            for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
                " AND pid <> pg_backend_pid()",
                [info["dbname"]],
            )
        ]


class CpuMeter:
    """CPU seconds per group of processes over a measurement, per request; `other` is everything
    else on the machine (other people's work would show there)."""

    def __init__(self, groups: dict[str, list[int]]):
        self.groups = groups
        self.before = {name: sum(_cpu_of(p) for p in pids) for name, pids in groups.items()}
        self.workers = {pid: _cpu_of(pid) for pid in groups.get("django", [])}
        self.busy = _machine_busy()
        self.wall = time.perf_counter()

    def balance(self) -> str:
        """How the server's workers shared the requests: gthread workers do not balance kept-alive
        connections, so wrk's few connections can land mostly on one worker, which then caps the
        run while the other idles (the machine shows well under 100 % busy)."""
        used = sorted((_cpu_of(pid) - before for pid, before in self.workers.items()), reverse=True)
        if len(used) < 2 or not sum(used):
            return ""
        shares = "/".join(f"{100 * u / sum(used):.0f}" for u in used)
        uneven = " - WORKERS UNEVENLY LOADED: below the server's capacity" if used[0] > 1.5 * used[-1] else ""
        return f"; CPU split between workers {shares} %{uneven}"

    def report(self, requests: int, measured: dict[str, float] | None = None) -> tuple[str, dict]:
        balance = self.balance()
        used = {name: sum(_cpu_of(p) for p in pids) - self.before[name] for name, pids in self.groups.items()}
        used.update(measured or {})
        busy = _machine_busy() - self.busy
        wall = time.perf_counter() - self.wall
        used["other"] = max(0.0, busy - sum(used.values()))
        per_request = {name: 1000 * seconds / max(requests, 1) for name, seconds in used.items()}
        parts = ", ".join(f"{name} {ms:.2f}" for name, ms in per_request.items())
        warning = " - OTHER PROCESSES BUSY, figures disturbed" if used["other"] > 0.1 * busy else ""
        busy_share = 100 * busy / wall / (os.cpu_count() or 1)
        line = f"CPU ms/request: {parts}; machine busy {busy_share:.0f}%{warning}{balance}"
        return line, per_request


# --- setup and data -----------------------------------------------------------------------------


def conninfo() -> dict:
    """What Django's professionals connection uses (server, database, options: JIT off)."""
    from django.db import connections

    from conectar.professionals.selectors.search import DB

    s = connections[DB].settings_dict
    return {
        "dbname": s["NAME"],
        "user": s.get("USER") or None,
        "password": s.get("PASSWORD") or None,
        "host": s.get("HOST") or None,
        "port": s.get("PORT") or None,
        "options": s.get("OPTIONS", {}).get("options"),
    }


def prepare() -> list[tuple]:
    """Databases migrated, 50 oficios; returns them as (id, nombre), most common trades first."""
    from django.core.management import call_command

    from conectar.professionals.models import Oficio

    call_command("setup_databases", verbosity=0)
    for nombre, descripcion in EXTRA_OFICIOS:
        if Oficio.objects.count() >= OFICIOS_WANTED:
            break
        Oficio.objects.get_or_create(nombre=nombre, defaults={"descripcion": descripcion})
    # Seed order (Plomero, Electricista, Gasista, ...) doubles as popularity order.
    return list(Oficio.objects.order_by("created_at", "nombre").values_list("id", "nombre")[:OFICIOS_WANTED])


BATCH_SQL = """
CREATE TEMP TABLE bench_batch ON COMMIT DROP AS
WITH r AS MATERIALIZED (
    SELECT n, random() AS u_city, random() AS u_r, random() AS u_t, random() AS u_wide, random() AS u_rad,
           random() AS u_rad2, random() AS u_k, random() AS u_o1, random() AS u_o2, random() AS u_o3,
           random() AS u_niv, random() AS u_pts, random() AS u_rev, random() AS u_avg, random() AS u_tar,
           random() AS u_tar2, random() AS u_inst, random() AS u_nom, random() AS u_ape, random() AS u_av,
           random() AS u_kyc
    FROM generate_series(%(lo)s::int, %(hi)s::int) AS n
), placed AS (
    SELECT r.*,
           c.lat + least(sqrt(-2 * ln(1 - r.u_r)), %(max_sigmas)s) * sin(2 * pi() * r.u_t) * s.km / %(kmdeg)s
               AS lat,
           c.lng + least(sqrt(-2 * ln(1 - r.u_r)), %(max_sigmas)s) * cos(2 * pi() * r.u_t) * s.km
               / (%(kmdeg)s * cos(radians(c.lat))) AS lng,
           (CASE WHEN r.u_rad < 0.03 THEN 1 + floor(r.u_rad2 * 4)
                 WHEN r.u_rad < 0.83 THEN 5 + floor(r.u_rad2 * 26)
                 WHEN r.u_rad < 0.975 THEN 31 + floor(r.u_rad2 * 70)
                 WHEN r.u_rad < 0.995 THEN 101 + floor(r.u_rad2 * 200)
                 ELSE 500 END)::smallint AS radio_km,
           CASE WHEN r.u_niv < 0.60 THEN 0 WHEN r.u_niv < 0.85 THEN 1 WHEN r.u_niv < 0.96 THEN 2 ELSE 3 END
               AS nivel_rank,
           least(floor(-ln(1 - r.u_rev) * 12), 400)::int AS total_resenas
    FROM r
    JOIN bench_cities c ON r.u_city >= c.lo AND r.u_city < c.hi
    CROSS JOIN LATERAL (SELECT c.sigma_km * CASE WHEN r.u_wide < %(wide_share)s THEN %(wide_factor)s ELSE 1 END
                        AS km) s
), rated AS (
    SELECT p.*,
           CASE WHEN total_resenas = 0 THEN 0
                ELSE least(greatest(round(total_resenas * (3.0 + 2.0 * sqrt(u_avg))), total_resenas),
                           5 * total_resenas) END::int AS rating_sum
    FROM placed p
)
SELECT n,
       md5('bench-search-professional-' || n)::uuid AS id,
       md5('bench-search-account-' || n)::uuid AS usuario_id,
       (%(nombres)s::text[])[1 + floor(u_nom * cardinality(%(nombres)s::text[]))::int] AS nombre,
       (%(apellidos)s::text[])[1 + floor(u_ape * cardinality(%(apellidos)s::text[]))::int] AS apellido,
       CASE WHEN u_av < 0.4 THEN '/media/avatars/bench-' || n || '.jpg' ELSE '' END AS avatar_url,
       now() - u_kyc * interval '365 days' AS kyc_submitted_at,
       (ARRAY['BRONCE', 'PLATA', 'ORO', 'DIAMANTE'])[nivel_rank + 1] AS nivel,
       (ARRAY[0, 1000, 5000, 15000])[nivel_rank + 1]
           + floor(u_pts * (ARRAY[1000, 4000, 10000, 20000])[nivel_rank + 1])::int AS puntos_experiencia,
       (ARRAY[0.200, 0.180, 0.150, 0.100])[nivel_rank + 1]::numeric(4, 3) AS tasa_comision_actual,
       radio_km,
       radio_km::int * 1000 AS radio_m,
       u_inst < 0.3 AS acepta_instant,
       CASE WHEN u_tar < 0.12 THEN NULL ELSE round((8000 + u_tar2 * 42000) / 500) * 500 END::numeric(12, 2) AS tarifa,
       lat, lng,
       ST_SetSRID(ST_MakePoint(lng, lat), 4326)::geography AS location,
       nivel_rank::smallint AS nivel_rank,
       CASE WHEN total_resenas = 0 THEN 0 ELSE round(rating_sum::numeric / total_resenas, 2) END::numeric(3, 2)
           AS rating_promedio,
       total_resenas, rating_sum,
       -- search_index.coverage_box, in SQL: the lon/lat bounding box of the coverage circle
       ST_MakeEnvelope(lng - box.dlon, lat - box.dlat, lng + box.dlon, lat + box.dlat, 4326) AS coverage,
       CASE WHEN u_k < 0.30 THEN 1 WHEN u_k < 0.75 THEN 2 ELSE 3 END AS k,
       ARRAY[u_o1, u_o2, u_o3] AS u_oficios
FROM rated
CROSS JOIN LATERAL (SELECT radio_km::int * 1000 / 111320.0::float8 * 1.01 AS dlat) d
CROSS JOIN LATERAL (SELECT d.dlat, d.dlat / greatest(cos(radians(least(abs(lat) + d.dlat, 89.0))), 0.01) AS dlon) box;

INSERT INTO professionals_professional (
    id, usuario_id, nombre, apellido, avatar_url, account_active, estado_verificacion, kyc_motivo_rechazo,
    kyc_submitted_at, nivel, puntos_experiencia, tasa_comision_actual, radio_cobertura_km, acepta_instant,
    tarifa_por_hora, payout_account, location, rating_promedio, total_resenas, rating_sum, created_at, updated_at)
SELECT id, usuario_id, nombre, apellido, avatar_url, true, 'APROBADO', '', kyc_submitted_at, nivel,
       puntos_experiencia, tasa_comision_actual, radio_km, acepta_instant, tarifa, '', location,
       rating_promedio, total_resenas, rating_sum, kyc_submitted_at - interval '2 days', now()
FROM bench_batch ORDER BY n;

-- 1-3 picks per professional, the most common trades up to 3x as likely as the rarest (density 3-2x).
CREATE TEMP TABLE bench_pairs ON COMMIT DROP AS
SELECT DISTINCT b.n, b.id AS professional_id, o.id AS oficio_id, o.nombre
FROM bench_batch b
CROSS JOIN LATERAL unnest(b.u_oficios[1:b.k]) AS pick(u)
JOIN bench_oficios o ON o.idx = least(floor(%(oficios)s * (3 - sqrt(9 - 8 * pick.u)) / 2)::int, %(oficios)s - 1);

INSERT INTO professionals_professional_oficios (professional_id, oficio_id)
SELECT professional_id, oficio_id FROM bench_pairs ORDER BY n, oficio_id;

-- search_index.reindex: the ANY_OFICIO row first, then one per oficio; names in Oficio's ordering.
INSERT INTO professionals_searchentry (
    professional_id, oficio_id, location, coverage, radio_m, nivel_rank, rating, total_resenas, tarifa,
    acepta_instant, search_text)
SELECT b.id, e.oficio_id, b.location, b.coverage, b.radio_m, b.nivel_rank, b.rating_promedio, b.total_resenas,
       b.tarifa, b.acepta_instant, t.search_text
FROM bench_batch b
JOIN (SELECT n, lower(min(b2.nombre) || ' ' || min(b2.apellido) || ' ' || string_agg(p.nombre, ' ' ORDER BY p.nombre))
             AS search_text
      FROM bench_pairs p JOIN bench_batch b2 USING (n) GROUP BY n) t USING (n)
JOIN (SELECT n, %(any_oficio)s::uuid AS oficio_id, 0 AS pos FROM bench_batch
      UNION ALL SELECT n, oficio_id, 1 FROM bench_pairs) e USING (n)
ORDER BY b.n, e.pos, e.oficio_id;
"""


def _connect(info: dict, **kwargs) -> psycopg.Connection:
    return psycopg.connect(**info, **kwargs)


def counts(conn) -> tuple[int, int, int]:
    return conn.execute(
        "SELECT (SELECT count(*) FROM professionals_professional),"
        " (SELECT count(*) FROM professionals_professional_oficios),"
        " (SELECT count(*) FROM professionals_searchentry)"
    ).fetchone()


def gist_indexes():
    from conectar.professionals.models import SearchEntry

    return list(SearchEntry._meta.indexes)


def index_sql(index) -> str:
    """The DDL migrate runs for `index` (collected, not executed)."""
    from django.db import connections

    from conectar.professionals.models import SearchEntry
    from conectar.professionals.selectors.search import DB

    with connections[DB].schema_editor(collect_sql=True, atomic=False) as editor:
        editor.add_index(SearchEntry, index)
    return "\n".join(editor.collected_sql)


def ensure_indexes(info: dict) -> float:
    """Create whichever schema GiST index is missing, the two in parallel (2 cores); returns seconds."""
    with _connect(info, autocommit=True) as conn:
        present = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [SEARCH_TABLE])}
    missing = [index for index in gist_indexes() if index.name not in present]
    if not missing:
        return 0.0
    start = time.perf_counter()
    errors: list[BaseException] = []

    def build(sql: str) -> None:
        try:
            with _connect(info, autocommit=True) as conn:
                conn.execute("SET maintenance_work_mem = '1GB'")
                conn.execute(sql)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=build, args=(index_sql(index),)) for index in missing]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return time.perf_counter() - start


def reuse(info: dict, conn) -> None:
    """Data already there: rebuild a missing index, and vacuum, since a migration may have rewritten
    the table (0005 partitioned it) and autovacuum may be off: without the visibility map the rating
    window's index-only scan visits the heap."""
    build = ensure_indexes(info)
    if build:
        print(f"  rebuilt missing GiST indexes in {build:.1f} s")
    # Data generated before avatars had the path the storage gives them (`/media/...`, not relative).
    fixed = conn.execute(
        "UPDATE professionals_professional SET avatar_url = '/media/' || avatar_url WHERE avatar_url LIKE 'avatars/%'"
    ).rowcount
    if fixed:
        print(f"  {fixed:,} avatar paths made storage paths")
    start = time.perf_counter()
    conn.execute(f"VACUUM (ANALYZE) professionals_professional, professionals_oficio, {SEARCH_TABLE}")
    print(f"  vacuum/analyze {time.perf_counter() - start:.1f} s")


def generate(info: dict, oficios: list[tuple], target: int) -> None:
    """Grow the bench data to `target` professionals (batches of BATCH, each one transaction)."""
    from conectar.professionals.models import ANY_OFICIO

    with _connect(info, autocommit=True) as conn:
        professionals, pairs, entries = counts(conn)
        consistent = professionals % BATCH == 0 and entries == professionals + pairs
        if professionals == target and consistent:
            print(f"data: {professionals:,} professionals already there ({entries:,} search rows); skipping generation")
            reuse(info, conn)
            return
        if professionals > target or not consistent:
            print(f"data: {professionals:,} professionals there, want {target:,}: truncating and regenerating")
            conn.execute(
                "TRUNCATE professionals_searchentry, professionals_professional_oficios,"
                " professionals_professional CASCADE"
            )
            professionals = 0
    total_start = time.perf_counter()
    first, last = professionals // BATCH, target // BATCH
    print(f"data: generating professionals {professionals + 1:,}..{target:,} in {last - first} batches of {BATCH:,}")
    with _connect(info, autocommit=True) as conn:
        for index in gist_indexes():  # rebuilt once after the load: far cheaper than row-by-row GiST inserts
            conn.execute(f'DROP INDEX IF EXISTS "{index.name}"')
    total_weight = sum(c[3] for c in CITIES)
    cities, cum = [], 0.0
    for idx, (_name, lat, lng, weight, sigma) in enumerate(CITIES):
        lo, cum = cum, cum + weight / total_weight
        cities.append((idx, lat, lng, sigma, lo, 1.0 if idx == len(CITIES) - 1 else cum))
    with _connect(info, cursor_factory=psycopg.ClientCursor) as conn:  # several statements per execute
        conn.execute("SET synchronous_commit = off")
        conn.execute(
            "CREATE TEMP TABLE bench_cities (idx int, lat float8, lng float8, sigma_km float8, lo float8, hi float8)"
        )
        conn.execute("CREATE TEMP TABLE bench_oficios (idx int, id uuid, nombre text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO bench_cities VALUES (%s, %s, %s, %s, %s, %s)", cities)
            cur.executemany(
                "INSERT INTO bench_oficios VALUES (%s, %s, %s)", [(i, o[0], o[1]) for i, o in enumerate(oficios)]
            )
        conn.commit()
        params = {
            "kmdeg": KM_PER_DEGREE,
            "max_sigmas": MAX_SIGMAS,
            "wide_share": WIDE_SHARE,
            "wide_factor": WIDE_FACTOR,
            "nombres": list(NOMBRES),
            "apellidos": list(APELLIDOS),
            "oficios": len(oficios),
            "any_oficio": ANY_OFICIO,
        }
        for batch in range(first, last):
            start = time.perf_counter()
            conn.execute("SELECT setseed(%s)", [((batch + 1) * 0.0137) % 1])
            conn.execute(BATCH_SQL, {**params, "lo": batch * BATCH + 1, "hi": (batch + 1) * BATCH})
            conn.commit()
            print(f"  batch {batch + 1}/{last}: {time.perf_counter() - start:5.1f} s", flush=True)
    load_seconds = time.perf_counter() - total_start
    print("  building the indexes (all at once) ...", flush=True)
    build_seconds = ensure_indexes(info)
    check_against_reindex(info, sample=5)
    start = time.perf_counter()
    with _connect(info, autocommit=True) as conn:
        conn.execute(
            "VACUUM (ANALYZE) professionals_professional, professionals_professional_oficios, professionals_oficio,"
            " professionals_searchentry"
        )
        conn.execute("CHECKPOINT")  # flush the load now rather than during the measurements
        professionals, pairs, entries = counts(conn)
    vacuum_seconds = time.perf_counter() - start
    total = time.perf_counter() - total_start
    print(
        f"data: {professionals:,} professionals, {pairs:,} (professional, oficio) rows, {entries:,} search rows;"
        f" generated in {total:.1f} s (rows {load_seconds:.1f} s, GiST indexes {build_seconds:.1f} s,"
        f" vacuum/analyze/checkpoint {vacuum_seconds:.1f} s)"
    )


def check_against_reindex(info: dict, sample: int) -> None:
    """Rows for a few professionals, compared with what `search_index.reindex` writes (rolled back)."""
    from django.db import transaction

    from conectar.professionals.models import Professional, SearchEntry
    from conectar.professionals.selectors.search import DB
    from conectar.professionals.services.search_index import reindex

    def rows(pid) -> list[tuple]:
        out = []
        for e in SearchEntry.objects.using(DB).filter(professional_id=pid).order_by("oficio_id"):
            coverage = tuple(round(c, 9) for xy in e.coverage.coords[0] for c in xy)
            out.append((
                e.oficio_id, e.location.coords, coverage, e.radio_m, e.nivel_rank, e.rating, e.total_resenas,
                e.tarifa, e.acepta_instant, e.search_text,
            ))  # fmt: skip
        return out

    pids = list(Professional.objects.using(DB).order_by("?").values_list("pk", flat=True)[:sample])
    mismatches = 0
    with transaction.atomic(using=DB):
        for pid in pids:
            ours = rows(pid)
            reindex(Professional.objects.using(DB).get(pk=pid))
            if rows(pid) != ours:
                mismatches += 1
                print(f"  MISMATCH for {pid}:\n    generated {ours}\n    reindex   {rows(pid)}")
        transaction.set_rollback(True, using=DB)
    print(f"  check: {len(pids) - mismatches}/{len(pids)} sampled professionals' rows identical to reindex()")


# --- workload -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Q:
    city: str
    lat: float
    lng: float
    oficio_id: object  # UUID
    orden: str

    def path(self) -> str:
        orden = "" if self.orden == "distancia" else f"&orden={self.orden}"
        return f"/api/v1/search/professionals?lat={self.lat}&lng={self.lng}&oficio_id={self.oficio_id}{orden}"


def workload(oficios: list[tuple], count: int, orden: str, seed: int = 2026) -> list[Q]:
    """Client points from the professionals' own distribution, uniformly random oficio."""
    rng = random.Random(seed)
    weights = [c[3] for c in CITIES]
    out = []
    for _ in range(count):
        name, lat, lng, _w, sigma = rng.choices(CITIES, weights=weights)[0]
        km = sigma * (WIDE_FACTOR if rng.random() < WIDE_SHARE else 1.0)
        r = min(math.sqrt(-2 * math.log(1 - rng.random())), MAX_SIGMAS)
        t = 2 * math.pi * rng.random()
        plat = lat + r * math.sin(t) * km / KM_PER_DEGREE
        plng = lng + r * math.cos(t) * km / (KM_PER_DEGREE * math.cos(math.radians(lat)))
        oficio_id = oficios[rng.randrange(len(oficios))][0]
        out.append(Q(name, round(plat, 6), round(plng, 6), oficio_id, orden))
    return out


# --- raw baseline -------------------------------------------------------------------------------


def hydration_templates() -> dict:
    """The route's other SQL: the oficio check it runs on empty pages."""
    from uuid import UUID

    from conectar.professionals.models import Oficio
    from conectar.professionals.selectors.search import DB

    exists_sql, exists_params = Oficio.objects.filter(pk=UUID(int=1)).query.exists().get_compiler(DB).as_sql()
    return {"exists": (exists_sql, list(exists_params).index(UUID(int=1)), list(exists_params))}


def raw_search(cur, q: Q, *, shape: str = "search") -> tuple[list[tuple], str]:
    """`selectors.search.search`, minus Django: the same statements (`attempts`), parameters and
    binding (on the server, so psycopg prepares them as it does under Django). shape "route": each
    statement with its page's professionals (`hydrated`), as the route asks; "coverage": only the
    exact coverage-box query, the shape every page of every order used before the windows."""
    from conectar.professionals.selectors.search import SearchQuery, attempts, hydrated

    query = SearchQuery(lat=q.lat, lng=q.lng, oficio_id=q.oficio_id, orden=q.orden, limit=LIMIT)
    for strategy, sql, params in attempts(query):
        if shape == "coverage" and strategy != "coverage":
            continue
        rows = cur.execute(hydrated(sql) if shape == "route" else sql, params).fetchall()
        if len(rows) > query.limit or strategy == "coverage":
            return rows[: query.limit], strategy
    raise AssertionError("the last attempt always answers")


def raw_request(cur, q: Q, templates: dict, shape: str) -> tuple[list[tuple], str]:
    """What the route's SQL is for `shape` "route": the page with its professionals in one statement,
    and the oficio existence check when the page is empty."""
    rows, strategy = raw_search(cur, q, shape=shape)
    if shape == "route" and not rows:
        sql, position, params = templates["exists"]
        cur.execute(sql, [*params[:position], q.oficio_id, *params[position + 1 :]])
        cur.fetchone()
    return rows, strategy


@dataclass(frozen=True)
class RawJob:
    info: dict
    queries: list[Q]
    shape: str  # "search" (the selector's statements), "route" (+ hydration) or "coverage" (that query alone)
    templates: dict
    warmup: float
    seconds: float


def _raw_worker(job: RawJob, offset: int, barrier, out) -> None:
    conn = _connect(job.info, autocommit=True)  # server-side binding, prepared after 5 runs: as under Django
    cur = conn.cursor()
    queries, n = job.queries, offset
    deadline = time.perf_counter() + job.warmup
    while time.perf_counter() < deadline:
        raw_request(cur, queries[n % len(queries)], job.templates, job.shape)
        n += 1
    barrier.wait()
    latencies, strategies = array("d"), collections.Counter()
    backend = conn.info.backend_pid
    cpu_before = (time.process_time(), _cpu_of(backend))
    start = time.perf_counter()
    deadline = start + job.seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= deadline:
            break
        _, strategy = raw_request(cur, queries[n % len(queries)], job.templates, job.shape)
        latencies.append((time.perf_counter() - t0) * 1000)
        strategies[strategy] += 1
        n += 1
    elapsed = time.perf_counter() - start
    cpu = (time.process_time() - cpu_before[0], _cpu_of(backend) - cpu_before[1])
    out.put((latencies, dict(strategies), elapsed, cpu))
    conn.close()


def raw_bench(job: RawJob, label: str) -> Stats:
    from django.db import connections

    connections.close_all()  # nothing of Django's crosses the fork
    ctx = multiprocessing.get_context("fork")
    out, barrier = ctx.Queue(), ctx.Barrier(3)
    procs = [ctx.Process(target=_raw_worker, args=(job, i * len(job.queries) // 2, barrier, out)) for i in range(2)]
    for p in procs:
        p.start()
    barrier.wait(timeout=job.warmup + 60)
    meter = CpuMeter({})  # the clients measure their own CPU and their backend's
    results = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=1))
        except queue.Empty:
            if any(p.exitcode for p in procs):
                for p in procs:
                    p.kill()
                raise RuntimeError("a raw client process failed") from None
    for p in procs:
        p.join()
    latencies = sorted(x for r in results for x in r[0])
    strategies = collections.Counter()
    for r in results:
        strategies.update(r[1])
    note = ", ".join(f"{name} {100 * n / len(latencies):.1f}%" for name, n in strategies.most_common())
    cpu, cpu_ms = meter.report(
        len(latencies), {"client": sum(r[3][0] for r in results), "postgres": sum(r[3][1] for r in results)}
    )
    return Stats(label, len(latencies), max(r[2] for r in results), latencies, note, cpu=cpu, cpu_ms=cpu_ms)


# --- API ----------------------------------------------------------------------------------------


def start_server() -> tuple[subprocess.Popen, int]:
    """gunicorn as production runs it (docker/entrypoint.sh's `web` role: gthread, keep-alive, the
    access log, here to nowhere), BENCH_WORKERS processes (2), the rate limiter off (ENV)."""
    port = free_port()
    app = os.environ.get("BENCH_WSGI", "conectar.wsgi:application")
    command = [str(ROOT / ".venv/bin/gunicorn"), *production_gunicorn_options(), app, "--bind", f"127.0.0.1:{port}"]
    env = {**ENV, "WEB_WORKERS": os.environ.get("BENCH_WORKERS", "2")}
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{port}/health/live", timeout=1)
        except httpx.HTTPError:
            time.sleep(0.1)
        else:
            return server, port
    server.terminate()
    raise RuntimeError("gunicorn did not come up")


WRK_SCRIPT = r"""
-- Paths pre-generated by bench/search.py (seeded), one per line; each thread starts elsewhere.
-- Keep-alive connections, as a browser's or the TLS proxy's (which says the client used https).
wrk.headers["X-Forwarded-Proto"] = "https"
local paths = {}
local threads = 0
setup = function(thread)
  thread:set("offset", threads * 7919)
  threads = threads + 1
end
init = function(args)
  for line in io.lines("PATHS_FILE") do paths[#paths + 1] = line end
  n = offset or 0
end
request = function()
  n = n + 1
  return wrk.format(nil, paths[(n % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("STATS %d %d %d %d %.4f %.4f %.4f %.4f\n", summary.requests, summary.duration,
    e.status, e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
"""


def wrk_run(port: int, paths_file: str, seconds: float, connections: int, label: str, *, groups: dict) -> Stats:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", dir="/tmp") as script:
        script.write(WRK_SCRIPT.replace("PATHS_FILE", paths_file))
        script.flush()
        threads = min(2, connections)
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s"]
        wrk = subprocess.Popen(
            [*command, "-s", script.name, f"http://127.0.0.1:{port}"], stdout=subprocess.PIPE, text=True
        )
        meter = CpuMeter({**groups, "wrk": [wrk.pid]})
        out, _ = wrk.communicate(timeout=seconds + 60)
        if wrk.returncode:
            raise RuntimeError(f"wrk failed ({wrk.returncode})")
    fields = next(line for line in out.splitlines() if line.startswith("STATS")).split()[1:]
    requests, duration_us, bad_status, socket_errors = (int(x) for x in fields[:4])
    p50, p95, p99, pmax = (float(x) for x in fields[4:])
    note = f"wrk -c{connections}, max {pmax:.1f} ms"
    if bad_status or socket_errors:
        note += f", {bad_status} non-2xx/3xx, {socket_errors} socket errors"
    percentiles = {"p50": p50, "p95": p95, "p99": p99}
    cpu, cpu_ms = meter.report(requests)
    return Stats(label, requests, duration_us / 1e6, [], note, percentiles, cpu, cpu_ms)


def wrk_spread(port: int, paths_file: str, seconds: float, label: str, *, groups: dict, tries: int = 4) -> Stats:
    """wrk with 2 connections, one on each worker. SO_REUSEPORT sends a connection to the worker its
    ports hash to, and half the time both land on one, which then serves them in turn (one database
    connection, one GIL) while the other idles: a measure of that queue, not of the route at light
    load. So the run is repeated with new connections (new ports) until both workers served it."""
    for run in range(1, tries + 1):
        stats = wrk_run(port, paths_file, seconds, 2, label, groups=groups)
        if "UNEVENLY" not in stats.cpu:
            stats.note += f", one connection per worker (run {run})"
            return stats
    stats.note += f", both connections on one worker in all {tries} runs"
    return stats


def open_loop(port: int, paths: list[str], rate: float, seconds: float, label: str, *, groups: dict) -> Stats:
    """Requests scheduled every 1/rate s whatever the server does, sent by a pool of 64 blocking
    clients; latency counted from the scheduled time, so queueing anywhere (pool, backlog, workers)
    counts. Requests unfinished 5 s after the schedule ends count with the time they had waited."""
    total, grace = int(rate * seconds), 5.0
    jobs: queue.SimpleQueue = queue.SimpleQueue()
    stop = threading.Event()
    sent_at: list[float | None] = [None] * total
    done_at: list[float | None] = [None] * total
    status: list[int] = [0] * total

    def sender() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)  # kept alive between requests
        while (job := jobs.get()) is not None and not stop.is_set():
            i, path = job
            sent_at[i] = time.perf_counter()
            try:
                connection.request("GET", path, headers=FORWARDED)
                response = connection.getresponse()
                response.read()
                status[i] = response.status
            except (OSError, http.client.HTTPException):
                status[i] = -1
                connection.close()  # the next request connects again
            done_at[i] = time.perf_counter()
        connection.close()

    pool = [threading.Thread(target=sender, daemon=True) for _ in range(64)]
    for t in pool:
        t.start()
    meter = CpuMeter({**groups, "driver": [os.getpid()]})
    start = time.perf_counter() + 0.05
    intended = [start + i / rate for i in range(total)]
    for i in range(total):
        delay = intended[i] - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        jobs.put((i, paths[i % len(paths)]))
    for _ in pool:
        jobs.put(None)
    cutoff = time.perf_counter() + grace
    for t in pool:
        t.join(timeout=max(0.0, cutoff - time.perf_counter()))
    stop.set()
    cutoff = time.perf_counter()
    finished = [i for i in range(total) if done_at[i] is not None]
    latencies = sorted(((done_at[i] if done_at[i] is not None else cutoff) - intended[i]) * 1000 for i in range(total))
    lag = sorted((sent_at[i] - intended[i]) * 1000 for i in range(total) if sent_at[i] is not None)
    failed = sum(1 for i in finished if status[i] != 200)
    elapsed = max(done_at[i] for i in finished) - start
    note = f"open loop {rate:.0f}/s, send delay p50 {lag[len(lag) // 2]:.2f} / p99 {lag[int(len(lag) * 0.99)]:.2f} ms"
    if failed or len(finished) < total:
        note += f", {failed} failed, {total - len(finished)} unfinished (counted as waited)"
    cpu, cpu_ms = meter.report(len(finished))
    return Stats(label, len(finished), elapsed, latencies, note, cpu=cpu, cpu_ms=cpu_ms)


def check_api_matches_raw(port: int, info: dict, queries: list[Q], templates: dict) -> None:
    same = 0
    with (
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10, headers=FORWARDED) as http,
        _connect(info, autocommit=True) as conn,
    ):
        cur = conn.cursor()
        for q in queries:
            response = http.get(q.path())
            response.raise_for_status()
            rows, _ = raw_request(cur, q, templates, "search")
            same += [item["id"] for item in response.json()] == [str(r[0]) for r in rows]
    print(f"  check: API and raw return the same page for {same}/{len(queries)} sampled queries ({queries[0].orden})")


# --- plans --------------------------------------------------------------------------------------


def explain(info: dict, q: Q) -> str:
    """The plan of the first statement `search` runs for `q` (the window of its order), warm."""
    from conectar.professionals.selectors.search import SearchQuery, attempts

    query = SearchQuery(lat=q.lat, lng=q.lng, oficio_id=q.oficio_id, orden=q.orden, limit=LIMIT)
    shape, sql, params = next(attempts(query))
    with _connect(info, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        for _ in range(2):  # the second, warm, is printed
            plan = [r[0] for r in conn.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)]
    print(f"\n-- plan, {shape} (orden={q.orden}), {q.city} ({q.lat}, {q.lng}), oficio {q.oficio_id}:")
    print("\n".join("   " + line for line in plan))
    scan = next((line.strip() for line in plan if "Scan using" in line), "?").split("  (")[0]
    buffers = next((line.split("Buffers: ")[1] for line in plan if "Buffers:" in line), "?")
    executed = next((line.split(": ")[1] for line in plan if line.startswith("Execution Time")), "?")
    return f"plan of the {shape} (orden={q.orden}) at {q.city}: {scan}, buffers {buffers}, execution {executed}"


def knn_spread(info: dict, oficios: list[tuple]) -> str:
    """The first KNN window at the centre of the densest city for every oficio: how evenly the
    (location, oficio) GiST serves them (a rare oficio's rows are sparser among the leaves)."""
    from conectar.professionals.selectors.search import WINDOWS, SearchQuery, _params, window_sql

    _, lat, lng, _, _ = CITIES[0]
    rows = []
    with _connect(info, autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        for oficio_id, _name in oficios:
            query = SearchQuery(lat=lat, lng=lng, oficio_id=oficio_id, limit=LIMIT)
            params = _params(query)
            sql = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + window_sql(query, params, window=WINDOWS[0])
            for _ in range(2):
                plan = conn.execute(sql, params).fetchone()[0][0]
            buffers = plan["Plan"]["Shared Hit Blocks"] + plan["Plan"].get("Shared Read Blocks", 0)
            rows.append((plan["Execution Time"], buffers))
    times, buffers = sorted(r[0] for r in rows), sorted(r[1] for r in rows)
    line = (
        f"KNN window ({WINDOWS[0]} rows) at {CITIES[0][0]}'s centre, each of the {len(rows)} oficios: execution ms"
        f" min {times[0]:.2f} / median {times[len(times) // 2]:.2f} / max {times[-1]:.2f}; buffers min {buffers[0]}"
        f" / median {buffers[len(buffers) // 2]} / max {buffers[-1]}"
    )
    print(f"\n-- {line}")
    return line


def data_summary(info: dict) -> str:
    with _connect(info, autocommit=True) as conn:
        shared_buffers = conn.execute("SHOW shared_buffers").fetchone()[0]
        sizes = dict(
            conn.execute(
                # A partitioned table or index (0005) has no storage of its own: sum its partitions.
                "SELECT c.relname, pg_size_pretty(sum(pg_relation_size(COALESCE(t.relid, c.oid))))"
                " FROM pg_class c LEFT JOIN LATERAL pg_partition_tree(c.oid) t ON true"
                " WHERE c.relname = ANY(%s) GROUP BY c.relname",
                [[SEARCH_TABLE, *(index.name for index in gist_indexes()), "professionals_professional"]],
            ).fetchall()
        )
    parts = ", ".join(f"{name} {size}" for name, size in sizes.items())
    return f"sizes: {parts}; shared_buffers {shared_buffers}"


# --- the run ------------------------------------------------------------------------------------


def measure(info, oficios, args, label: str) -> dict:
    templates = hydration_templates()
    dist = workload(oficios, args.queries, "distancia")
    rating = workload(oficios, args.queries, "rating", seed=2027)
    s, w = args.seconds, args.warmup
    print(data_summary(info))
    print(f"\n== {label}: raw baseline (2 processes, closed loop, {s:.0f} s each after {w:.0f} s warm-up)", flush=True)
    res: dict = {}
    for key, queries, shape, title in (
        ("raw_dist_search", dist, "search", "raw distancia: selector SQL"),
        ("raw_dist_route", dist, "route", "raw distancia: + route SQL (hydration)"),
        ("raw_dist_coverage", dist, "coverage", "raw distancia: coverage box only"),
        ("raw_rating_search", rating, "search", "raw rating: selector SQL"),
        ("raw_rating_route", rating, "route", "raw rating: + route SQL (hydration)"),
        ("raw_rating_coverage", rating, "coverage", "raw rating: coverage box only"),
    ):
        res[key] = raw_bench(RawJob(info, queries, shape, templates, w, s), title)
    print(HEADER)
    for key in [k for k in res if k.startswith("raw_")]:
        print(res[key].line())

    app = os.environ.get("BENCH_WSGI", "conectar.wsgi:application")
    workers = os.environ.get("BENCH_WORKERS", "2")
    print(
        f"\n== {label}: API ({app}, gunicorn {' '.join(production_gunicorn_options())}, {workers} workers)", flush=True
    )
    server, port = start_server()
    try:
        with tempfile.TemporaryDirectory(dir="/tmp") as tmp:
            files = {}
            for name, qs in (("dist", dist), ("rating", rating)):
                files[name] = str(Path(tmp) / f"{name}.txt")
                Path(files[name]).write_text("\n".join(q.path() for q in qs) + "\n")
            check_api_matches_raw(port, info, dist[:50], templates)
            check_api_matches_raw(port, info, rating[:50], templates)
            wrk_run(port, files["dist"], w, args.connections, "warm-up", groups={})
            groups = {"django": children_of(server.pid), "postgres": backends(info)}
            title = "API distancia, closed loop"
            res["api_dist_c2"] = wrk_spread(port, files["dist"], s, title, groups=groups)
            res["api_dist_cN"] = wrk_run(port, files["dist"], s, args.connections, title, groups=groups)
            time.sleep(1)
            paths = [q.path() for q in dist[len(dist) // 3 :]]
            res["api_dist_open"] = open_loop(port, paths, args.rate, s, "API distancia, open loop", groups=groups)
            if res["api_dist_cN"].rps < args.rate:  # what it does below its capacity, for comparison
                rate = round(0.7 * res["api_dist_cN"].rps)
                time.sleep(1)
                title = f"API distancia, open loop at {rate}/s"
                res["api_dist_open_low"] = open_loop(port, paths, rate, s, title, groups=groups)
            wrk_run(port, files["rating"], w, args.connections, "warm-up", groups=groups)
            title = "API rating, closed loop"
            res["api_rating_c2"] = wrk_spread(port, files["rating"], s, title, groups=groups)
            res["api_rating_cN"] = wrk_run(port, files["rating"], s, args.connections, title, groups=groups)
            if args.profile:
                res["profile"] = profile_server(server.pid, port, files["dist"], args)
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(HEADER)
    for key in ("api_dist_c2", "api_dist_cN", "api_dist_open", "api_dist_open_low", "api_rating_c2", "api_rating_cN"):
        if key in res:
            print(res[key].line())
    summarize(label, res, args)
    return res


# --- profile ------------------------------------------------------------------------------------


def pyspy_path() -> str | None:
    for candidate in (os.environ.get("BENCH_PYSPY"), shutil.which("py-spy"), str(ROOT / ".venv/bin/py-spy")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def profile_server(server_pid: int, port: int, paths_file: str, args) -> list[str]:
    """py-spy on one gunicorn worker during an extra closed loop at --connections (distancia), so the
    sampling never slows a measured run. Returns the summary lines for the report's notes."""
    pyspy = pyspy_path()
    if pyspy is None:
        print("  (--profile: py-spy not found; set BENCH_PYSPY or pip install py-spy)")
        return []
    worker = children_of(server_pid)[0]
    seconds = max(5, round(args.seconds))
    with tempfile.NamedTemporaryFile("r", suffix=".txt", dir="/tmp") as out:
        command = [pyspy, "record", "--pid", str(worker), "--duration", str(seconds), "--rate", "250"]
        spy = subprocess.Popen(
            [*command, "--format", "raw", "--output", out.name, "--nonblocking"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wrk_run(port, paths_file, seconds + 1, args.connections, "profiled", groups={})
        spy.wait(timeout=60)
        stacks = Path(out.name).read_text()
    inclusive: collections.Counter = collections.Counter()
    leaf: collections.Counter = collections.Counter()
    total = 0
    for line in stacks.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n, frames = int(count), [_frame(f) for f in stack.split(";")]
        total += n
        for name in set(frames):
            inclusive[name] += n
        leaf[frames[-1]] += n
    if not total:
        print("  (py-spy recorded nothing)")
        return []
    request = max((v for k, v in inclusive.items() if k.startswith("WSGIHandler.__call__")), default=total)
    print(f"\n-- py-spy, one gunicorn worker, closed loop at {args.connections} connections, {total} samples;")
    print(f"   inside Django's handler {100 * request / total:.0f}% (the rest: accepting, reading, writing sockets)")
    watch = (
        "search_professionals", "selectors/search.py", "result_rows", "result_body", "Operation.run",
        "Schema", "ensure_connection", "getconn", "check_connection", "Cursor.execute", "Connection.wait",
        "json", "Middleware", "write", "close",
    )  # fmt: skip
    shown = [(k, v) for k, v in inclusive.most_common() if any(w in k for w in watch)][:25]
    for name, n in shown:
        print(f"   {100 * n / total:5.1f}%  {name}")
    print("   leaf frames (self):")
    for name, n in leaf.most_common(10):
        print(f"   {100 * n / total:5.1f}%  {name}")
    parts = (  # where a request's time goes, beyond the middleware wrappers everything runs inside
        ("the search route", "search_professionals ("),
        ("its statement (selectors.search._run)", "_run (conectar/professionals/selectors/search.py)"),
        ("pool checkout health check", "ConnectionPool.check_connection ("),
        ("Django connect per request", "BaseDatabaseWrapper.connect ("),
        ("result_body", "result_body ("),
        ("JSON encoding", "JSONEncoder.iterencode ("),
        ("gunicorn socket write", "write (gunicorn/util.py)"),
        ("gunicorn close", "close_graceful ("),
    )
    found = [(label, inclusive.get(next((k for k in inclusive if k.startswith(key)), ""), 0)) for label, key in parts]
    return [
        f"py-spy, one worker at {args.connections} connections: inside Django's handler {100 * request / total:.0f}%"
        " of samples; inclusive: " + ", ".join(f"{label} {100 * n / total:.0f}%" for label, n in found),
        "py-spy, leaf frames: "
        + ", ".join(f"{k.split(' ')[0]} {100 * v / total:.0f}%" for k, v in leaf.most_common(6)),
    ]


def _frame(frame: str) -> str:
    """`function (path/file.py:line)` -> `function (file.py)`: lines apart, one function is one entry."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rsplit(':', 1)[0].split('site-packages/')[-1].split('/work/main/')[-1]})"


def summarize(label: str, res: dict, args) -> None:
    print(f"\n== {label}: API versus raw")
    for shape, api2, api_n, raws in (
        ("distancia", "api_dist_c2", "api_dist_cN", ("raw_dist_search", "raw_dist_route")),
        ("rating", "api_rating_c2", "api_rating_cN", ("raw_rating_search", "raw_rating_route")),
    ):
        for raw_key in raws:
            raw, a2, a_n = res[raw_key], res[api2], res[api_n]
            kind = "selector SQL" if raw_key.endswith("search") else "route SQL"
            print(
                f"  {shape:9} vs raw {kind:12}: p50 API(c2) - raw = {a2.pct(50) - raw.pct(50):+6.2f} ms;"
                f" p95 {a2.pct(95) - raw.pct(95):+6.2f} ms; req/s API(c{args.connections}) / raw ="
                f" {a_n.rps / raw.rps:.2f}x"
            )


def record(report, res: dict, args, size: str) -> None:
    """The issue's figures, each against what the same run measured underneath it."""
    at = f"{size} professionals"
    sql, route, api2 = res["raw_dist_search"], res["raw_dist_route"], res["api_dist_c2"]
    report.measure(
        f"search, the selector's own SQL, p50 (distancia, {at})",
        value=sql.pct(50),
        unit="ms",
        baseline=res["raw_dist_coverage"].pct(50),
        baseline_label="the coverage-box query alone, same points",
        goal=1.0,
        goal_kind="value<=",
        note=sql.note,
    )
    # "Its SQL": what the route sends, the page with its professionals hydrated in one statement
    # (the selector's statement alone is the row above); the difference is what Django adds.
    report.measure(
        f"search API p50 at 2 connections (distancia, {at})",
        value=api2.pct(50),
        unit="ms",
        baseline=route.pct(50),
        baseline_label="the route's SQL (hydration included) p50, 2 raw clients",
        goal=1.5,
        goal_kind="diff<=",
        note=f"{api2.note}; the selector's statement alone p50 {sql.pct(50):.2f} ms",
    )
    report.measure(
        f"search API closed loop, {args.connections} connections (distancia, {at})",
        value=res["api_dist_cN"].rps,
        unit="req/s",
        baseline=route.rps,
        baseline_label="the route's SQL, 2 raw clients",
        goal=700,
        goal_kind="value>=",
        note=f"p50 {res['api_dist_cN'].pct(50):.2f} ms",
    )
    report.measure(
        f"search API open loop at {args.rate:.0f} req/s, p95 (distancia, {at})",
        value=res["api_dist_open"].pct(95),
        unit="ms",
        baseline=api2.pct(95),
        baseline_label="closed loop at 2 connections, p95",
        goal=10,
        goal_kind="value<=",
        note=res["api_dist_open"].note,
    )
    report.measure(
        f"search orden=rating, the selector's own SQL, p50 ({at})",
        value=res["raw_rating_search"].pct(50),
        unit="ms",
        baseline=res["raw_rating_coverage"].pct(50),
        baseline_label="the coverage-box query alone (rating's shape before its index)",
        goal=1.0,
        goal_kind="value<=",
        note=res["raw_rating_search"].note,
    )
    report.measure(
        f"search API orden=rating closed loop, {args.connections} connections ({at})",
        value=res["api_rating_cN"].rps,
        unit="req/s",
        baseline=res["raw_rating_route"].rps,
        baseline_label="the route's SQL, 2 raw clients",
        goal_kind="value>=",
    )
    for key in ("raw_dist_search", "api_dist_cN", "api_rating_cN"):
        cpu = ", ".join(f"{name} {ms:.2f}" for name, ms in res[key].cpu_ms.items())
        if key.startswith("api"):
            # What the machine's cores allow at this CPU per request, whatever the workers' balance.
            capacity = 1000 * (os.cpu_count() or 1) / sum(res[key].cpu_ms.values())
            _, split, balance = res[key].cpu.partition("; CPU split")
            cpu += f"; the cores allow ~{capacity:.0f} req/s at that CPU" + (f"; CPU split{balance}" if split else "")
        report.note(f"CPU ms per request, {res[key].label} ({res[key].note.split(',')[0]}): {cpu}")
    for line in res.get("profile", []):
        report.note(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100k professionals, 5 s per measurement")
    parser.add_argument("--profile", action="store_true", help="py-spy on one server worker (an extra run)")
    parser.add_argument("--size", choices=list(SIZES), help="default 1m (100k with --quick)")
    parser.add_argument("--seconds", type=float, help="per measurement (default 15, 5 with --quick)")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections for the saturating run")
    parser.add_argument("--rate", type=float, default=350, help="open-loop requests per second")
    parser.add_argument("--queries", type=int, default=20_000, help="pre-generated query points per workload")
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    size = args.size or ("100k" if args.quick else "1m")
    args.seconds = args.seconds or (5.0 if args.quick else 15.0)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed (apt install wrk)")
    report = Report("search")
    django_setup(size)
    oficios = prepare()
    info = conninfo()
    print(f"search bench: {len(oficios)} oficios, {os.cpu_count()} cores, {size} professionals")
    generate(info, oficios, SIZES[size])
    if args.generate_only:
        return
    res = measure(info, oficios, args, size)
    record(report, res, args, size)
    dist = workload(oficios, 2000, "distancia")
    with _connect(info, autocommit=True) as conn:
        cur = conn.cursor()
        sample = next(q for q in dist if q.city == CITIES[0][0] and raw_search(cur, q)[1] == "window")
    report.note(explain(info, sample))
    report.note(explain(info, Q(sample.city, sample.lat, sample.lng, sample.oficio_id, "rating")))
    report.note(knn_spread(info, oficios))
    report.finish()


if __name__ == "__main__":
    main()
