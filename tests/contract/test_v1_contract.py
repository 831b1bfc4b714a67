"""Every v1 route (`tests/contract/v1_table.py`, derived from `V1-CONTRACT.md`) called for real on
the running system, as the v1 clients call it, and its answer checked against its row: the success
status, every v1 key present with its JSON type (dec-strings with the column's scale, § 1.5's
numbers as numbers), enum values, absolute image URLs, and which id each id-field carries (§ 1.9).

One walk through the product makes the state every route needs (people, a professional approved
with a portfolio, ofertas, trabajos paid, released, cancelled, a review); each answer is recorded
under its row and checked at the end. A route that answers differently from its row fails the test;
so does a row that was never called. `KNOWN_GAPS` lists, per route, what this backend does not yet
serve as the table says: the test fails too when one of them is fixed (remove it from the list)."""

from __future__ import annotations

import os
import uuid
from collections import defaultdict

import httpx
import pytest
import redis
from django.conf import settings as django_settings

import conectar.settings as product_settings
from conectar.platform.eventbus.models import OutboxEvent
from tests.contract.v1_check import Ids, check
from tests.contract.v1_table import ROUTES
from tests.e2e import journey, system
from tests.support.files import image_bytes
from tests.support.professionals import oficio

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, databases="__all__")]

SERVICE_KEY = "contract-webhook-key-0123456789"
MENDOZA = (-32.8895, -68.8458)

# route number (v1_table) → the problems `check` reports for it today; each is work left (issue 14).
KNOWN_GAPS: dict[int, set[str]] = {}


# --- the system, as tests/e2e runs it, plus the webhook's service key ----------------------------------


@pytest.fixture
def e2e(transactional_db, django_db_blocker, celery_worker):
    """Started for the one test here and stopped before its databases are flushed (a worker still
    busy with the walk's last events would deadlock the flush)."""
    celery_worker.stop(cleanup=False)  # see tests/e2e/conftest.py: the suite's worker would steal work
    broker = redis.Redis.from_url(django_settings.CELERY_BROKER_URL)
    broker.flushdb()
    previous = os.environ.get("INTERNAL_SERVICE_KEYS")
    os.environ["INTERNAL_SERVICE_KEYS"] = SERVICE_KEY  # what the v1 chat webhook presents as X-API-Key
    try:
        with django_db_blocker.unblock():
            running = system.start()
    finally:
        if previous is None:
            os.environ.pop("INTERNAL_SERVICE_KEYS", None)
        else:
            os.environ["INTERNAL_SERVICE_KEYS"] = previous
    yield running
    running.stop()
    broker.flushdb()


@pytest.fixture
def api(e2e, transactional_db):
    oficio("Plomero")  # the catalogue again after an earlier test's flush
    client = journey.Api(e2e)
    yield client
    client.close()


@pytest.fixture
def staff(api, django_user_model, settings) -> journey.Person:
    settings.PASSWORD_HASHERS = product_settings.PASSWORD_HASHERS  # hashed as the web server checks it
    return journey.staff_member(api, django_user_model)


# --- recording the answers -----------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.answers: dict[int, list[httpx.Response]] = defaultdict(list)

    def __call__(self, n: int, response: httpx.Response):
        """Record the answer of route `n` and hand its body to the walk (which needs it to go on)."""
        self.answers[n].append(response)
        if response.status_code >= 300 or not response.content:
            return None  # the wrong status is reported with the others at the end
        return response.json()


def problems_of(row: dict, responses: list[httpx.Response], ids: Ids) -> set[str]:
    if not responses:
        return {"never called"}
    problems: set[str] = set()
    for response in responses:
        if response.status_code != row["status"]:
            problems.add(f"status {response.status_code}, expected {row['status']}")
            continue
        body = response.json() if response.content else None
        problems.update(check(row["body"], body, ids))
        aliases = row.get("aliases")
        if aliases:
            items = body if isinstance(body, list) else [body]
            for item in items:
                problems.update(f"alias {p}" for p in check(aliases, item, ids))
    return problems


# --- the walk ----------------------------------------------------------------------------------------

PDF = [("files", ("dni.pdf", journey.pdf_bytes(), "application/pdf"))]


