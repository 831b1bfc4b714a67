"""What people do, over HTTP and WebSocket only, on the v1 paths the Next.js frontend calls
(API.md). Each step checks the answer it got, so a path test fails at the step that broke; steps
that wait for the system (events, beat, MercadoPago) poll the API and name the logs if time runs out."""

from __future__ import annotations

import io
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx
from pypdf import PdfWriter
from websockets.sync.client import ClientConnection, connect

from tests.e2e.system import ACCESS_TOKEN, FRONTEND_URL, System
from tests.support.files import image_bytes
from tests.support.waiting import wait_until

PASSWORD = "Tornillo-Azul-2024"
WAIT_SECONDS = 30.0
_seq = itertools.count(1)


class Api:
    """The frontend's HTTP clients: one for the system, one for its short-fuse web server."""

    def __init__(self, system: System):
        self.system = system
        headers = {"Origin": FRONTEND_URL}
        self.http = httpx.Client(base_url=f"{system.web_url}/api/v1", timeout=20, headers=headers)
        self.short_fuse = httpx.Client(base_url=f"{system.short_fuse_url}/api/v1", timeout=20, headers=headers)

    def close(self) -> None:
        self.http.close()
        self.short_fuse.close()

    def settle(self, predicate: Callable, what: str, *, timeout: float = WAIT_SECONDS):
        """Poll until `predicate()` is truthy (and return it); on timeout, say where to look."""
        return wait_until(predicate, timeout=timeout, interval=0.1, message=f"{what} (logs: {self.system.logs})")


def expect(response: httpx.Response, status: int = 200):
    """The body of a response that must have `status`."""
    assert response.status_code == status, (
        f"{response.request.method} {response.request.url.path} answered {response.status_code}, "
        f"expected {status}: {response.text[:2000]}"
    )
    return response.json() if response.content else None


@dataclass
class Person:
    api: Api
    user_id: str
    email: str
    rol: str
    nombre: str
    access: str
    telefono: str | None = None
    device_token: str | None = None
    professional_id: str | None = None  # a professional's profile id (search, public profile, KYC queue)

    def call(self, method: str, path: str, *, short_fuse: bool = False, **kwargs) -> httpx.Response:
        client = self.api.short_fuse if short_fuse else self.api.http
        return client.request(method, path, headers={"Authorization": f"Bearer {self.access}"}, **kwargs)

    def get(self, path: str, **kwargs) -> httpx.Response:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> httpx.Response:
        return self.call("POST", path, **kwargs)

    def put(self, path: str, **kwargs) -> httpx.Response:
        return self.call("PUT", path, **kwargs)


# --- accounts -------------------------------------------------------------------------------------


def login(api: Api, email: str, password: str = PASSWORD) -> str:
    """The v1 frontend's OAuth2-style form login; the access token."""
    tokens = expect(api.http.post("/auth/login", data={"username": email, "password": password}))
    assert tokens["token_type"] == "bearer"
    return tokens["access_token"]


def register(api: Api, *, rol: str, nombre: str, apellido: str, telefono: str | None = None) -> Person:
    """Sign up and log in; then, as the app's settings screens do, a phone (for SMS) and this
    device's FCM token (for pushes)."""
    email = f"{nombre.lower()}.{next(_seq)}.{uuid.uuid4().hex[:8]}@example.com"
    body = {"email": email, "password": PASSWORD, "nombre": nombre, "apellido": apellido, "rol": rol}
    user = expect(api.http.post("/auth/register", json=body), 201)
    assert (user["email"], user["rol"]) == (email, rol)
    person = Person(api, user["id"], email, rol, nombre, login(api, email))
    if telefono:
        assert expect(person.put("/users/me", json={"telefono": telefono}))["telefono"] == telefono
        person.telefono = telefono
    token = f"fcm-{uuid.uuid4().hex}-{rol.lower()}"
    expect(person.post("/notify/devices", json={"token": token, "platform": "web"}), 201)
    person.device_token = token
    return person


def staff_member(api: Api, django_user_model) -> Person:
    """A staff account (staff never sign up: made directly in the test databases), logged in. The
    caller's settings must hash as the web server checks (the product's PASSWORD_HASHERS)."""
    email = f"staff.{uuid.uuid4().hex[:8]}@conectar.test"
    django_user_model.objects.create_superuser(email, PASSWORD)
    return staff_login(api, email)


