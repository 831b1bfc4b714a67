"""The trabajo state machine (DOMAIN.md § Trabajo and escrow) as one table.

Each row says: from this state, this action, done by one of these actors, leads to that state, with
that effect. `services.trabajos.apply()` is the only code that changes a trabajo's state and it looks
every change up here; anything not in the table is refused with 400 naming the current state.
Effects are names; their code lives in `services.trabajos` (one function per effect, checked at import
time so a row can never point at nothing).

Plain Python on purpose: readable by a person, and the table-driven test walks it row by row.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from conectar.marketplace.contracts import Actor, EstadoEscrow

E = EstadoEscrow
C, P, S, X = Actor.CLIENTE, Actor.PROFESIONAL, Actor.STAFF, Actor.SISTEMA


class Action(enum.StrEnum):
    CONFIRMAR_PAGO = "confirmar_pago"  # payments: MercadoPago approved the payment
    VENCER_PAGO = "vencer_pago"  # time: unpaid after TRABAJO_UNPAID_HOURS
    ENTREGAR = "entregar"
    FINALIZAR = "finalizar"
    LIBERAR_AUTOMATICO = "liberar_automatico"  # time: ENTREGADO for TRABAJO_AUTO_RELEASE_DAYS
    CANCELAR = "cancelar"
    ABRIR_DISPUTA = "abrir_disputa"
    CONTRACARGO = "contracargo"  # payments: chargeback or mediation on the payment
    RESOLVER = "resolver"  # staff split a dispute
    REEMBOLSO_EXTERNO = "reembolso_externo"  # payments: the whole escrow was refunded outside the app
    PAGO_TARDIO = "pago_tardio"  # payments: a payment approved after the trabajo was cancelled unpaid


class Effect(enum.StrEnum):
    MARK_PAID = "mark_paid"
    CANCEL_UNPAID = "cancel_unpaid"
    DELIVER = "deliver"
    RELEASE = "release"
    CANCEL_WITH_REFUND = "cancel_with_refund"
    OPEN_DISPUTE = "open_dispute"
    RESOLVE_DISPUTE = "resolve_dispute"
    RECORD_EXTERNAL_REFUND = "record_external_refund"
    REFUND_LATE_PAYMENT = "refund_late_payment"


@dataclass(frozen=True)
class Transition:
    source: EstadoEscrow
    action: Action
    actors: frozenset[Actor]
    target: EstadoEscrow
    effect: Effect


def _t(source: EstadoEscrow, action: Action, actors: set[Actor], target: EstadoEscrow, effect: Effect) -> Transition:
    return Transition(source, action, frozenset(actors), target, effect)


TABLE: tuple[Transition, ...] = (
    # paying
    _t(E.PENDIENTE_PAGO, Action.CONFIRMAR_PAGO, {X}, E.PAGADO_EN_ESCROW, Effect.MARK_PAID),
    _t(E.PENDIENTE_PAGO, Action.VENCER_PAGO, {X}, E.CANCELADO, Effect.CANCEL_UNPAID),
    _t(E.PENDIENTE_PAGO, Action.CANCELAR, {C, P, S}, E.CANCELADO, Effect.CANCEL_UNPAID),
    _t(E.CANCELADO, Action.PAGO_TARDIO, {X}, E.CANCELADO_REEMBOLSADO, Effect.REFUND_LATE_PAYMENT),
    # doing the work
    _t(E.PAGADO_EN_ESCROW, Action.ENTREGAR, {P}, E.ENTREGADO, Effect.DELIVER),
    _t(E.PAGADO_EN_ESCROW, Action.FINALIZAR, {C}, E.LIBERADO, Effect.RELEASE),
    _t(E.ENTREGADO, Action.FINALIZAR, {C}, E.LIBERADO, Effect.RELEASE),
    _t(E.ENTREGADO, Action.LIBERAR_AUTOMATICO, {X}, E.LIBERADO, Effect.RELEASE),
    # cancelling a paid trabajo: the client only before delivery; full refund
    _t(E.PAGADO_EN_ESCROW, Action.CANCELAR, {C, P, S}, E.CANCELADO_REEMBOLSADO, Effect.CANCEL_WITH_REFUND),
    _t(E.ENTREGADO, Action.CANCELAR, {P, S}, E.CANCELADO_REEMBOLSADO, Effect.CANCEL_WITH_REFUND),
    _t(E.EN_DISPUTA, Action.CANCELAR, {S}, E.CANCELADO_REEMBOLSADO, Effect.CANCEL_WITH_REFUND),
    # disputes freeze release until staff split the money
    _t(E.PAGADO_EN_ESCROW, Action.ABRIR_DISPUTA, {C}, E.EN_DISPUTA, Effect.OPEN_DISPUTE),
    _t(E.ENTREGADO, Action.ABRIR_DISPUTA, {C}, E.EN_DISPUTA, Effect.OPEN_DISPUTE),
    _t(E.PAGADO_EN_ESCROW, Action.CONTRACARGO, {X}, E.EN_DISPUTA, Effect.OPEN_DISPUTE),
    _t(E.ENTREGADO, Action.CONTRACARGO, {X}, E.EN_DISPUTA, Effect.OPEN_DISPUTE),
    _t(E.EN_DISPUTA, Action.RESOLVER, {S}, E.RESUELTO, Effect.RESOLVE_DISPUTE),
    # the whole escrow went back to the payer outside the app (a refund made in MercadoPago)
    _t(E.PAGADO_EN_ESCROW, Action.REEMBOLSO_EXTERNO, {X}, E.CANCELADO_REEMBOLSADO, Effect.RECORD_EXTERNAL_REFUND),
    _t(E.ENTREGADO, Action.REEMBOLSO_EXTERNO, {X}, E.CANCELADO_REEMBOLSADO, Effect.RECORD_EXTERNAL_REFUND),
    _t(E.EN_DISPUTA, Action.REEMBOLSO_EXTERNO, {X}, E.CANCELADO_REEMBOLSADO, Effect.RECORD_EXTERNAL_REFUND),
)

_BY_KEY: dict[tuple[EstadoEscrow, Action], Transition] = {}
for _row in TABLE:
    if (_row.source, _row.action) in _BY_KEY:
        raise AssertionError(f"two rows for {_row.source} + {_row.action}")
    _BY_KEY[(_row.source, _row.action)] = _row

# States in which the money is held for the trabajo (release or refund still to come).
ESCROW_HELD = frozenset({E.PAGADO_EN_ESCROW, E.ENTREGADO, E.EN_DISPUTA})
# Closed states: nothing moves any more.
CLOSED = frozenset({E.LIBERADO, E.CANCELADO, E.CANCELADO_REEMBOLSADO, E.RESUELTO})
# After these the two sides may review each other.
REVIEWABLE = frozenset({E.LIBERADO, E.RESUELTO})


def transition_for(source: EstadoEscrow, action: Action) -> Transition | None:
    """The row for this action from this state, whoever asks; None when the action is not allowed
    from the state at all."""
    return _BY_KEY.get((source, action))


def actions_from(source: EstadoEscrow, actor: Actor) -> list[Action]:
    """What `actor` may do now (the trabajo body lists it for the frontend's buttons)."""
    return [row.action for row in TABLE if row.source == source and actor in row.actors]
