"""Payments tables (database `payments`).

Trabajos and people are UUIDs of other contexts: no foreign key leaves this database.

The ledger (`LedgerAccount`, `LedgerTransaction`, `LedgerEntry`) is the only record of where money
is; every other table here describes a process (a checkout, a payout, a refund) whose money moves
are ledger transactions. Its invariants are enforced by PostgreSQL itself (migration 0002):
each transaction sums to zero at commit, entries and transactions are append-only, entries can only
be added in the database transaction that created their ledger transaction, and the balance of an
escrow, professional-payable or refund-payable account never goes below zero (a balance column kept
by a trigger, with a CHECK). Python validates the same rules first so errors read well; the database
is what makes them true whatever code runs.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from conectar.payments.contracts import PaymentStatus

MONEY = {"max_digits": 12, "decimal_places": 2}
LEDGER_MONEY = {"max_digits": 14, "decimal_places": 2}  # sums over many trabajos fit comfortably


# --- payments -----------------------------------------------------------------------------------------


class Payment(models.Model):
    """The client's payment of one trabajo (one row per trabajo; a retried checkout updates it with
    a new preference and `attempt`). MercadoPago's own payment id is filled when it reports one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    trabajo_id = models.UUIDField(unique=True)
    cliente_id = models.UUIDField(db_index=True)
    profesional_id = models.UUIDField(db_index=True)
    payer_email = models.EmailField(max_length=254, blank=True, default="")
    title = models.CharField(max_length=200)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="ARS")
    status = models.CharField(
        max_length=16, choices=[(s.value, s.value) for s in PaymentStatus], default=PaymentStatus.PENDING
    )
    # Checkout: attempt n is created with idempotency key (trabajo, n), so a retried call of the
    # same attempt gets the same preference from MercadoPago instead of a second one.
    attempt = models.PositiveSmallIntegerField(default=1)
    preference_id = models.CharField(max_length=100)
    payment_url = models.URLField(max_length=500)
    preference_expires_at = models.DateTimeField()
    # What MercadoPago last said (always re-read from its API, never taken from a webhook body).
    mercadopago_payment_id = models.CharField(max_length=32, blank=True, default="", db_index=True)
    mercadopago_status = models.CharField(max_length=32, blank=True, default="")
    status_detail = models.CharField(max_length=120, blank=True, default="")
    amount_mismatch = models.BooleanField(default=False)  # approved for another amount: not confirmed
    frozen = models.BooleanField(default=False)  # chargeback or mediation: no release, payout or refund
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return f"Pago {self.amount} ARS · trabajo {self.trabajo_id} · {self.status}"


class ProviderPayment(models.Model):
    """What MercadoPago last said of one of its payments for one of our trabajos. A trabajo may see
    several (a rejected card, then an approved one); the Payment follows the one that was approved.
    Comparing a fresh reading with this row is what tells a new status from a repeated one."""

    mercadopago_payment_id = models.CharField(max_length=32, primary_key=True)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="provider_payments")
    status = models.CharField(max_length=32)
    status_detail = models.CharField(max_length=120, blank=True, default="")
    amount = models.DecimalField(**MONEY)
    amount_refunded = models.DecimalField(**MONEY, default=0)
    currency = models.CharField(max_length=3, blank=True, default="")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"MercadoPago {self.mercadopago_payment_id} · {self.status}"


class WebhookNotification(models.Model):
    """A MercadoPago notification whose signature checked out, kept until a worker has re-read the
    payment it names. Unique by MercadoPago's request id, so a redelivered notification is one row."""

    id = models.BigAutoField(primary_key=True)
    request_id = models.CharField(max_length=120, unique=True)
    topic = models.CharField(max_length=40)
    action = models.CharField(max_length=60, blank=True, default="")
    data_id = models.CharField(max_length=64)
    received_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["received_at"], condition=Q(processed_at=None), name="webhook_unprocessed"),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.data_id} ({self.request_id})"


class PaymentAlert(models.Model):
    """Something staff must look at (amount mismatch, chargeback, a payment for a cancelled trabajo,
    a payout or refund that failed for good). `key` makes raising the same alert twice a no-op."""

    class Kind(models.TextChoices):
        AMOUNT_MISMATCH = "amount_mismatch", "monto distinto al esperado"
        CHARGEBACK = "chargeback", "contracargo o mediación"
        LATE_PAYMENT = "late_payment", "pago de un trabajo cancelado (reembolsado)"
        UNEXPECTED_PAYMENT = "unexpected_payment", "pago inesperado"
        PROVIDER_REFUND = "provider_refund", "reembolso hecho en MercadoPago"
        REFUND_FAILED = "refund_failed", "reembolso fallido"
        PAYOUT_FAILED = "payout_failed", "transferencia fallida"

    id = models.BigAutoField(primary_key=True)
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    trabajo_id = models.UUIDField(null=True, blank=True, db_index=True)
    detail = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.UUIDField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · trabajo {self.trabajo_id}"


