"""Search returns exactly the matchable professionals whose own coverage contains the point."""

import math
import random
import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.gis.geos import Point
from django.db import connections, transaction

from conectar.auth_ctx.contracts import UserBanned
from conectar.marketplace.contracts import Actor, ReviewPublished
from conectar.platform.events import publish
from conectar.professionals.contracts import KycStatus, Nivel
from conectar.professionals.models import Oficio, Professional
from conectar.professionals.selectors.search import SearchQuery, coverage_sql, search, window_sql
from conectar.professionals.services import search_index
from conectar.shared.clock import utcnow
from tests.support.events import deliver_outbox
from tests.support.professionals import BUENOS_AIRES, matchable_professional, new_professional, oficio

pytestmark = pytest.mark.django_db(databases="__all__")

OBELISCO = BUENOS_AIRES
PALERMO = (-34.5800, -58.4200)  # ~4.4 km from the Obelisco
LA_PLATA = (-34.9214, -57.9545)  # ~53 km
ROSARIO = (-32.9468, -60.6393)  # ~278 km


def find(client, **params):
    response = client.get("/api/v1/search/professionals", {"lat": OBELISCO[0], "lng": OBELISCO[1], **params})
    assert response.status_code == 200, response.content
    return response


def names(response) -> list[str]:
    return [r["nombre"] for r in response.json()]


@pytest.fixture
def city(client):
    """Hand-checked: who covers the Obelisco for Plomero, and who must not appear."""
    pros = {
        "cerca": matchable_professional(client, at=PALERMO, radio_km=10, nombre="Cerca", tarifa=12000),
        "lejos_grande": matchable_professional(client, at=LA_PLATA, radio_km=60, nombre="LejosGrande", tarifa=8000),
        "lejos_chico": matchable_professional(client, at=LA_PLATA, radio_km=10, nombre="LejosChico"),
        "rosario": matchable_professional(client, at=ROSARIO, radio_km=500, nombre="Rosario", acepta_instant=True),
        "electricista": matchable_professional(client, at=PALERMO, oficios=("Electricista",), nombre="Electricista"),
    }
    unapproved = new_professional(client, nombre="SinAprobar")
    put = {"content_type": "application/json", "headers": unapproved.headers}
    client.put("/api/v1/professional/location", {"latitude": PALERMO[0], "longitude": PALERMO[1]}, **put)
    client.put("/api/v1/professional/oficios", {"oficio_ids": [str(oficio("Plomero").pk)]}, **put)
    unlocated = new_professional(client, nombre="SinUbicacion")
    client.put(
        "/api/v1/professional/oficios",
        {"oficio_ids": [str(oficio("Plomero").pk)]},
        **{**put, "headers": unlocated.headers},
    )
    from tests.support.professionals import approve

    approve(unlocated)
    banned = matchable_professional(client, at=PALERMO, nombre="Suspendido")
    with transaction.atomic(using="default"):
        publish(UserBanned(user_id=uuid.UUID(banned.session.user_id), banned_by=uuid.uuid4()))
    deliver_outbox()
    return pros


def test_exactly_the_covering_matchable_professionals_nearest_first(client, city):
    response = find(client, oficio_id=str(oficio("Plomero").pk))
    assert names(response) == ["Cerca", "LejosGrande", "Rosario"]
    first = response.json()[0]
    assert first["id"] == city["cerca"].id
    assert first["usuario_id"] == city["cerca"].session.user_id
    assert 4.0 < first["distancia_km"] < 5.0
    assert [o["nombre"] for o in first["oficios"]] == ["Plomero"]
    assert {"nivel", "rating_promedio", "total_resenas", "tarifa_por_hora", "avatar_url", "apellido"} <= set(first)
    assert "email" not in first


def test_oficio_by_name_and_without_oficio(client, city):
    assert names(find(client, oficio="plomero")) == ["Cerca", "LejosGrande", "Rosario"]
    assert sorted(names(find(client))) == ["Cerca", "Electricista", "LejosGrande", "Rosario"], "no duplicates"


