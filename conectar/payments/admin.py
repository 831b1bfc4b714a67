"""Django admin for payments: payments, payouts (the manual-transfer queue, mark paid, retry), refunds,
staff alerts, webhooks received, and the ledger (read-only).

Nothing here writes a table directly: every action calls a service (which locks, posts to the
ledger and publishes events). Ledger rows cannot be added, changed or deleted from here; PostgreSQL
would refuse the change anyway.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from conectar.payments.models import (
    HeldDecision,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentAlert,
    Payout,
    PayoutStatus,
    ProviderPayment,
    Refund,
    RefundStatus,
    WebhookNotification,
)
from conectar.payments.services import alerts, chargebacks, freeze, payouts, refunds
from conectar.payments.services.payouts import REFERENCE_MAX_LENGTH
from conectar.platform.admin_actions import action_with_form, apply_each
from conectar.platform.admin_filters import QueueFilter
from conectar.platform.admin_readonly import ReadOnlyAdminMixin
from conectar.platform.admin_readonly import ReadOnlyInline as PlatformReadOnlyInline


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Shown to staff, changed only through services (or, for the ledger, never)."""


class ReadOnlyInline(PlatformReadOnlyInline):
    show_change_link = True


def _may_change(request, model_name: str) -> bool:
    """Staff actions need the model's change permission (superusers have it), even though the
    admin forms themselves are read-only."""
    return request.user.is_active and request.user.has_perm(f"payments.change_{model_name}")


# --- payments -------------------------------------------------------------------------------------------


class ProviderPaymentInline(ReadOnlyInline):
    model = ProviderPayment
    verbose_name_plural = "Pagos en MercadoPago (última lectura de su API)"
    fields = ("mercadopago_payment_id", "status", "status_detail", "amount", "amount_refunded", "last_seen_at")
    readonly_fields = fields
    show_change_link = False


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("id", "amount", "initiated_by", "status", "attempts", "last_error", "created_at", "completed_at")
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = (
        "trabajo_id",
        "amount",
        "status",
        "frozen",
        "amount_mismatch",
        "mercadopago_payment_id",
        "created_at",
    )
    list_filter = ("status", "frozen", "amount_mismatch")
    search_fields = ("=trabajo_id", "=cliente_id", "=profesional_id", "=mercadopago_payment_id", "=preference_id")
    inlines = (ProviderPaymentInline, RefundInline)
    actions = ("unfreeze", "chargeback_lost")

    def has_unfreeze_permission(self, request):
        return _may_change(request, "payment")

    has_chargeback_lost_permission = has_unfreeze_permission

    @admin.action(description="Levantar el congelamiento (contracargo o mediación resueltos)", permissions=["unfreeze"])
    def unfreeze(self, request, queryset):
        done = sum(freeze.payment_unfreeze(payment_id=p.pk) for p in queryset)
        self.message_user(request, f"Se descongelaron {done} pago(s).", messages.SUCCESS)

    @admin.action(
        description="Contracargo perdido: registrar el dinero devuelto al pagador", permissions=["chargeback_lost"]
    )
    def chargeback_lost(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            lambda payment: chargebacks.chargeback_lost(payment_id=payment.pk),
            verb="registraron como perdidos",
        )


# --- payouts --------------------------------------------------------------------------------------------


class PayoutQueueFilter(QueueFilter):
    """With no choice made: what staff must act on (manual transfers to make, failed payouts)."""

    title = "estado"
    parameter_name = "cola"
    DEFAULT = "por_atender"
    ALL = "todas"

    def lookups(self, request, model_admin):
        return [(self.DEFAULT, "Por atender (manuales y fallidas)"), *PayoutStatus.choices, (self.ALL, "Todas")]

    def filter(self, queryset, value):
        if value == self.DEFAULT:
            return queryset.filter(status__in=[PayoutStatus.PENDING_MANUAL, PayoutStatus.FAILED])
        return queryset.filter(status=value)


class MarkPaidForm(forms.Form):
    reference = forms.CharField(
        label="Referencia de la transferencia",
        help_text="Número de operación del banco o de MercadoPago; queda en el libro y lo ve el profesional.",
        max_length=REFERENCE_MAX_LENGTH,
    )