# --- payouts and refunds --------------------------------------------------------------------------------


def idempotency_key(row_id, send_round: int) -> str:
    return str(row_id) if send_round == 1 else f"{row_id}:{send_round}"


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "por enviar"  # a worker sends it (provider mercadopago)
    SENT = "sent", "enviada, esperando confirmación"
    PENDING_MANUAL = "pending_manual", "esperando transferencia manual"
    COMPLETED = "completed", "pagada"
    FAILED = "failed", "fallida"


class Payout(models.Model):
    """The professional's part of a released trabajo, on its way to their payout account. Its id is
    `payout_id_for(trabajo_id)` and is the provider's idempotency key: one payout per trabajo."""

    id = models.UUIDField(primary_key=True, editable=False)
    trabajo_id = models.UUIDField(unique=True)
    profesional_id = models.UUIDField(db_index=True)
    amount = models.DecimalField(**MONEY)
    destination = models.CharField(max_length=40, blank=True, default="")
    provider = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=PayoutStatus.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The provider's idempotency key is the payout id (round 1) or "<id>:<round>": a new round only
    # after a definitive refusal, so a retry after a mere timeout can never transfer twice.
    send_round = models.PositiveSmallIntegerField(default=1)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    reference = models.CharField(max_length=200, blank=True, default="")  # transfer intent id or staff's note
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.UUIDField(null=True, blank=True)  # staff account for manual transfers
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status__in=["pending", "sent"]), name="payout_due"),
        ]

    def __str__(self) -> str:
        return f"Transferencia {self.amount} ARS · trabajo {self.trabajo_id} · {self.get_status_display()}"

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.pk, self.send_round)


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", "por enviar"
    COMPLETED = "completed", "reembolsado"
    FAILED = "failed", "fallido"
    CANCELLED = "cancelled", "anulado"  # never to be sent: the money went back another way (chargeback)


class RefundInitiator(models.TextChoices):
    MARKETPLACE = "marketplace"  # a cancellation or a dispute split
    STAFF = "staff"  # POST /payment/refund
    PROVIDER = "provider"  # made in MercadoPago itself; we only record it
    PAYMENTS = "payments"  # automatic: money arrived for a trabajo that was already cancelled


class Refund(models.Model):
    """Money going back to the client. While REQUESTED or FAILED its amount sits in the trabajo's
    refund-payable account (reserved out of escrow, so it can never also be released); it reaches
    MercadoPago with the refund id as idempotency key, so a retried call refunds once."""

    id = models.UUIDField(primary_key=True, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    trabajo_id = models.UUIDField(db_index=True)
    mercadopago_payment_id = models.CharField(max_length=32)  # the MercadoPago payment refunded
    amount = models.DecimalField(**MONEY)
    initiated_by = models.CharField(max_length=16, choices=RefundInitiator.choices)
    reason = models.CharField(max_length=300, blank=True, default="")
    requested_by = models.UUIDField(null=True, blank=True)  # staff account, for staff refunds
    status = models.CharField(max_length=16, choices=RefundStatus.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    send_round = models.PositiveSmallIntegerField(default=1)  # idempotency key rounds, as Payout's
    refused = models.BooleanField(default=False)  # FAILED because MercadoPago said no: not refunded there
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    provider_refund_id = models.CharField(max_length=40, blank=True, default="")
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="requested"), name="refund_due"),
        ]

    def __str__(self) -> str:
        return f"Reembolso {self.amount} ARS · trabajo {self.trabajo_id} · {self.get_status_display()}"

    @property
    def idempotency_key(self) -> str:
        return idempotency_key(self.pk, self.send_round)