def test_the_client_may_narrow_by_distance(client, city):
    assert names(find(client, oficio="Plomero", radio_km=10)) == ["Cerca"]
    assert names(find(client, oficio="Plomero", radio_km=100)) == ["Cerca", "LejosGrande"]


def test_filters(client, city):
    assert names(find(client, oficio="Plomero", acepta_instant=True)) == ["Rosario"]
    assert names(find(client, oficio="Plomero", tarifa_max="10000")) == ["LejosGrande"]
    assert names(find(client, oficio="Plomero", q="lejos")) == ["LejosGrande"]
    assert names(find(client, q="electri")) == ["Electricista"], "free text matches the oficio too"
    assert names(find(client, oficio="Plomero", nivel="PLATA")) == []


def test_rating_and_level_filters_and_orders(client, city):
    lejos = city["lejos_grande"]
    with transaction.atomic(using="marketplace"):
        publish(
            ReviewPublished(
                resena_id=uuid.uuid4(),
                trabajo_id=uuid.uuid4(),
                autor_id=uuid.uuid4(),
                autor_rol=Actor.CLIENTE,
                destinatario_id=uuid.UUID(lejos.session.user_id),
                profesional_id=uuid.UUID(lejos.session.user_id),
                rating=5,
                texto="Excelente",
                autor_nombre="Ana",
                created_at=utcnow(),
            )
        )
    deliver_outbox()
    Professional.objects.filter(pk=city["rosario"].id).update(nivel=Nivel.ORO, puntos_experiencia=5000)
    search_index.reindex(Professional.objects.get(pk=city["rosario"].id))

    assert names(find(client, oficio="Plomero", rating_min="4.5")) == ["LejosGrande"]
    assert names(find(client, oficio="Plomero", orden="rating"))[0] == "LejosGrande"
    assert names(find(client, oficio="Plomero", orden="nivel"))[0] == "Rosario"
    assert names(find(client, oficio="Plomero", orden="tarifa")) == ["LejosGrande", "Cerca", "Rosario"], "no rate last"
    assert names(find(client, oficio="Plomero", nivel="ORO")) == ["Rosario"]


def test_instant_service_filter(client, city):
    plomero = oficio("Plomero")
    servicio = plomero.servicios.first()
    pro = city["lejos_grande"]
    client.put(
        "/api/v1/professional/profile/servicios-instant",
        {"servicio_ids": [str(servicio.pk)]},
        content_type="application/json",
        headers=pro.headers,
    )
    assert names(find(client, servicio_id=str(servicio.pk))) == ["LejosGrande"]


@pytest.mark.parametrize("orden", ["distancia", "rating", "nivel", "tarifa"])
def test_cursor_pages_cover_everything_once(client, city, orden):
    seen, cursor = [], None
    for _ in range(10):
        params = {"oficio": "Plomero", "orden": orden, "limit": 1}
        if cursor:
            params["cursor"] = cursor
        response = find(client, **params)
        seen += names(response)
        cursor = response.get("X-Next-Cursor")
        if not cursor:
            break
    assert sorted(seen) == ["Cerca", "LejosGrande", "Rosario"]
    assert names(find(client, oficio="Plomero", orden=orden)) == seen


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"lat": 91}, 422),
        ({"lng": -181}, 422),
        ({"radio_km": 0}, 422),
        ({"radio_km": 501}, 422),
        ({"limit": 51}, 422),
        ({"limit": 0}, 422),
        ({"orden": "precio"}, 422),
        ({"nivel": "PLATINO"}, 422),
        ({"cursor": "no-es-un-cursor"}, 422),
        ({"oficio_id": "00000000-0000-0000-0000-000000000007"}, 404),
        ({"oficio": "Astronauta"}, 404),
        ({"servicio_id": "00000000-0000-0000-0000-000000000007"}, 404),
    ],
)
def test_bad_input(client, params, status):
    response = client.get("/api/v1/search/professionals", {"lat": OBELISCO[0], "lng": OBELISCO[1], **params})
    assert response.status_code == status
    assert response.json()["code"]


