"""What the marketplace does when payments reports on a trabajo's money, and when auth_ctx revokes
an account's credentials (its open chat sockets check theirs: services.socket_access).

Each handler runs once per event (the bus records it) and is safe against order: it acts only when
the transition table allows the move from the trabajo's current state (`apply_if_allowed`)."""

from __future__ import annotations

from conectar.auth_ctx.contracts import PasswordChanged, UserBanned, UserLoggedOut
from conectar.marketplace.services import socket_access, trabajos
from conectar.marketplace.workflow import Action
from conectar.payments.contracts import ChargebackOpened, PaymentConfirmed, PaymentFailed, Refunded


def on_payment_confirmed(event: PaymentConfirmed) -> None:
    # A payment for a trabajo already cancelled unpaid is sent back (PAGO_TARDIO); otherwise it
    # moves PENDIENTE_PAGO to PAGADO_EN_ESCROW. Anything else (a duplicate) changes nothing.
    for action in (Action.CONFIRMAR_PAGO, Action.PAGO_TARDIO):
        if trabajos.apply_if_allowed(
            trabajo_id=event.trabajo_id, action=action, mercadopago_payment_id=event.mercadopago_payment_id
        ):
            return


def on_payment_failed(event: PaymentFailed) -> None:
    trabajos.payment_failed_notice(trabajo_id=event.trabajo_id)


def on_chargeback_opened(event: ChargebackOpened) -> None:
    if trabajos.apply_if_allowed(
        trabajo_id=event.trabajo_id, action=Action.CONTRACARGO, motivo=f"MercadoPago: {event.status}"
    ):
        return
    trabajos.chargeback_flag(trabajo_id=event.trabajo_id)


def on_refunded(event: Refunded) -> None:
    # Refunds the marketplace asked for are already reflected in its state; a refund made in
    # MercadoPago itself that empties the escrow cancels the trabajo.
    if event.initiated_by != "marketplace" and event.remaining_escrow <= 0:
        trabajos.apply_if_allowed(trabajo_id=event.trabajo_id, action=Action.REEMBOLSO_EXTERNO)


# auth_ctx revoked some or all of an account's tokens: its sockets check theirs (services.socket_access).
def on_user_logged_out(event: UserLoggedOut) -> None:
    socket_access.check_account_sockets(user_id=event.user_id)


def on_password_changed(event: PasswordChanged) -> None:
    socket_access.check_account_sockets(user_id=event.user_id)


def on_user_banned(event: UserBanned) -> None:
    socket_access.check_account_sockets(user_id=event.user_id)