@admin.register(Payout)
class PayoutAdmin(ReadOnlyAdmin):
    list_display = (
        "trabajo_id",
        "profesional_id",
        "amount",
        "destino",
        "provider",
        "status",
        "attempts",
        "last_error",
        "created_at",
    )
    list_filter = (PayoutQueueFilter, "provider")
    search_fields = ("=trabajo_id", "=profesional_id", "reference")
    ordering = ("created_at",)
    actions = ("mark_paid", "retry")

    @admin.display(description="Destino")
    def destino(self, payout):
        return payouts.payout_destination(payout) or "(sin cuenta cargada)"

    def has_mark_paid_permission(self, request):
        return _may_change(request, "payout")

    has_retry_permission = has_mark_paid_permission

    @admin.action(description="Marcar como pagadas (transferencia hecha a mano)…", permissions=["mark_paid"])
    def mark_paid(self, request, queryset):
        return action_with_form(
            self,
            request,
            queryset,
            form_class=MarkPaidForm,
            action_name="mark_paid",
            title="Marcar transferencias como pagadas",
            intro="Confirmás que transferiste estos montos a la cuenta de cobro de cada profesional:",
            items=lambda p: (
                f"{p.amount} ARS a {payouts.payout_destination(p) or '(sin cuenta cargada)'} — "
                f"trabajo {p.trabajo_id} — {p.get_status_display()}"
            ),
            note="Queda registrado en el libro contable y se le avisa al profesional. Las ya pagadas no cambian.",
            submit_label="Marcar como pagadas",
            verb="marcaron como pagadas",
            apply=lambda p, data: payouts.payout_mark_paid(
                payout_id=p.pk, reference=data["reference"], by=request.user.pk
            ),
        )

    @admin.action(description="Reintentar las transferencias fallidas", permissions=["retry"])
    def retry(self, request, queryset):
        apply_each(
            self, request, queryset, lambda p: payouts.payout_retry(trabajo_id=p.trabajo_id), verb="reintentaron"
        )


# --- refunds and alerts ---------------------------------------------------------------------------------


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ("trabajo_id", "amount", "initiated_by", "status", "attempts", "last_error", "created_at")
    list_filter = ("status", "initiated_by")
    search_fields = ("=trabajo_id", "=mercadopago_payment_id", "provider_refund_id")
    actions = ("retry",)

    def has_retry_permission(self, request):
        return _may_change(request, "refund")

    @admin.action(description="Reintentar los reembolsos fallidos", permissions=["retry"])
    def retry(self, request, queryset):
        failed = queryset.filter(status=RefundStatus.FAILED)
        apply_each(self, request, failed, lambda r: refunds.refund_retry(refund_id=r.pk), verb="reintentaron")


@admin.register(PaymentAlert)
class PaymentAlertAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "trabajo_id", "detail", "resolved_at")
    list_filter = ("kind", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("=trabajo_id", "detail")
    actions = ("resolve",)

    def has_resolve_permission(self, request):
        return _may_change(request, "paymentalert")

    @admin.action(description="Marcar como resueltas", permissions=["resolve"])
    def resolve(self, request, queryset):
        done = alerts.alerts_resolve(alert_ids=queryset.values_list("pk", flat=True), by=request.user.pk)
        self.message_user(request, f"Se resolvieron {done} alerta(s).", messages.SUCCESS)


@admin.register(HeldDecision)
class HeldDecisionAdmin(ReadOnlyAdmin):
    """Decisions a chargeback or mediation holds: carried out when the freeze is lifted."""

    list_display = ("created_at", "trabajo_id", "event_type", "settled_at", "outcome")
    list_filter = ("event_type", ("settled_at", admin.EmptyFieldListFilter))
    search_fields = ("=trabajo_id",)


@admin.register(WebhookNotification)
class WebhookNotificationAdmin(ReadOnlyAdmin):
    list_display = ("received_at", "topic", "action", "data_id", "processed_at", "attempts", "outcome")
    list_filter = ("topic", ("processed_at", admin.EmptyFieldListFilter))
    search_fields = ("=data_id", "=request_id")


# --- ledger (read-only) ---------------------------------------------------------------------------------


class LedgerEntryInline(ReadOnlyInline):
    model = LedgerEntry
    fields = ("account", "debe", "haber")
    readonly_fields = fields
    show_change_link = False

    @admin.display(description="debe")
    def debe(self, entry):
        return entry.amount if entry.amount > 0 else ""

    @admin.display(description="haber")
    def haber(self, entry):
        return -entry.amount if entry.amount < 0 else ""


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "trabajo_id", "memo", "idempotency_key")
    list_filter = ("kind",)
    search_fields = ("=trabajo_id", "idempotency_key")
    inlines = (LedgerEntryInline,)
    fields = ("id", "created_at", "kind", "trabajo_id", "memo", "idempotency_key", "reverses")
    readonly_fields = fields


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyAdmin):
    list_display = ("code", "kind", "normal_side", "balance", "trabajo_id", "profesional_id")
    list_filter = ("kind",)
    search_fields = ("code", "=trabajo_id", "=profesional_id")
