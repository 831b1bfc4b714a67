"""Best rated first: the rating window (the `search_oficio_rating` index walked in order) answers
exactly what the coverage query would, ties on the rating included, page after page."""

import math
import random
import uuid
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.db import connections, transaction

from conectar.professionals.contracts import KycStatus
from conectar.professionals.models import Professional
from conectar.professionals.selectors.search import SearchQuery, coverage_sql, rating_window_sql, search
from conectar.professionals.services import search_index
from tests.support.professionals import BUENOS_AIRES, oficio

pytestmark = pytest.mark.django_db(databases="__all__")

RATINGS = (Decimal("0.00"), Decimal("4.50"), Decimal("4.50"), Decimal("5.00"))  # many ties on each


def _haversine_m(a, b) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def _rated_crowd(n, seed=3):
    rng = random.Random(seed)
    plomero = oficio("Plomero")
    crowd = []
    for i in range(n):
        at = (BUENOS_AIRES[0] + rng.uniform(-0.4, 0.4), BUENOS_AIRES[1] + rng.uniform(-0.4, 0.4))
        rating = rng.choice(RATINGS)
        professional = Professional.objects.create(
            usuario_id=uuid.uuid4(),
            nombre=f"R{i}",
            estado_verificacion=KycStatus.APROBADO,
            location=Point(at[1], at[0], srid=4326),
            radio_cobertura_km=rng.choice([10, 20, 40, 80]),
            rating_promedio=rating,
            total_resenas=0 if rating == 0 else rng.randint(1, 30),
        )
        professional.oficios.add(plomero)
        search_index.reindex(professional)
        crowd.append((professional, at))
    return crowd, plomero


def test_rating_order_pages_through_ties_without_gaps_or_duplicates():
    crowd, plomero = _rated_crowd(150)
    rating_of = {str(p.pk): p.rating_promedio for p, _ in crowd}
    rng = random.Random(5)
    for _ in range(8):
        point = (BUENOS_AIRES[0] + rng.uniform(-0.3, 0.3), BUENOS_AIRES[1] + rng.uniform(-0.3, 0.3))
        got, cursor, strategies = [], None, set()
        while True:
            query = SearchQuery(
                lat=point[0], lng=point[1], oficio_id=plomero.pk, orden="rating", limit=7, cursor=cursor
            )
            page = search(query)
            strategies.add(page.strategy)
            got += [str(hit.professional_id) for hit in page.hits]
            cursor = page.next_cursor
            if not cursor:
                break
        assert len(got) == len(set(got)), "no professional twice across pages"
        assert got == sorted(got, key=lambda pid: (-rating_of[pid], pid)), "best rated first, ties by id"
        inside = {str(p.pk) for p, at in crowd if _haversine_m(point, at) <= p.radio_cobertura_km * 1000 * 0.995}
        outside = {str(p.pk) for p, at in crowd if _haversine_m(point, at) > p.radio_cobertura_km * 1000 * 1.005}
        assert inside <= set(got), "no gaps"
        assert not (outside & set(got))
        if len(got) > 7:
            assert "rating window" in strategies


def test_a_rating_window_that_fills_the_page_is_the_coverage_querys_answer():
    """A narrow window (15 rows of 150) fills the page only where many cover the point; whenever it
    does, its page and the exact coverage query's are the same, on the first page and after a cursor."""
    _, plomero = _rated_crowd(150, seed=4)
    rng = random.Random(9)
    compared = 0
    for _ in range(25):
        point = (BUENOS_AIRES[0] + rng.uniform(-0.2, 0.2), BUENOS_AIRES[1] + rng.uniform(-0.2, 0.2))
        cursor = None
        for _page in range(2):
            query = SearchQuery(
                lat=point[0], lng=point[1], oficio_id=plomero.pk, orden="rating", limit=4, cursor=cursor
            )
            window_rows = _rows(rating_window_sql, query, window=15)
            exact = _rows(coverage_sql, query)
            if len(window_rows) <= query.limit:
                break  # the window cannot tell: search() asks the coverage query
            assert window_rows == exact
            compared += 1
            cursor = search(query).next_cursor
            if cursor is None:
                break
    assert compared >= 5, "the window filled the page often enough to be compared"


def test_the_rating_window_falls_back_where_nobody_covers_the_point():
    _, plomero = _rated_crowd(30)
    sparse = search(SearchQuery(lat=-38.0, lng=-57.55, oficio_id=plomero.pk, orden="rating", limit=3))
    assert sparse.strategy == "coverage"
    assert sparse.hits == []


def test_the_rating_window_walks_the_rating_index_from_the_cursor():
    _, plomero = _rated_crowd(20)
    first = search(SearchQuery(lat=BUENOS_AIRES[0], lng=BUENOS_AIRES[1], oficio_id=plomero.pk, orden="rating", limit=2))
    assert first.next_cursor
    query = SearchQuery(
        lat=BUENOS_AIRES[0],
        lng=BUENOS_AIRES[1],
        oficio_id=plomero.pk,
        orden="rating",
        limit=2,
        cursor=first.next_cursor,
    )
    params = {"lat": query.lat, "lng": query.lng, "oficio": query.oficio_id}
    sql = rating_window_sql(query, params)
    with transaction.atomic(using="professionals"), connections["professionals"].cursor() as cursor:
        for alternative in ("seqscan", "bitmapscan", "sort"):  # tiny tables: show what the index allows
            cursor.execute(f"SET LOCAL enable_{alternative} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "search_oficio_rating" in plan
    index_cond = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "oficio_id =" in index_cond
    assert "professional_id) >" in index_cond, "the cursor positions the walk"
    assert "Sort" not in plan, "the page streams in the index's order"


def _rows(build, query, **kwargs) -> list[tuple]:
    params = {"lat": query.lat, "lng": query.lng, "oficio": query.oficio_id}
    sql = build(query, params, **kwargs)
    with connections["professionals"].cursor() as cursor:
        cursor.execute(sql, params)
        return [(pid, key) for pid, _distance, key in cursor.fetchall()]