def test_lat_and_lng_go_together(client):
    response = client.get("/api/v1/search/professionals", {"lat": 1})
    assert response.status_code == 422
    assert "lng" in response.json()["fields"]
    response = client.get("/api/v1/search/professionals", {"ubicacion_lon": 1})
    assert response.status_code == 422
    assert "ubicacion_lat" in response.json()["fields"]


def browse(client, **params):
    response = client.get("/api/v1/search/professionals", params)
    assert response.status_code == 200, response.content
    return response


def test_without_a_point_matchable_professionals_best_rated_first(client, city):
    """V1-CONTRACT § 4.2: the explore page sends empty oficio_id/lat/lng until something is picked,
    the browse page 0,0 for no point; both get a list (no distance), not a 422."""
    everyone = ["Cerca", "Electricista", "LejosChico", "LejosGrande", "Rosario"]
    assert sorted(names(browse(client))) == everyone
    explore = browse(client, oficio_id="", lat="", lng="", q="")
    assert sorted(names(explore)) == everyone
    assert {r["distancia_km"] for r in explore.json()} == {None}
    assert sorted(names(browse(client, oficio_id="", lat="", lng="", q="lejos"))) == ["LejosChico", "LejosGrande"]
    by_name = browse(client, oficio="Plomero", ubicacion_lat=0, ubicacion_lon=0, radio_km=10)
    assert sorted(names(by_name)) == ["Cerca", "LejosChico", "LejosGrande", "Rosario"]
    assert names(
        browse(client, oficio="Plomero", ubicacion_lat="0", ubicacion_lon="0", solo_disponibles_ahora="true")
    ) == ["Rosario"]

    Professional.objects.filter(pk=city["rosario"].id).update(nivel=Nivel.ORO, puntos_experiencia=5000)
    search_index.reindex(Professional.objects.get(pk=city["rosario"].id))
    assert names(browse(client, oficio="Plomero"))[0] == "Rosario", "no reviews anywhere: the level decides"

    seen, cursor = [], None
    for _ in range(10):
        response = browse(client, oficio="Plomero", limit=1, **({"cursor": cursor} if cursor else {}))
        seen += names(response)
        cursor = response.get("X-Next-Cursor")
        if not cursor:
            break
    assert seen == names(browse(client, oficio="Plomero"))
    assert len(seen) == 4


def test_the_browse_page_parameters_with_a_point(client, city):
    """`ubicacion_lat`/`ubicacion_lon` are the point; `incluir_fuera_de_radio` also lists those whose
    own radius misses it (nearest first, within `radio_km` if given)."""
    at = {"ubicacion_lat": OBELISCO[0], "ubicacion_lon": OBELISCO[1]}
    assert names(browse(client, oficio="Plomero", **at)) == ["Cerca", "LejosGrande", "Rosario"]
    outside_too = names(browse(client, oficio="Plomero", incluir_fuera_de_radio="true", **at))
    assert (outside_too[0], sorted(outside_too[1:3]), outside_too[3]) == (
        "Cerca",
        ["LejosChico", "LejosGrande"],  # both in La Plata
        "Rosario",
    )
    within = names(browse(client, oficio="Plomero", incluir_fuera_de_radio="true", radio_km=100, **at))
    assert (within[0], sorted(within[1:])) == ("Cerca", ["LejosChico", "LejosGrande"])
    assert names(browse(client, oficio="Plomero", solo_disponibles_ahora="true", **at)) == ["Rosario"]
    assert names(find(client, oficio_id="", oficio="Plomero", q="")) == ["Cerca", "LejosGrande", "Rosario"]


def test_a_cursor_from_another_order_is_422(client, city):
    cursor = find(client, oficio="Plomero", limit=1).get("X-Next-Cursor")
    response = client.get(
        "/api/v1/search/professionals",
        {"lat": OBELISCO[0], "lng": OBELISCO[1], "oficio": "Plomero", "orden": "rating", "cursor": cursor},
    )
    assert response.status_code == 422


def test_sql_looking_text_is_just_text(client, city):
    assert find(client, q="'; DROP TABLE professionals_professional; --").json() == []
    assert find(client, q="%").json() == []
    assert Professional.objects.count() >= 5


# --- the two query shapes against a brute-force answer -------------------------------------------


