"""Points, level, commission and rating move only with marketplace events, once per event."""

import uuid
from decimal import Decimal

import pytest
from django.db import transaction

from conectar.marketplace.contracts import (
    Actor,
    DisputeResolved,
    ReviewPublished,
    ReviewReplied,
    WorkCancelled,
    WorkCompleted,
)
from conectar.platform.eventbus.delivery import handle_once
from conectar.platform.eventbus.publishing import envelope_for
from conectar.platform.eventbus.subscriptions import subscriptions_for
from conectar.platform.events import publish
from conectar.professionals.models import PointsEntry
from conectar.shared.clock import utcnow
from tests.support.events import deliver_outbox, published
from tests.support.professionals import new_professional

pytestmark = pytest.mark.django_db(databases="__all__")


def emit(*events):
    with transaction.atomic(using="marketplace"):
        for event in events:
            publish(event)
    deliver_outbox(to={"professionals"})


def completed(pro) -> WorkCompleted:
    return WorkCompleted(
        trabajo_id=uuid.uuid4(),
        cliente_id=uuid.uuid4(),
        profesional_id=uuid.UUID(pro.session.user_id),
        precio_final=Decimal("10000.00"),
        tasa_comision=Decimal("0.20"),
        comision_plataforma=Decimal("2000.00"),
        monto_liberado=Decimal("8000.00"),
    )


def review(pro, rating, *, autor_rol=Actor.CLIENTE, texto="Muy bien") -> ReviewPublished:
    return ReviewPublished(
        resena_id=uuid.uuid4(),
        trabajo_id=uuid.uuid4(),
        autor_id=uuid.uuid4(),
        autor_rol=autor_rol,
        destinatario_id=uuid.UUID(pro.session.user_id),
        profesional_id=uuid.UUID(pro.session.user_id),
        rating=rating,
        texto=texto,
        autor_nombre="Ana",
        created_at=utcnow(),
    )


def redeliver(event) -> None:
    """The broker hands the same event to the professionals' subscriber again (the other contexts'
    subscribers are not under test: payments would rightly refuse a made-up trabajo)."""
    envelope = envelope_for(event)
    for sub in subscriptions_for(event.type_name()):
        if sub.context == "professionals":
            handle_once(sub, envelope)


def test_a_finished_trabajo_gives_100_points_once_even_when_redelivered(client):
    pro = new_professional(client)
    event = completed(pro)
    emit(event)
    redeliver(event)
    redeliver(event)
    professional = pro.refresh()
    assert professional.puntos_experiencia == 100
    assert PointsEntry.objects.filter(professional=professional).count() == 1


def test_reviews_score_by_rating_and_keep_an_exact_average(client):
    pro = new_professional(client)
    five, four, three = review(pro, 5), review(pro, 4), review(pro, 3)
    emit(five, four, three)
    redeliver(five)
    professional = pro.refresh()
    assert professional.puntos_experiencia == 60  # 50 for the 5★, 10 for the 4★, nothing for the 3★
    assert professional.total_resenas == 3
    assert professional.rating_promedio == Decimal("4.00")
    emit(review(pro, 5))
    assert pro.refresh().rating_promedio == Decimal("4.25")
    emit(review(pro, 4), review(pro, 4))
    assert pro.refresh().rating_promedio == Decimal("4.17")  # 25/6, two places


def test_the_professionals_own_review_of_a_client_scores_nothing(client):
    pro = new_professional(client)
    emit(review(pro, 5, autor_rol=Actor.PROFESIONAL))
    professional = pro.refresh()
    assert (professional.puntos_experiencia, professional.total_resenas) == (0, 0)


def test_levels_go_up_and_down_with_points_and_commission_follows(client):
    pro = new_professional(client)
    emit(*[completed(pro) for _ in range(10)])
    professional = pro.refresh()
    assert (professional.nivel, professional.tasa_comision_actual) == ("PLATA", Decimal("0.180"))
    changes = published("professionals.level_changed.v1", "professionals")
    assert [(c["previous"], c["current"]) for c in changes] == [("BRONCE", "PLATA")]

    user_id = uuid.UUID(pro.session.user_id)
    emit(
        DisputeResolved(
            trabajo_id=uuid.uuid4(),
            cliente_id=uuid.uuid4(),
            profesional_id=user_id,
            porcentaje_reembolso=100,
            professional_lost=True,
            precio_final=Decimal("10000.00"),
            tasa_comision=Decimal("0.20"),
            monto_reembolsado=Decimal("10000.00"),
            comision_plataforma=Decimal("0.00"),
            monto_liberado=Decimal("0.00"),
        )
    )
    professional = pro.refresh()
    assert professional.puntos_experiencia == 800
    assert (professional.nivel, professional.tasa_comision_actual) == ("BRONCE", Decimal("0.200"))
    body = client.get("/api/v1/professional/nivel", headers=pro.headers).json()
    assert (body["nivel"], body["puntos_para_siguiente"]) == ("BRONCE", 200)


def test_cancellations_cost_points_only_when_the_professional_is_at_fault(client):
    pro = new_professional(client)
    user_id = uuid.UUID(pro.session.user_id)

    def cancelled(at_fault: bool) -> WorkCancelled:
        return WorkCancelled(
            trabajo_id=uuid.uuid4(),
            cliente_id=uuid.uuid4(),
            profesional_id=user_id,
            cancelled_by=Actor.PROFESIONAL if at_fault else Actor.CLIENTE,
            professional_at_fault=at_fault,
            refund=True,
            precio_final=Decimal("10000.00"),
        )

    emit(completed(pro), completed(pro), cancelled(False), cancelled(True))
    assert pro.refresh().puntos_experiencia == 100


def test_a_lost_dispute_only_counts_when_lost(client):
    pro = new_professional(client)
    emit(
        completed(pro),
        DisputeResolved(
            trabajo_id=uuid.uuid4(),
            cliente_id=uuid.uuid4(),
            profesional_id=uuid.UUID(pro.session.user_id),
            porcentaje_reembolso=20,
            professional_lost=False,
            precio_final=Decimal("10000.00"),
            tasa_comision=Decimal("0.20"),
            monto_reembolsado=Decimal("2000.00"),
            comision_plataforma=Decimal("1600.00"),
            monto_liberado=Decimal("6400.00"),
        ),
    )
    assert pro.refresh().puntos_experiencia == 100


def test_replies_reach_the_public_copy_of_the_review(client):
    pro = new_professional(client)
    event = review(pro, 4)
    emit(event)
    emit(ReviewReplied(resena_id=event.resena_id, profesional_id=uuid.UUID(pro.session.user_id), texto="¡Gracias!"))
    assert pro.refresh().reviews.get().respuesta == "¡Gracias!"


def test_events_about_people_who_are_not_professionals_change_nothing(client):
    stranger = uuid.uuid4()
    event = completed(new_professional(client))
    emit(
        WorkCompleted(
            **{
                **{
                    f: getattr(event, f)
                    for f in (
                        "trabajo_id",
                        "cliente_id",
                        "precio_final",
                        "tasa_comision",
                        "comision_plataforma",
                        "monto_liberado",
                    )
                },
                "profesional_id": stranger,
            }
        )
    )
    assert not PointsEntry.objects.exists()