def staff_login(api: Api, email: str) -> Person:
    access = login(api, email)
    me = expect(api.http.get("/users/me", headers={"Authorization": f"Bearer {access}"}))
    assert me["es_admin"] is True
    return Person(api, me["id"], email, "ADMIN", "Staff", access)


# --- the professional's side ------------------------------------------------------------------------


def oficio_id(api: Api, nombre: str) -> str:
    catalogue = expect(api.http.get("/public/oficios"))
    return next(o["id"] for o in catalogue if o["nombre"] == nombre)


def become_professional(
    pro: Person, *, at: tuple[float, float], radio_km: int, tarifa: str, oficios: list[str], payout_account: str
) -> dict:
    """Fill the profile the way the onboarding screens do; the profile itself comes from the
    registration event, so the first read may have to wait for it."""
    profile = pro.api.settle(
        lambda: (r := pro.get("/professional/me")).status_code == 200 and r.json(), "the professional profile"
    )
    assert profile["estado_verificacion"] == "PENDIENTE"
    pro.professional_id = profile["id"]
    settings = {"radio_cobertura_km": radio_km, "acepta_instant": False, "tarifa_por_hora": tarifa}
    expect(pro.put("/professional/profile", json=settings))
    expect(pro.put("/professional/profile/location", json={"latitude": at[0], "longitude": at[1]}))
    ids = [oficio_id(pro.api, nombre) for nombre in oficios]
    expect(pro.put("/professional/profile/oficios", json={"oficio_ids": ids}))
    profile = expect(pro.put("/professional/payout-info", json={"payout_account": payout_account}))
    assert profile["radio_cobertura_km"] == radio_km
    assert sorted(o["nombre"] for o in profile["oficios"]) == sorted(oficios)
    return profile


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=300, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload_kyc(pro: Person) -> dict:
    """DNI front (PNG), back (PDF) and a selfie (PNG): real files, checked by content."""
    files = [
        ("files", ("dni-frente.png", image_bytes("PNG"), "image/png")),
        ("files", ("dni-dorso.pdf", pdf_bytes(), "application/pdf")),
        ("files", ("selfie.png", image_bytes("PNG", size=(48, 64)), "image/png")),
    ]
    kinds = {"kinds": ["DNI_FRENTE", "DNI_DORSO", "SELFIE"]}
    status = expect(pro.post("/professional/kyc/upload", files=files, data=kinds))
    assert status["estado_verificacion"] == "EN_REVISION"
    assert sorted(d["content_type"] for d in status["documentos"]) == ["application/pdf", "image/png", "image/png"]
    return status


def approve_kyc(staff: Person, pro: Person, *, documents: int = 3) -> dict:
    """Staff find the professional, with their latest documents, in the KYC queue and approve them."""
    queue = expect(staff.get("/admin/kyc/pendientes"))
    entry = next(e for e in queue if e["usuario_id"] == pro.user_id)
    assert len(entry["documentos"]) == documents
    decided = expect(staff.post(f"/admin/kyc/approve/{entry['id']}"))
    assert decided["estado_verificacion"] == "APROBADO"
    return decided


def search(api: Api, *, near: tuple[float, float], oficio: str) -> list[dict]:
    params = {"lat": near[0], "lng": near[1], "oficio_id": oficio}
    return expect(api.http.get("/search/professionals", params=params))


def find(api: Api, pro: Person, *, near: tuple[float, float], oficio: str) -> dict:
    """The professional's search hit (search rows follow the profile through events)."""
    return api.settle(
        lambda: next((h for h in search(api, near=near, oficio=oficio) if h["usuario_id"] == pro.user_id), None),
        "the professional in the search results",
    )


def public_profile(api: Api, pro: Person) -> dict:
    return expect(api.http.get(f"/public/professional/{pro.professional_id}"))


# --- chat ---------------------------------------------------------------------------------------------


def open_chat(cliente: Person, pro: Person) -> str:
    chat = expect(cliente.post("/chat/create", json={"profesional_id": pro.user_id}), 201)
    return chat["id"]


def send_message(person: Person, chat_id: str, text: str) -> dict:
    return expect(person.post("/chat/send-message", json={"chat_id": chat_id, "text": text}), 201)