def _haversine_m(a, b) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * 6371008.8 * math.asin(math.sqrt(h))


def _crowd(n, seed=7):
    rng = random.Random(seed)
    plomero = oficio("Plomero")
    crowd = []
    for i in range(n):
        at = (OBELISCO[0] + rng.uniform(-0.5, 0.5), OBELISCO[1] + rng.uniform(-0.5, 0.5))
        professional = Professional.objects.create(
            usuario_id=uuid.uuid4(),
            nombre=f"P{i}",
            estado_verificacion=KycStatus.APROBADO,
            location=Point(at[1], at[0], srid=4326),
            radio_cobertura_km=rng.choice([5, 10, 20, 40, 80]),
            tarifa_por_hora=Decimal(rng.randint(5, 50) * 1000),
        )
        professional.oficios.add(plomero)
        search_index.reindex(professional)
        crowd.append((professional, at))
    return crowd, plomero


@pytest.mark.parametrize("limit", [5, 50])
def test_both_query_shapes_agree_with_brute_force(limit):
    """Random professionals and client points, paged to the end: everyone clearly inside their own
    coverage appears once, nobody clearly outside does, nearest first across pages. (Within 0.5 %
    of a radius the sphere used here and PostGIS's spheroid may disagree; those are left to PostGIS.)"""
    crowd, plomero = _crowd(120)
    rng = random.Random(11)
    for _ in range(15):
        point = (OBELISCO[0] + rng.uniform(-0.4, 0.4), OBELISCO[1] + rng.uniform(-0.4, 0.4))
        got, cursor = [], None
        while True:
            page = search(SearchQuery(lat=point[0], lng=point[1], oficio_id=plomero.pk, limit=limit, cursor=cursor))
            got += [(hit.distance_m, str(hit.professional_id)) for hit in page.hits]
            cursor = page.next_cursor
            if not cursor:
                break
        got_ids = [pid for _, pid in got]
        assert len(got_ids) == len(set(got_ids)), "no professional twice across pages"
        assert got == sorted(got), "nearest first across pages"
        inside = {str(p.pk) for p, at in crowd if _haversine_m(point, at) <= p.radio_cobertura_km * 1000 * 0.995}
        outside = {str(p.pk) for p, at in crowd if _haversine_m(point, at) > p.radio_cobertura_km * 1000 * 1.005}
        assert inside <= set(got_ids)
        assert not (outside & set(got_ids))


def test_the_window_answers_when_it_fills_a_page_and_falls_back_otherwise():
    _crowd(120)
    plomero = oficio("Plomero")
    dense = search(SearchQuery(lat=OBELISCO[0], lng=OBELISCO[1], oficio_id=plomero.pk, limit=3))
    assert dense.strategy == "window"
    sparse = search(SearchQuery(lat=-38.0, lng=-57.55, oficio_id=plomero.pk, limit=3))  # Mar del Plata: nobody
    assert sparse.strategy == "coverage"
    assert sparse.hits == []


