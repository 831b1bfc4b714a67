"""Reactions to the marketplace's events (thin: each calls a service). Subscribed in apps.ready().

Each runs in the bus's transaction on the payments database, together with the record that the
event was handled, so a redelivered event does nothing. A handler that raises (amounts that do not
match the escrow) is retried and then dead-lettered for staff; a decision that meets money frozen by
a chargeback is held until the freeze is lifted (escrow.settle_or_hold)."""

from conectar.marketplace.contracts import DisputeResolved, WorkCancelled, WorkCompleted
from conectar.payments.services import escrow


def on_work_completed(event: WorkCompleted) -> None:
    escrow.settle_or_hold(event)


def on_work_cancelled(event: WorkCancelled) -> None:
    escrow.settle_or_hold(event)


def on_dispute_resolved(event: DisputeResolved) -> None:
    escrow.settle_or_hold(event)
