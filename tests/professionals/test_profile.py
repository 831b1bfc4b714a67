import pytest

from conectar.professionals.models import ANY_OFICIO, SearchEntry, ServicioInstant
from conectar.professionals.payout import _BLOCK1_WEIGHTS, _BLOCK2_WEIGHTS, _check_digit
from tests.support.accounts import signed_up
from tests.support.events import published
from tests.support.professionals import approve, new_professional, oficio

pytestmark = pytest.mark.django_db(databases="__all__")


def valid_cbu(entity_branch="0170099", account="2000001234567") -> str:
    block1 = f"{entity_branch}{_check_digit(entity_branch, _BLOCK1_WEIGHTS)}"
    return f"{block1}{account}{_check_digit(account, _BLOCK2_WEIGHTS)}"


def put(client, pro, path, body):
    return client.put(path, body, content_type="application/json", headers=pro.headers)


def test_a_registered_professional_has_a_fresh_profile(client):
    pro = new_professional(client, nombre="Rita", apellido="Luna")
    for path in ("/api/v1/professional/profile", "/api/v1/professional/me"):
        body = client.get(path, headers=pro.headers).json()
        assert body["id"] == pro.id
        assert body["usuario_id"] == pro.session.user_id
        assert body["email"] == pro.session.email
        assert (body["nombre"], body["apellido"]) == ("Rita", "Luna")
        assert body["estado_verificacion"] == "PENDIENTE"
        assert body["nivel"] == "BRONCE"
        assert body["tasa_comision_actual"] == "0.20"  # v1: the fraction with two places
        assert (body["comision_porcentaje"], body["rating_promedio"], body["kyc_status"]) == (20.0, 0.0, "PENDIENTE")
        assert body["radio_cobertura_km"] == 10
        assert body["puede_recibir_trabajos"] is False


def test_clients_and_anonymous_callers_are_kept_out(client):
    cliente = signed_up(client)
    assert client.get("/api/v1/professional/profile", headers=cliente.headers).status_code == 403
    assert client.get("/api/v1/professional/profile").status_code == 401
    assert put(client, cliente, "/api/v1/professional/location", {"latitude": 1, "longitude": 1}).status_code == 403


def test_partial_profile_updates(client):
    pro = new_professional(client)
    body = put(client, pro, "/api/v1/professional/profile", {"radio_cobertura_km": 25}).json()
    assert body["radio_cobertura_km"] == 25
    body = put(
        client, pro, "/api/v1/professional/profile", {"tarifa_por_hora": "15000.5", "acepta_instant": True}
    ).json()
    assert (body["radio_cobertura_km"], body["tarifa_por_hora"], body["acepta_instant"]) == (25, "15000.50", True)
    assert put(client, pro, "/api/v1/professional/profile", {"tarifa_por_hora": None}).json()["tarifa_por_hora"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"radio_cobertura_km": 0}, "radio_cobertura_km"),
        ({"radio_cobertura_km": 501}, "radio_cobertura_km"),
        ({"tarifa_por_hora": -1}, "tarifa_por_hora"),
        ({"tarifa_por_hora": "mucho"}, "tarifa_por_hora"),
        ({"tarifa_por_hora": "10.123"}, "tarifa_por_hora"),
    ],
)
def test_out_of_range_settings_are_422(client, body, field):
    pro = new_professional(client)
    response = put(client, pro, "/api/v1/professional/profile", body)
    assert response.status_code == 422
    assert field in response.json()["fields"]


@pytest.mark.parametrize(
    "body", [{"latitude": 91, "longitude": 0}, {"latitude": 0, "longitude": -181}, {"latitude": "x", "longitude": 0}]
)
def test_out_of_range_coordinates_are_422(client, body):
    pro = new_professional(client)
    assert put(client, pro, "/api/v1/professional/location", body).status_code == 422


def test_location_on_every_path_publishes_location_updated(client):
    pro = new_professional(client)
    for method, path in [
        ("put", "/api/v1/professional/location"),
        ("post", "/api/v1/professional/location"),
        ("put", "/api/v1/professional/profile/location"),
        ("post", "/api/v1/professional/profile/location"),
    ]:
        response = getattr(client, method)(
            path, {"latitude": -31.4201, "longitude": -64.1888}, content_type="application/json", headers=pro.headers
        )
        assert response.status_code == 200, path
        assert (response.json()["latitude"], response.json()["longitude"]) == (-31.4201, -64.1888)
    assert len(published("professionals.location_updated.v1", "professionals")) == 4