def _plan(sql: str, params: dict) -> str:
    """The plan the index allows. On these tiny tables the planner would rather scan and sort, so
    those alternatives are switched off: what remains shows whether the conditions and the order
    can be index conditions at all (a type mismatch would turn them into filters — measured 40 times slower)."""
    with connections["professionals"].cursor() as cursor:
        for alternative in ("seqscan", "bitmapscan", "sort"):
            cursor.execute(f"SET LOCAL enable_{alternative} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_coverage_query_uses_both_conditions_as_index_conditions():
    _crowd(20)
    query = SearchQuery(lat=OBELISCO[0], lng=OBELISCO[1], oficio_id=oficio("Plomero").pk, orden="rating")
    params = {"lat": query.lat, "lng": query.lng, "oficio": query.oficio_id}
    with transaction.atomic(using="professionals"):
        plan = _plan(coverage_sql(query, params), params)
    assert "search_oficio_coverage_gist" in plan
    index_cond = next(line for line in plan.splitlines() if "Index Cond" in line)
    assert "oficio_id" in index_cond
    assert "coverage &&" in index_cond


def test_the_window_query_walks_the_oficio_location_index_nearest_first():
    _crowd(20)
    query = SearchQuery(lat=OBELISCO[0], lng=OBELISCO[1], oficio_id=oficio("Plomero").pk)
    params = {"lat": query.lat, "lng": query.lng, "oficio": query.oficio_id}
    with transaction.atomic(using="professionals"):
        plan = _plan(window_sql(query, params), params)
    assert "search_oficio_location_gist" in plan
    assert "Order By: (location <->" in plan
    assert "Index Cond: (oficio_id =" in plan


@pytest.mark.parametrize("statement", [window_sql, coverage_sql])
def test_a_search_reads_only_the_partition_holding_its_oficio(statement):
    """The nearest-first walk must not pass other oficios' rows near the point (at 1M that was most
    of its pages): SearchEntry is partitioned by oficio and a search prunes to one partition."""
    _crowd(20)
    plomero = oficio("Plomero").pk
    query = SearchQuery(lat=OBELISCO[0], lng=OBELISCO[1], oficio_id=plomero)
    params = {"lat": query.lat, "lng": query.lng, "oficio": query.oficio_id}
    with transaction.atomic(using="professionals"):
        plan = _plan(statement(query, params), params)
        with connections["professionals"].cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT tableoid::regclass::text FROM professionals_searchentry WHERE oficio_id = %s",
                [plomero],
            )
            holding = [row[0] for row in cursor.fetchall()]
    scanned = set(re.findall(r" on (professionals_searchentry_p\d+)", plan))
    assert len(holding) == 1
    assert scanned == set(holding), plan


def _oficios_of_first(response) -> list[str]:
    return [o["nombre"] for o in response.json()[0]["oficios"]]


def test_a_professionals_oficios_come_named_in_the_catalogues_order(client):
    chosen = ("Plomero", "Techista", "Albañil", "Técnico en heladeras")
    matchable_professional(client, at=PALERMO, oficios=chosen, nombre="Varios")
    first = find(client, oficio="Plomero").json()[0]
    ordered = list(Oficio.objects.filter(nombre__in=chosen).order_by("nombre").values_list("pk", "nombre"))
    assert first["oficios"] == [{"id": str(pk), "nombre": nombre} for pk, nombre in ordered]
    assert first["oficio"] == "Albañil"


def test_a_renamed_oficio_shows_its_new_name_once_the_processs_copy_of_the_catalogue_is_due(client, settings):
    settings.OFICIO_NAMES_TTL_SECONDS = 3600
    # An oficio of this test's own: the process's copy outlives the test, its id does not.
    gasista = Oficio.objects.create(nombre=f"Gasista de obra {uuid.uuid4().hex[:6]}")
    matchable_professional(client, at=PALERMO, oficios=(gasista.nombre,), nombre="Uno")
    assert _oficios_of_first(find(client, oficio_id=str(gasista.pk))) == [gasista.nombre]

    Oficio.objects.filter(pk=gasista.pk).update(nombre=f"{gasista.nombre} matriculado")  # staff, in the admin
    assert _oficios_of_first(find(client, oficio_id=str(gasista.pk))) == [gasista.nombre], "this process's copy"
    settings.OFICIO_NAMES_TTL_SECONDS = 0
    assert _oficios_of_first(find(client, oficio_id=str(gasista.pk))) == [f"{gasista.nombre} matriculado"]


def test_an_oficio_created_after_the_copy_was_read_is_named_at_once(client, settings):
    settings.OFICIO_NAMES_TTL_SECONDS = 3600
    pro = matchable_professional(client, at=PALERMO, oficios=("Plomero",), nombre="Uno")
    assert _oficios_of_first(find(client, oficio="Plomero")) == ["Plomero"]

    nuevo = Oficio.objects.create(nombre=f"Soldador naval {uuid.uuid4().hex[:6]}")
    ids = [str(oficio("Plomero").pk), str(nuevo.pk)]
    put = {"content_type": "application/json", "headers": pro.headers}
    assert client.put("/api/v1/professional/oficios", {"oficio_ids": ids}, **put).status_code == 200
    assert _oficios_of_first(find(client, oficio="Plomero")) == ["Plomero", nuevo.nombre]