@dataclass
class ChatSocket:
    """The chat screen's WebSocket (JWT in `?token=`), open once the server says it is subscribed."""

    person: Person
    chat_id: str
    ws: ClientConnection = field(init=False)

    def __enter__(self) -> ChatSocket:
        url = self.person.api.system.ws_url(f"/ws/chat/{self.chat_id}/?token={self.person.access}")
        self.ws = connect(url, origin=FRONTEND_URL, open_timeout=10)
        ready = self.frame()
        assert ready["type"] == "ready", ready
        return self

    def __exit__(self, *exc) -> None:
        self.ws.close()

    def frame(self, timeout: float = 10.0) -> dict:
        try:
            return json.loads(self.ws.recv(timeout=timeout))
        except TimeoutError:
            raise AssertionError(
                f"no frame on {self.person.nombre}'s chat socket within {timeout}s "
                f"(logs: {self.person.api.system.logs})"
            ) from None

    def next_message(self, matching: Callable[[dict], bool] = lambda m: True) -> dict:
        """The next chat message that matches (read receipts and other messages pass by)."""
        while True:
            frame = self.frame()
            if frame["type"] == "message" and matching(frame["message"]):
                return frame["message"]

    def send(self, text: str) -> None:
        self.ws.send(json.dumps({"type": "message", "text": text}))


# --- ofertas, payment ---------------------------------------------------------------------------------


def oferta(cliente: Person, oferta_id: str) -> dict:
    return expect(cliente.get(f"/cliente/ofertas/{oferta_id}"))


def make_oferta(
    pro: Person, cliente: Person, chat_id: str, *, precio: str, descripcion: str, short_fuse: bool = False
) -> dict:
    body = {"cliente_id": cliente.user_id, "chat_id": chat_id, "descripcion": descripcion, "precio_final": precio}
    oferta = expect(pro.post("/professional/ofertas", json=body, short_fuse=short_fuse), 201)
    assert (oferta["estado"], oferta["precio_final"]) == ("OFERTADO", precio)
    return oferta


def accept_oferta(cliente: Person, oferta_id: str, *, short_fuse: bool = False) -> dict:
    accepted = expect(cliente.post(f"/cliente/ofertas/{oferta_id}/accept", short_fuse=short_fuse))
    assert accepted["oferta"]["estado"] == "ACEPTADO"
    assert accepted["payment_url"].startswith(cliente.api.system.sandbox_url)
    return accepted


class _CheckoutForm(HTMLParser):
    """The form of MercadoPago's checkout page: its action, its fields and its submit buttons."""

    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.buttons: dict[str, tuple[str, str]] = {}  # value → (name, value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.action = attributes.get("action")
        elif tag == "input" and attributes.get("name"):
            self.fields[attributes["name"]] = attributes.get("value") or ""
        elif tag == "button" and attributes.get("type") == "submit" and attributes.get("name"):
            self.buttons[attributes.get("value", "")] = (attributes["name"], attributes.get("value", ""))


def checkout_page(payment_url: str) -> str:
    page = httpx.get(payment_url, timeout=10)
    assert page.status_code == 200, page.text
    return page.text


def pay_in_sandbox(payment_url: str, decision: str = "approved") -> httpx.Response:
    """Open the checkout page and press its button, as the payer's browser would submit the form."""
    form = _CheckoutForm()
    form.feed(checkout_page(payment_url))
    assert form.action, "the checkout page has no payment form"
    name, value = form.buttons[decision]
    return httpx.post(urljoin(payment_url, form.action), data={**form.fields, name: value}, timeout=15)


# --- trabajos ---------------------------------------------------------------------------------------


def trabajo_path(person: Person, trabajo_id: str) -> str:
    return f"/cliente/trabajo/{trabajo_id}" if person.rol == "CLIENTE" else f"/trabajo/{trabajo_id}"


def trabajo(person: Person, trabajo_id: str) -> dict:
    return expect(person.get(trabajo_path(person, trabajo_id)))


def wait_estado(person: Person, trabajo_id: str, estado: str) -> dict:
    return person.api.settle(
        lambda: (t := trabajo(person, trabajo_id))["estado_escrow"] == estado and t,
        f"trabajo {trabajo_id} in {estado}",
    )


def deliver(pro: Person, trabajo_id: str) -> dict:
    return expect(pro.post(f"/trabajo/{trabajo_id}/entregar"))["trabajo"]


def finalize(cliente: Person, trabajo_id: str) -> dict:
    return expect(cliente.post(f"/cliente/trabajo/{trabajo_id}/finalizar"))


def cancel(cliente: Person, trabajo_id: str, motivo: str) -> dict:
    return expect(cliente.post(f"/cliente/trabajo/{trabajo_id}/cancelar", json={"motivo": motivo}))