def test_oficios_replace_the_set_and_unknown_ids_are_404(client):
    pro = new_professional(client)
    plomero, gasista = oficio("Plomero"), oficio("Gasista matriculado")
    body = put(client, pro, "/api/v1/professional/oficios", {"oficio_ids": [str(plomero.pk), str(gasista.pk)]}).json()
    assert {o["nombre"] for o in body["oficios"]} == {"Plomero", "Gasista matriculado"}
    response = client.post(
        "/api/v1/professional/oficios",
        {"oficio_ids": [str(gasista.pk)]},
        content_type="application/json",
        headers=pro.headers,
    )
    assert [o["nombre"] for o in response.json()["oficios"]] == ["Gasista matriculado"]
    v1 = put(client, pro, "/api/v1/professional/profile/oficios", {"oficio_ids": [str(gasista.pk)]}).json()
    assert [(o["id"], o["nombre"]) for o in v1] == [(str(gasista.pk), "Gasista matriculado")]  # v1: the new set
    missing = put(client, pro, "/api/v1/professional/profile/oficios", {"oficio_ids": [str(ANY_OFICIO)]})
    assert missing.status_code == 404
    assert [o.nombre for o in pro.refresh().oficios.all()] == ["Gasista matriculado"], "nothing half-written"


def test_instant_services_must_belong_to_the_professionals_oficios(client):
    pro = new_professional(client)
    plomero, cerrajero = oficio("Plomero"), oficio("Cerrajero")
    destapacion = ServicioInstant.objects.filter(oficio=plomero).first()
    apertura = ServicioInstant.objects.filter(oficio=cerrajero).first()
    put(client, pro, "/api/v1/professional/oficios", {"oficio_ids": [str(plomero.pk)]})
    path = "/api/v1/professional/profile/servicios-instant"
    assert put(client, pro, path, {"servicio_ids": [str(apertura.pk)]}).status_code == 422
    assert put(client, pro, path, {"servicio_ids": [str(ANY_OFICIO)]}).status_code == 404
    body = put(client, pro, path, {"servicio_ids": [str(destapacion.pk)]}).json()
    assert [s["id"] for s in body] == [str(destapacion.pk)]  # v1: the new set
    body = put(client, pro, "/api/v1/professional/oficios", {"oficio_ids": [str(cerrajero.pk)]}).json()
    assert body["servicios_instant"] == [], "services of a dropped oficio go with it"


def test_payout_account_accepts_cbu_cvu_and_alias_and_masks_it(client):
    pro = new_professional(client)
    cbu = valid_cbu()
    body = put(client, pro, "/api/v1/professional/payout-info", {"payout_account": cbu}).json()
    assert body["payout_account"] == "*" * 18 + cbu[-4:]
    assert pro.refresh().payout_account == cbu
    cvu = valid_cbu("0000003", "1000012345678")
    assert put(client, pro, "/api/v1/professional/payout-info", {"payout_account": cvu}).status_code == 200
    body = put(client, pro, "/api/v1/professional/payout-info", {"payout_account": "Pedro.Gomez.MP"}).json()
    assert body["payout_account"] == "pedro.gomez.mp"


@pytest.mark.parametrize(
    "account",
    [
        valid_cbu()[:-1] + str((int(valid_cbu()[-1]) + 1) % 10),  # a wrong check digit
        "123",
        "12345678901234567890123",
        "ab",
        "alias con espacios",
        "alias_con_guion",
        "x" * 21,
    ],
)
def test_invalid_payout_accounts_are_422(client, account):
    pro = new_professional(client)
    response = put(client, pro, "/api/v1/professional/payout-info", {"payout_account": account})
    assert response.status_code == 422
    assert "payout_account" in response.json()["fields"]


def test_level_route_says_what_the_next_level_needs(client):
    pro = new_professional(client)
    body = client.get("/api/v1/professional/nivel", headers=pro.headers).json()
    assert body == {
        "nivel": "BRONCE",
        "puntos_experiencia": 0,
        "tasa_comision": "0.20",
        "siguiente_nivel": "PLATA",
        "puntos_para_siguiente": 1000,
        "tasa_comision_siguiente": "0.18",
    }


def test_the_search_index_follows_matchability(client):
    pro = new_professional(client)
    put(client, pro, "/api/v1/professional/oficios", {"oficio_ids": [str(oficio("Plomero").pk)]})
    put(client, pro, "/api/v1/professional/location", {"latitude": -34.6, "longitude": -58.4})
    assert not SearchEntry.objects.filter(professional_id=pro.id).exists(), "not approved yet"
    approve(pro)
    assert set(SearchEntry.objects.filter(professional_id=pro.id).values_list("oficio_id", flat=True)) == {
        ANY_OFICIO,
        oficio("Plomero").pk,
    }
    assert published("professionals.professional_approved.v1", "professionals")[0]["professional_id"] == pro.id


def test_a_client_gets_403_before_any_validation(client):
    cliente = signed_up(client)
    response = put(client, cliente, "/api/v1/professional/profile", {"radio_cobertura_km": "no es un número"})
    assert response.status_code == 403
    assert "fields" not in response.json()
