"""Reactions to the marketplace's events (thin: each calls a service). Subscribed in apps.ready().

Each runs in the bus's transaction on the payments database, together with the record that the
event was handled, so a redelivered event does nothing. A handler that raises (amounts that do not
match the escrow, money frozen by a chargeback) is retried and then dead-lettered for staff."""

from conectar.marketplace.contracts import DisputeResolved, WorkCancelled, WorkCompleted
from conectar.payments.services import escrow


def on_work_completed(event: WorkCompleted) -> None:
    escrow.release_on_completed(event)


def on_work_cancelled(event: WorkCancelled) -> None:
    escrow.cancellation_settle(event)


def on_dispute_resolved(event: DisputeResolved) -> None:
    escrow.dispute_settle(event)