def open_dispute(cliente: Person, trabajo_id: str, motivo: str) -> dict:
    return expect(cliente.post(f"/trabajo/{trabajo_id}/disputa", json={"motivo": motivo}))["trabajo"]


def resolve_dispute(staff: Person, trabajo_id: str, *, porcentaje: int, nota: str) -> dict:
    body = {"porcentaje_reembolso": porcentaje, "nota": nota}
    return expect(staff.post(f"/admin/trabajo/{trabajo_id}/resolver", json=body))


def review(person: Person, trabajo_id: str, *, rating: int, texto: str) -> dict:
    path = f"{trabajo_path(person, trabajo_id)}/resena"
    return expect(person.post(path, json={"rating": rating, "texto_resena": texto}), 201)


def payment(person: Person, payment_id: str) -> dict:
    """The payment's summary: its status, what is left in escrow, refunds and the payout."""
    return expect(person.get(f"/payment/status/{payment_id}"))


def paid_out(summary: dict) -> bool:
    return (summary["payout"] or {}).get("status") == "completed"


def wait_payment(person: Person, payment_id: str, settled: Callable[[dict], bool], what: str) -> dict:
    return person.api.settle(lambda: (p := payment(person, payment_id)) and settled(p) and p, what)


def refunds_at_mercadopago(api: Api, mercadopago_payment_id: str) -> list[Decimal]:
    """The refund amounts MercadoPago itself holds for the payment (its API, with the platform's
    token); MercadoPago writes amounts as JSON numbers."""
    response = httpx.get(
        f"{api.system.sandbox_url}/v1/payments/{mercadopago_payment_id}/refunds",
        headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
        timeout=10,
    )
    return [Decimal(str(refund["amount"])) for refund in expect(response)]


# --- notifications ------------------------------------------------------------------------------------


def notifications(person: Person) -> list[dict]:
    return expect(person.get("/notify/history", params={"limit": 50}))["notifications"]


def _sent(notification: dict) -> bool:
    return any(c["status"] == "sent" for c in notification["channels"].values())


def wait_notified(person: Person, templates: set[str]) -> dict[str, dict]:
    """Wait until each template reached the person on at least one channel; the newest of each."""

    def arrived():
        found = {}
        for notification in notifications(person):  # newest first
            if notification["template"] in templates and _sent(notification):
                found.setdefault(notification["template"], notification)
        return found if set(found) == templates else None

    return person.api.settle(arrived, f"notifications {sorted(templates)} sent to {person.nombre}")


# --- the deal, in its stages ---------------------------------------------------------------------------


@dataclass
class Deal:
    cliente: Person
    pro: Person
    chat_id: str
    oferta_id: str | None = None
    trabajo_id: str | None = None
    payment_id: str | None = None


def matched(api: Api, staff: Person, *, at: tuple[float, float], oficio: str = "Plomero") -> Deal:
    """A client and an approved professional covering `at`, who found each other and opened a chat."""
    cliente = register(api, rol="CLIENTE", nombre="Lucia", apellido="Fernández", telefono="+5493515550101")
    pro = register(api, rol="PROFESIONAL", nombre="Martin", apellido="Sosa", telefono="+5493515550202")
    become_professional(pro, at=at, radio_km=15, tarifa="8000.00", oficios=[oficio], payout_account="martin.sosa.mp")
    upload_kyc(pro)
    approve_kyc(staff, pro)
    find(api, pro, near=at, oficio=oficio_id(api, oficio))
    return Deal(cliente, pro, open_chat(cliente, pro))


def paid(api: Api, staff: Person, *, at: tuple[float, float], precio: str) -> Deal:
    """A deal whose trabajo the client paid in the sandbox: PAGADO_EN_ESCROW."""
    deal = matched(api, staff, at=at)
    offered = make_oferta(
        deal.pro, deal.cliente, deal.chat_id, precio=precio, descripcion="Arreglo de pérdida en el baño"
    )
    accepted = accept_oferta(deal.cliente, offered["id"])
    assert pay_in_sandbox(accepted["payment_url"]).status_code in {200, 302}
    in_escrow = wait_estado(deal.cliente, accepted["trabajo_id"], "PAGADO_EN_ESCROW")
    deal.oferta_id, deal.trabajo_id, deal.payment_id = offered["id"], accepted["trabajo_id"], in_escrow["payment_id"]
    return deal