class HeldDecision(models.Model):
    """A marketplace decision on a trabajo's money (release, dispute split, cancellation) that arrived
    while a chargeback or mediation froze it. Kept here instead of failing until the bus gives up
    (a chargeback lasts weeks): carried out when the freeze is lifted (the case won, or staff lift
    it), dropped when the chargeback is lost (the issuer already took the money back)."""

    id = models.BigAutoField(primary_key=True)
    trabajo_id = models.UUIDField(db_index=True)
    event_id = models.UUIDField(unique=True)  # the decision's event: held once however often delivered
    event_type = models.CharField(max_length=100)
    payload = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.event_type} · trabajo {self.trabajo_id} · {self.outcome or 'retenida'}"


# --- ledger ----------------------------------------------------------------------------------------------


class AccountKind(models.TextChoices):
    CLEARING = "mercadopago_clearing", "MercadoPago (cuenta de la plataforma)"  # asset
    ESCROW = "escrow", "escrow del trabajo"  # liability, one per trabajo
    PROFESSIONAL_PAYABLE = "professional_payable", "a pagar al profesional"  # liability, one per professional
    REFUND_PAYABLE = "refund_payable", "a reembolsar al cliente"  # liability, one per trabajo
    COMMISSION_REVENUE = "commission_revenue", "comisiones de la plataforma"  # revenue
    PROVIDER_LOSSES = "provider_losses", "pérdidas (reembolsos externos tras liberar)"  # expense


# Accounts whose balance the database keeps in a column and forbids below zero. The shared accounts
# (clearing, commission, losses) keep none: every posting touches them, and updating one hot row per
# posting would serialise all money movement of the platform on its lock. Their balance is a SUM.
GUARDED_KINDS = (AccountKind.ESCROW, AccountKind.PROFESSIONAL_PAYABLE, AccountKind.REFUND_PAYABLE)
DEBIT_NORMAL_KINDS = (AccountKind.CLEARING, AccountKind.PROVIDER_LOSSES)


class LedgerAccount(models.Model):
    id = models.BigAutoField(primary_key=True)
    code = models.CharField(max_length=80, unique=True)  # e.g. "escrow:<trabajo uuid>"
    kind = models.CharField(max_length=32, choices=AccountKind.choices)
    normal_side = models.CharField(max_length=6, choices=[("debit", "debit"), ("credit", "credit")])
    trabajo_id = models.UUIDField(null=True, blank=True, db_index=True)
    profesional_id = models.UUIDField(null=True, blank=True, db_index=True)
    # Kept by the database (trigger on entries), on its normal side; NULL for unguarded accounts.
    balance = models.DecimalField(**LEDGER_MONEY, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "payments_ledger_account"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(balance__isnull=True) | Q(balance__gte=0), name="ledger_guarded_balance_not_negative"
            ),
            models.CheckConstraint(
                condition=(Q(kind__in=GUARDED_KINDS) & Q(balance__isnull=False))
                | (~Q(kind__in=GUARDED_KINDS) & Q(balance__isnull=True)),
                name="ledger_balance_kept_for_guarded_kinds",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class TransactionKind(models.TextChoices):
    PAYMENT_RECEIVED = "payment_received", "pago recibido (a escrow)"
    RELEASE = "release", "liberación (profesional + comisión)"
    REFUND_RESERVED = "refund_reserved", "reembolso reservado"
    REFUND_COMPLETED = "refund_completed", "reembolso confirmado por MercadoPago"
    PROVIDER_REFUND = "provider_refund", "reembolso hecho en MercadoPago"
    CHARGEBACK_LOST = "chargeback_lost", "contracargo perdido (devuelto al pagador)"
    DUPLICATE_PAYMENT = "duplicate_payment", "pago duplicado (a devolver)"
    PAYOUT_COMPLETED = "payout_completed", "transferencia al profesional"
    REVERSAL = "reversal", "reversión"


class LedgerTransaction(models.Model):
    """One business operation's money move. `idempotency_key` is unique: the same operation (the
    release of trabajo X, refund R's confirmation, …) can be posted only once, whatever retries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=32, choices=TransactionKind.choices)
    idempotency_key = models.CharField(max_length=200, unique=True)
    trabajo_id = models.UUIDField(null=True, blank=True, db_index=True)
    memo = models.CharField(max_length=300, blank=True, default="")
    reverses = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "payments_ledger_transaction"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.idempotency_key}"


class LedgerEntry(models.Model):
    """One line: positive amounts are debits, negative amounts credits."""

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(**LEDGER_MONEY)

    class Meta:
        db_table = "payments_ledger_entry"
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_not_zero")]

    def __str__(self) -> str:
        side = "debe" if self.amount > 0 else "haber"
        return f"{self.account.code} {side} {abs(self.amount)}"
