"""`manage.py seed_demo`: the demo data `make run` loads — created once, found by the public search
where it lives, the KYC queue filled, and the credentials scripts/run.sh prints working."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from conectar.auth_ctx import facade as accounts
from conectar.devtools.demo.catalogue import CITIES
from conectar.devtools.demo.credentials import APPROVED_EMAIL, DEFAULTS, PENDING_EMAIL, Credentials
from conectar.devtools.demo.plan import (
    DEFAULT_APPROVED,
    DEFAULT_PENDING,
    approved_professionals,
    featured_professional,
    pending_professionals,
)
from conectar.platform.databases import ALIASES
from conectar.platform.eventbus.models import OutboxEvent
from conectar.professionals import facade as professionals
from conectar.users import facade as users
from tests.support.accounts import bearer
from tests.support.events import deliver_outbox

pytestmark = pytest.mark.django_db(databases="__all__")

RUN_SH = Path(__file__).resolve().parents[2] / "scripts" / "run.sh"
SMALL = 6  # approved professionals in the quick tests; the spread test seeds the default 200
PENDING = 4


def seed(professionals: int = SMALL) -> str:
    out = io.StringIO()
    call_command("seed_demo", professionals=professionals, stdout=out)
    return out.getvalue()


def snapshot(media: Path) -> dict:
    """What a run leaves: accounts, KYC states, events and stored files."""
    roles, kyc = accounts.count_by_role(), professionals.kyc_counts()
    return {
        "accounts": (roles.clientes, roles.profesionales, roles.admins),
        "kyc": (kyc.aprobados, kyc.pendientes),
        "events": {alias: OutboxEvent.objects.using(alias).count() for alias in ALIASES},
        "files": sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()),
    }


def login(client, email: str, password: str):
    return client.post("/api/v1/auth/login", {"email": email, "password": password}, content_type="application/json")


def token(client, email: str, password: str) -> str:
    response = login(client, email, password)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def search_all(client, lat: float, lng: float) -> list[dict]:
    """Every page of the public search at a point (API.md: cursor in X-Next-Cursor)."""
    results, params = [], {"lat": lat, "lng": lng, "limit": 50}
    while True:
        response = client.get("/api/v1/search/professionals", params)
        assert response.status_code == 200, response.content
        results += response.json()
        if not response.has_header("X-Next-Cursor"):
            return results
        params["cursor"] = response["X-Next-Cursor"]


def account_ids(emails: list[str]) -> dict[str, str]:
    found = accounts.search_accounts(email_fragment="conectar.local", limit=1000)
    ids = {a.email: str(a.id) for a in found}
    return {email: ids[email] for email in emails}


def test_a_second_run_creates_nothing(tmp_path):
    first = seed()
    assert "demo data:" in first
    media = tmp_path  # the test's MEDIA_ROOT and private KYC storage both live here
    after_first = snapshot(media)
    assert after_first["accounts"] == (1, SMALL + 1 + PENDING, 1)
    assert after_first["kyc"] == (SMALL + 1, PENDING)

    # The worker delivers the registrations meanwhile: profiles appear, nothing is doubled.
    deliver_outbox(to={"users", "professionals"})
    cliente = accounts.search_accounts(email_fragment=DEFAULTS["DEMO_CLIENTE_EMAIL"])[0]
    assert users.get_profile(user_id=cliente.id).nombre == "Lucía"
    after_delivery = snapshot(media)

    second = seed()
    assert "nothing to create" in second
    assert snapshot(media) == after_delivery
    assert (after_delivery["accounts"], after_delivery["kyc"], after_delivery["files"]) == (
        after_first["accounts"],
        after_first["kyc"],
        after_first["files"],
    )


def test_the_printed_credentials_log_in(client):
    output = seed()
    printed = dict(re.findall(r"^\s+(admin|cliente|profesional)\s+(\S+ / \S+)$", output, flags=re.MULTILINE))
    credentials = Credentials.from_env()
    assert printed == {
        "admin": f"{credentials.admin_email} / {credentials.admin_password}",
        "cliente": f"{credentials.cliente_email} / {credentials.password}",
        "profesional": f"{credentials.profesional_email} / {credentials.password}",
    }
    tokens = {role: token(client, *pair.split(" / ")) for role, pair in printed.items()}

    me = client.get("/api/v1/professional/me", headers=bearer(tokens["profesional"]))
    assert (me.status_code, me.json()["estado_verificacion"]) == (200, "APROBADO")
    assert client.get("/api/v1/admin/kyc/pendientes", headers=bearer(tokens["cliente"])).status_code == 403
    # Every other demo professional shares the password.
    background = approved_professionals(1)[0].email
    assert login(client, background, credentials.password).status_code == 200


def test_run_sh_prints_the_commands_defaults():
    script = RUN_SH.read_text()
    exported = dict(re.findall(r"export (ADMIN_\w+|DEMO_\w+)=\$\{\1:-([^}]+)\}", script))
    assert exported == DEFAULTS
    for email in (APPROVED_EMAIL.format(number=DEFAULT_APPROVED), PENDING_EMAIL.format(number=DEFAULT_PENDING)):
        assert email in script


def test_credentials_come_from_the_environment(client, monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "Otra-Clave-De-Demo-77")
    monkeypatch.setenv("DEMO_CLIENTE_EMAIL", "compradora@example.com")
    seed(professionals=1)
    assert login(client, "compradora@example.com", "Otra-Clave-De-Demo-77").status_code == 200
    assert login(client, DEFAULTS["DEMO_PROFESIONAL_EMAIL"], "Otra-Clave-De-Demo-77").status_code == 200
    assert login(client, DEFAULTS["DEMO_CLIENTE_EMAIL"], DEFAULTS["DEMO_PASSWORD"]).status_code == 401


def test_pending_professionals_wait_in_the_kyc_queue_and_cannot_be_found(client):
    seed()
    credentials = Credentials.from_env()
    admin = token(client, credentials.admin_email, credentials.admin_password)
    queue = client.get("/api/v1/admin/kyc/pendientes", headers=bearer(admin)).json()
    pending = pending_professionals(PENDING)
    assert sorted((p["nombre"], p["apellido"]) for p in queue) == sorted((p.nombre, p.apellido) for p in pending)
    assert all(len(entry["documentos"]) == 3 for entry in queue)

    ids = set(account_ids([p.email for p in pending]).values())
    for person in pending:
        found = {r["usuario_id"] for r in search_all(client, person.latitude, person.longitude)}
        assert found, "approved professionals nearby are found"
        assert not found & ids


def test_the_admin_pages_run_sh_prints_open_for_the_demo_admin(client):
    seed()
    pending = pending_professionals(PENDING)
    credentials = Credentials.from_env()
    assert client.login(email=credentials.admin_email, password=credentials.admin_password)
    paths = re.findall(r"http://127\.0\.0\.1:\$PORT(/(?:admin|api/v1/docs)\S*)", RUN_SH.read_text())
    assert {"/admin/professionals/professional/", "/admin/notifications/devmessage/"} <= set(paths)
    for path in paths:
        assert client.get(path).status_code == 200, path
    kyc_queue = client.get("/admin/professionals/professional/").content.decode()
    assert all(p.apellido in kyc_queue for p in pending)


def test_portfolio_images_are_served_and_valid(client):
    seed()
    credentials = Credentials.from_env()
    me = client.get(
        "/api/v1/professional/me", headers=bearer(token(client, credentials.profesional_email, credentials.password))
    ).json()
    portfolio = client.get(f"/api/v1/public/professional/{me['id']}/portfolio").json()
    featured = featured_professional(credentials.profesional_email)
    assert [item["titulo"] for item in portfolio] == [entry.titulo for entry in featured.portfolio]
    urls = [image["url"] for item in portfolio for image in item["images"]]
    assert len(urls) == sum(entry.images for entry in featured.portfolio)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        with Image.open(io.BytesIO(b"".join(response.streaming_content))) as picture:
            picture.verify()
            assert (picture.format, picture.size) == ("JPEG", (480, 360))


def test_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", professionals=1, stdout=io.StringIO())
    assert accounts.count_by_role().clientes == 0


def test_the_default_demo_spreads_over_three_cities_and_search_finds_everyone(client):
    """Each professional lives within a few km of a barrio's point and covers it, so the public
    search at the barrios of a city finds exactly that city's approved professionals."""
    seed(professionals=DEFAULT_APPROVED)
    credentials = Credentials.from_env()
    people = [featured_professional(credentials.profesional_email), *approved_professionals(DEFAULT_APPROVED)]
    ids = account_ids([p.email for p in people])
    pending = set(account_ids([p.email for p in pending_professionals(PENDING)]).values())

    per_city = {}
    for city in CITIES:
        found = {
            r["usuario_id"] for barrio in city.barrios for r in search_all(client, barrio.latitude, barrio.longitude)
        }
        expected = {ids[p.email] for p in people if p.city == city.nombre}
        assert found & set(ids.values()) == expected, city.nombre
        assert not found & pending
        per_city[city.nombre] = len(expected)
    assert sum(per_city.values()) == DEFAULT_APPROVED + 1
    assert per_city["Buenos Aires"] > per_city["Córdoba"] + per_city["Rosario"]
    assert min(per_city.values()) >= 25
