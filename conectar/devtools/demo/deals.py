"""The demo cliente's and demo professional's history together, so that every list and dashboard of
the frontend has something to render: a chat with messages, ofertas in every state and trabajos in
every state (waiting for payment, paid in escrow, delivered, released with both reviews, cancelled
with its refund, in dispute).

Everything goes through the facades, the same services the routes run; money moves through the
MercadoPago sandbox and the workers as it would for real (the sandbox approves the checkout and
sends its signed webhook to the web server). So this step runs once the system is up: `make run`
starts it after the web server answers. Idempotent: once the pair's chat has ofertas, nothing more.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.test import override_settings

from conectar.auth_ctx import facade as accounts
from conectar.devtools.demo.credentials import Credentials
from conectar.devtools.simulated_payment import simulate_payment
from conectar.marketplace import facade as marketplace
from conectar.marketplace.contracts import EstadoEscrow

# How long the expiring oferta lives, in hours: a second, then beat's sweep (called here) expires it.
EXPIRING_HOURS = 0.0003

MESSAGES = (
    ("cliente", "Hola Martín, tengo una pérdida debajo de la bacha de la cocina. ¿Podés venir esta semana?"),
    ("pro", "¡Hola! Sí, puedo pasar el jueves a la mañana. Te mando una oferta con el presupuesto."),
    ("cliente", "Perfecto, gracias. También quería ver el calefón del baño."),
    ("pro", "Dale, te paso ofertas separadas para cada trabajo así elegís."),
)
# (descripción, precio, what happens to it)
OFERTAS = (
    ("Cambio de flexibles y sellado de la bacha de la cocina", "18000.00", "rechazar"),
    ("Revisión del calefón del baño (sin repuestos)", "12000.00", "retirar"),
    ("Destapación de la cañería del lavadero", "15000.00", "vencer"),
    ("Instalación de una canilla monocomando en el baño", "22000.00", "abierta"),
    ("Reparación de la pérdida debajo de la bacha", "24000.00", "sin_pagar"),
    ("Cambio de la válvula del inodoro", "16000.00", "en_garantia"),
    ("Colocación de un termotanque nuevo", "45000.00", "entregado"),
    ("Arreglo de la pérdida del calefón", "30000.00", "liberado"),
    ("Cambio de la llave de paso general", "20000.00", "cancelado"),
    ("Instalación de la bomba presurizadora", "60000.00", "en_disputa"),
)


class DemoDealsUnavailable(RuntimeError):
    """The demo accounts are not there yet (run seed_demo first) or the system did not respond."""


@dataclass
class DealsReport:
    created: bool = False
    ofertas: int = 0
    trabajos: dict[str, str] = field(default_factory=dict)  # plan name -> state reached
    seconds: float = 0.0


def seed_demo_deals(*, credentials: Credentials, timeout: float = 180.0) -> DealsReport:
    started = time.perf_counter()
    report = DealsReport()
    cliente_id = _account_id(credentials.cliente_email)
    pro_id = _account_id(credentials.profesional_email)
    chat = marketplace.open_chat(cliente_id=cliente_id, profesional_id=pro_id, opened_by=cliente_id)
    if marketplace.oferta_states(chat_id=chat.id):
        report.seconds = time.perf_counter() - started
        return report  # already seeded

    author = {"cliente": cliente_id, "pro": pro_id}
    for who, text in MESSAGES:
        marketplace.send_message(chat_id=chat.id, sender_id=author[who], text=text)

    trabajos: dict[str, UUID] = {}
    for descripcion, precio, plan in OFERTAS:
        hours = {"life_hours": EXPIRING_HOURS} if plan == "vencer" else {}
        oferta_id = _offer(pro_id, cliente_id, chat.id, descripcion, Decimal(precio), **hours)
        report.ofertas += 1
        if plan == "rechazar":
            marketplace.reject_oferta(oferta_id=oferta_id, cliente_id=cliente_id)
        elif plan == "retirar":
            marketplace.withdraw_oferta(oferta_id=oferta_id, profesional_id=pro_id)
        elif plan == "vencer":
            time.sleep(EXPIRING_HOURS * 3600 * 3)
            marketplace.expire_due_ofertas()
        elif plan != "abierta":
            trabajos[plan] = marketplace.accept_oferta(oferta_id=oferta_id, cliente_id=cliente_id)

    paid = [plan for plan in trabajos if plan != "sin_pagar"]
    for plan in paid:
        simulate_payment(trabajo_id=trabajos[plan])  # the payer approves; MercadoPago's webhook follows
    deadline = time.monotonic() + timeout
    for plan in paid:
        _wait_for(trabajos[plan], EstadoEscrow.PAGADO_EN_ESCROW, deadline)

    act = marketplace.act_on_trabajo
    act(trabajo_id=trabajos["entregado"], action="entregar", actor_id=pro_id)
    act(trabajo_id=trabajos["liberado"], action="entregar", actor_id=pro_id)
    act(trabajo_id=trabajos["liberado"], action="finalizar", actor_id=cliente_id)
    act(
        trabajo_id=trabajos["cancelado"],
        action="cancelar",
        actor_id=cliente_id,
        motivo="Ya lo resolví con el consorcio.",
    )
    act(
        trabajo_id=trabajos["en_disputa"],
        action="abrir_disputa",
        actor_id=cliente_id,
        motivo="La bomba hace ruido y no levanta presión en el segundo piso.",
    )
    marketplace.review_trabajo(
        trabajo_id=trabajos["liberado"], autor_id=cliente_id, rating=5, texto="Impecable, rápido y prolijo."
    )
    marketplace.review_trabajo(
        trabajo_id=trabajos["liberado"], autor_id=pro_id, rating=5, texto="Muy buena predisposición, recomendable."
    )

    for plan, trabajo_id in trabajos.items():
        report.trabajos[plan] = str(marketplace.trabajo(trabajo_id=trabajo_id).estado)
    report.created = True
    report.seconds = time.perf_counter() - started
    return report


def _account_id(email: str) -> UUID:
    found = [a for a in accounts.search_accounts(email_fragment=email, limit=5) if a.email == email]
    if not found:
        raise DemoDealsUnavailable(f"no account {email}: run `manage.py seed_demo` first")
    return found[0].id


def _offer(pro_id: UUID, cliente_id: UUID, chat_id: UUID, descripcion: str, precio: Decimal, **life) -> UUID:
    if not life:
        return marketplace.make_oferta(
            profesional_id=pro_id, cliente_id=cliente_id, chat_id=chat_id, descripcion=descripcion, precio_final=precio
        )
    # An oferta made with a life of about a second, so that it is EXPIRADO as beat would leave it.
    with override_settings(MARKETPLACE={**settings.MARKETPLACE, "OFERTA_DEFAULT_HOURS": life["life_hours"]}):
        return marketplace.make_oferta(
            profesional_id=pro_id, cliente_id=cliente_id, chat_id=chat_id, descripcion=descripcion, precio_final=precio
        )


def _wait_for(trabajo_id: UUID, estado: EstadoEscrow, deadline: float) -> None:
    while (current := marketplace.trabajo(trabajo_id=trabajo_id).estado) != estado:
        if time.monotonic() > deadline:
            raise DemoDealsUnavailable(
                f"trabajo {trabajo_id} still {current}, not {estado}: are the web server, a worker and the "
                "MercadoPago sandbox running?"
            )
        time.sleep(0.2)
