"""The two flows the chaos tests break, and what "exactly once" means for each, read over HTTP and
through the facades (never another context's tables)."""

from __future__ import annotations

from uuid import UUID

from conectar.professionals import facade as professionals
from tests.e2e import journey
from tests.support.events import published
from tests.support.waiting import wait_until

PALERMO = (-34.5889, -58.4306)
ON_PAYMENT_CONFIRMED = "conectar.marketplace.handlers.on_payment_confirmed"
ON_PROFESSIONAL_REGISTERED = "conectar.professionals.handlers.on_user_registered"
PAID_MESSAGE = "Pago confirmado:"


def accepted_deal(api: journey.Api, staff: journey.Person) -> tuple[journey.Deal, dict]:
    deal = journey.matched(api, staff, at=PALERMO)
    offered = journey.make_oferta(
        deal.pro, deal.cliente, deal.chat_id, precio="24000.00", descripcion="Arreglo de pérdida en el baño"
    )
    deal.oferta_id = offered["id"]
    return deal, journey.accept_oferta(deal.cliente, offered["id"])


def assert_paid_once(deal: journey.Deal, trabajo_id: str) -> None:
    """PAGADO_EN_ESCROW, reached once: one 'paid' message in the chat, the price once in escrow,
    the client told once on each channel."""
    trabajo = journey.wait_estado(deal.cliente, trabajo_id, "PAGADO_EN_ESCROW")
    messages = journey.expect(deal.cliente.get(f"/chat/messages/{deal.chat_id}", params={"limit": 50}))
    assert sum(m["text"].startswith(PAID_MESSAGE) for m in messages) == 1
    status = journey.expect(deal.cliente.get(f"/payment/status/{trabajo['payment_id']}"))
    assert (status["status"], status["escrow_balance"]) == ("approved", "24000.00")
    journey.wait_notified(deal.cliente, {"pago_confirmado_cliente"})
    told = [n for n in journey.notifications(deal.cliente) if n["template"] == "pago_confirmado_cliente"]
    assert len(told) == 1
    assert told[0]["channels"]["email"]["status"] == "sent"


def professional_profile(person: journey.Person):
    """The profile the registration event made (asked of the facade: a request to a professional
    route would start one itself)."""
    return professionals.summaries(usuario_ids=[UUID(person.user_id)]).get(UUID(person.user_id))


def assert_registered_once(pros: list[journey.Person], *, timeout: float = 60) -> None:
    """Every professional's profile made by the event, announced once; the welcome mail once."""
    missing = lambda: [p.email for p in pros if professional_profile(p) is None]  # noqa: E731
    wait_until(lambda: not missing(), timeout=timeout, message=f"profiles of {missing()}")
    created = [e["usuario_id"] for e in published("professionals.professional_created.v1", "professionals")]
    for pro in pros:
        assert created.count(pro.user_id) == 1, pro.email
        assert professional_profile(pro).nombre == pro.nombre
    for pro in pros:
        welcome = journey.wait_notified(pro, {"cuenta_creada"})["cuenta_creada"]
        assert [n["template"] for n in journey.notifications(pro)].count("cuenta_creada") == 1
        assert welcome["channels"]["email"]["status"] == "sent"