class Walk:
    """The people and what they made so far; each phase calls its routes through `hit`."""

    def __init__(self, e2e, api: journey.Api, staff: journey.Person):
        self.e2e, self.api, self.staff = e2e, api, staff
        self.hit = Recorder()
        self.ids = Ids()
        self.ids.users.add(staff.user_id)

    def person(self, rol: str, nombre: str, apellido: str) -> journey.Person:
        person = journey.register(self.api, rol=rol, nombre=nombre, apellido=apellido)
        self.ids.users.add(person.user_id)
        return person

    def professional_profile(self, pro: journey.Person) -> httpx.Response:
        me = self.api.settle(lambda: (r := pro.get("/professional/me")).status_code == 200 and r, "the profile")
        pro.professional_id = me.json()["id"]
        self.ids.professionals.add(pro.professional_id)
        return me

    def root_and_health(self) -> None:
        with httpx.Client(base_url=self.e2e.web_url, timeout=20) as root:
            self.hit(1, root.get("/"))
        self.hit(2, self.api.http.get("/health"))

    def accounts(self) -> journey.Person:
        """Register, login, password reset and the user's own screens; the client of the deals."""
        hit, api = self.hit, self.api
        email = f"contrato.{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": email, "password": journey.PASSWORD, "nombre": "Carla", "apellido": "Ibáñez", "rol": "CLIENTE"}
        registered = hit(3, api.http.post("/auth/register", json=body))
        self.ids.users.add(registered["id"])
        tokens = hit(4, api.http.post("/auth/login", data={"username": email, "password": journey.PASSWORD}))
        cliente = journey.Person(api, registered["id"], email, "CLIENTE", "Carla", tokens["access_token"])
        hit(5, api.http.post("/auth/forgot-password", json={"email": email}))
        event = api.settle(
            lambda: (
                OutboxEvent.objects.using("default")
                .filter(event_type="auth_ctx.password_reset_requested.v1", envelope__payload__email=email)
                .values_list("envelope", flat=True)
                .first()
            ),
            "the reset link",
        )
        token = httpx.URL(event["payload"]["reset_url"]).params["token"]
        hit(6, api.http.post("/auth/reset-password", json={"token": token, "new_password": "Canilla-Nueva-2025"}))
        cliente.access = journey.login(api, email, "Canilla-Nueva-2025")
        hit(7, cliente.get("/users/me"))
        hit(8, cliente.put("/users/me", json={"nombre": "Carla María"}))
        hit(9, cliente.post("/users/me/avatar", files={"file": ("yo.png", image_bytes("PNG"), "image/png")}))
        back = {"current_password": "Canilla-Nueva-2025", "new_password": journey.PASSWORD}
        changed = hit(10, cliente.post("/users/me/change-password", json=back)) or {}
        cliente.access = changed.get("access_token") or journey.login(api, email)
        return cliente

    def catalogue(self, cliente: journey.Person) -> tuple[str, str, str]:
        """Staff add an oficio and a servicio; anyone logged in reads them (§ 6.9)."""
        hit, staff = self.hit, self.staff
        body = {"nombre": f"Colocador {uuid.uuid4().hex[:6]}", "descripcion": "Pisos y revestimientos"}
        nuevo = hit(38, staff.post("/admin/oficios", json=body))
        hit(39, cliente.get("/admin/oficios"))
        plomero = journey.oficio_id(self.api, "Plomero")
        servicio = hit(40, staff.post("/admin/servicios-instant", json={"nombre": "Destapación", "oficio_id": plomero}))
        hit(41, cliente.get(f"/admin/oficios/{plomero}/servicios-instant"))
        hit(51, self.api.http.get("/public/oficios"))
        return plomero, nuevo["id"], servicio["id"]

    def professional(self, plomero: str, nuevo: str, servicio: str) -> tuple[journey.Person, journey.Person]:
        """A professional fills the profile, uploads KYC and is approved; another one is rejected."""
        hit = self.hit
        pro = self.person("PROFESIONAL", "Tomas", "Quiroga")
        hit(11, self.professional_profile(pro))
        hit(12, pro.put("/professional/profile", json={"radio_cobertura_km": 25, "tarifa_por_hora": "7500"}))
        hit(16, pro.put("/professional/profile/location", json={"latitude": MENDOZA[0], "longitude": MENDOZA[1]}))
        hit(14, pro.put("/professional/profile/oficios", json={"oficio_ids": [plomero, nuevo]}))
        hit(15, pro.put("/professional/profile/servicios-instant", json={"servicio_ids": [servicio]}))
        hit(17, pro.put("/professional/payout-info", json={"payout_account": "tomas.quiroga.mp"}))
        hit(13, pro.post("/professional/kyc/upload", files=PDF))
        hit(35, self.staff.get("/admin/kyc/pendientes"))
        hit(36, self.staff.post(f"/admin/kyc/approve/{pro.professional_id}"))

        otro = self.person("PROFESIONAL", "Ivan", "Lucero")
        self.professional_profile(otro)
        journey.expect(otro.post("/professional/kyc/upload", files=PDF))
        hit(37, self.staff.post(f"/admin/kyc/reject/{otro.professional_id}"))  # no body (§ 6.9)
        return pro, otro

    def portfolio(self, pro: journey.Person) -> None:
        hit = self.hit
        body = {"titulo": "Baño completo", "descripcion": "Antes y después"}
        item = hit(20, pro.post("/professional/portfolio", json=body))
        png = {"file": ("obra.png", image_bytes("PNG"), "image/png")}
        hit(21, pro.post(f"/professional/portfolio/{item['id']}/image", files=png))
        with_two = hit(21, pro.post(f"/professional/portfolio/{item['id']}/image", files=png))
        hit(19, pro.put(f"/professional/portfolio/{item['id']}", json={"titulo": "Baño completo en Godoy Cruz"}))
        last = (with_two.get("imagenes") or with_two.get("images"))[-1]["id"]  # v1 key, or this project's
        hit(23, pro.call("DELETE", f"/professional/portfolio/{item['id']}/image/{last}"))
        extra = journey.expect(pro.post("/professional/portfolio", json={"titulo": "Para borrar"}), 201)
        hit(22, pro.call("DELETE", f"/professional/portfolio/{extra['id']}"))
        hit(18, pro.get("/professional/portfolio"))
        hit(52, self.api.http.get(f"/public/professional/{pro.professional_id}/portfolio"))

    def search(self, plomero: str) -> None:
        params = {"oficio_id": plomero, "lat": MENDOZA[0], "lng": MENDOZA[1]}
        found = self.api.settle(
            lambda: (
                (r := self.api.http.get("/search/professionals", params=params)).status_code == 200 and r.json() and r
            ),
            "the professional in search",
        )
        self.hit(54, found)
        # the frontend's own requests (§ 4.2): explorar with nothing picked, browse with no point (0,0)
        explorar = {"oficio_id": "", "lat": "", "lng": "", "q": ""}
        browse = {"oficio": "Plomero", "ubicacion_lat": 0, "ubicacion_lon": 0, "radio_km": 10}
        for params in (explorar, browse):
            self.hit(54, self.api.http.get("/search/professionals", params=params))

    def chat(self, cliente: journey.Person, pro: journey.Person) -> str:
        hit = self.hit
        body = {"cliente_id": cliente.user_id, "profesional_id": pro.user_id}
        chat_id = hit(57, cliente.post("/chat/create", json=body))["id"]
        hit(59, cliente.post("/chat/send-message", json={"chat_id": chat_id, "text": "Hola, ¿podés venir el lunes?"}))
        hit(59, pro.post("/chat/send-message", json={"chat_id": chat_id, "text": "Sí, a la mañana."}))
        hit(58, cliente.get("/chat/my-chats"))
        hit(60, cliente.get(f"/chat/messages/{chat_id}"))
        hit(62, cliente.get("/chat/unread-count"))
        hit(61, cliente.post(f"/chat/mark-read/{chat_id}"))
        return chat_id

    def deals(self, cliente: journey.Person, pro: journey.Person, chat_id: str) -> str:
        """Four ofertas: one rejected, three accepted and paid; then one released and reviewed, one
        cancelled by the client, one by staff. The released trabajo's id."""
        hit, staff = self.hit, self.staff
        descripcion = "Cambio de canilla y flexibles de la cocina"
        ofertas = [
            hit(
                24,
                pro.post(
                    "/professional/ofertas",
                    json={
                        "cliente_id": cliente.user_id,
                        "chat_id": chat_id,
                        "descripcion": descripcion,
                        "precio_final": p,
                    },
                ),
            )
            for p in ("15000", "20000.5", "9000.00", "12000.00")
        ]
        hit(25, pro.get("/professional/ofertas"))
        hit(26, cliente.get("/cliente/ofertas"))
        hit(29, cliente.get(f"/cliente/ofertas/{ofertas[0]['id']}"))
        hit(28, cliente.post(f"/cliente/ofertas/{ofertas[0]['id']}/reject"))
        accepted = [hit(27, cliente.post(f"/cliente/ofertas/{o['id']}/accept")) for o in ofertas[1:]]
        released, cancelled, by_staff = (a["trabajo_id"] for a in accepted)

        # paid: one at the checkout page, two with the staff's sandbox tool
        assert journey.pay_in_sandbox(accepted[0]["payment_url"]).status_code in {200, 302}
        hit(44, staff.post(f"/admin/trabajo/{cancelled}/simular-pago"))
        hit(44, staff.post(f"/admin/trabajo/{by_staff}/simular-pago"))
        for trabajo_id in (released, cancelled, by_staff):
            journey.wait_estado(cliente, trabajo_id, "PAGADO_EN_ESCROW")

        hit(30, cliente.get("/cliente/trabajos"))
        hit(31, cliente.get(f"/cliente/trabajo/{released}"))
        hit(63, pro.get("/professional/trabajos"))
        hit(43, staff.get("/admin/trabajos"))

        hit(32, cliente.post(f"/cliente/trabajo/{released}/finalizar"))
        hit(34, cliente.post(f"/cliente/trabajo/{released}/resena", json={"rating": 5, "texto_resena": "Impecable."}))
        hit(33, cliente.post(f"/cliente/trabajo/{cancelled}/cancelar"))
        hit(42, staff.post(f"/admin/trabajo/{by_staff}/cancelar"))
        hit(49, staff.get("/admin/metrics/financials"))
        return released

    def public_profile(self, pro: journey.Person, released: str) -> None:
        """The public profile once the review is published (both sides reviewed)."""
        journey.review(pro, released, rating=5, texto="Excelente cliente.")
        public = self.api.settle(
            lambda: (
                (r := self.api.http.get(f"/public/professional/{pro.professional_id}")).status_code == 200
                and r.json().get("resenas")
                and r
            ),
            "the review on the public profile",
        )
        self.hit(53, public)

    def staff_tools(self, cliente: journey.Person, otro: journey.Person) -> None:
        hit, staff = self.hit, self.staff
        hit(45, staff.get("/admin/users", params={"page": 1, "limit": 10}))
        hit(46, staff.get("/admin/users/search", params={"email": "contrato."}))
        hit(47, staff.post(f"/admin/users/{otro.user_id}/ban"))
        hit(48, staff.post(f"/admin/users/{otro.user_id}/unban"))
        hit(50, staff.get("/admin/metrics/users"))
        infraction = {"user_id": cliente.user_id}
        hit(55, self.api.http.post("/webhook/chat/infraction", json=infraction, headers={"X-API-Key": SERVICE_KEY}))
        hit(56, self.api.http.post("/webhook/mercadopago", json={"type": "test", "data": {"id": "1"}}))

    def verdict(self) -> list[str]:
        """What differs from KNOWN_GAPS, route by route (empty when nothing does)."""
        found = {}
        for row in ROUTES:
            problems = problems_of(row, self.hit.answers.get(row["n"], []), self.ids)
            if problems:
                found[row["n"]] = problems
        report = []
        for n in sorted(set(found) | set(KNOWN_GAPS)):
            now, known = found.get(n, set()), KNOWN_GAPS.get(n, set())
            if now != known:
                row = next(r for r in ROUTES if r["n"] == n)
                report.append(f"{n} {row['method']} {row['path']}")
                report += [f"    new: {p}" for p in sorted(now - known)]
                report += [f"    fixed (drop it from KNOWN_GAPS): {p}" for p in sorted(known - now)]
        if report:
            report.append(f"\nall problems now: {found!r}")
        return report


def test_every_v1_route_answers_as_its_row(e2e, api, staff):
    walk = Walk(e2e, api, staff)
    walk.root_and_health()
    cliente = walk.accounts()
    plomero, nuevo, servicio = walk.catalogue(cliente)
    pro, otro = walk.professional(plomero, nuevo, servicio)
    walk.portfolio(pro)
    walk.search(plomero)
    chat_id = walk.chat(cliente, pro)
    released = walk.deals(cliente, pro, chat_id)
    walk.public_profile(pro, released)
    walk.staff_tools(cliente, otro)
    report = walk.verdict()
    assert not report, "\n" + "\n".join(report)
