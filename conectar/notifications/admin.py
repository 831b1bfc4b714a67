"""Django admin for notifications: every delivery with its status, reason and attempts (failures
first to hand with the status filter), a "re-send" action for failed ones that goes through
`services.delivery`, the development store (messages kept locally because a provider has no
credentials: read the password-reset e-mail here), and read-only preferences and devices."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from conectar.notifications.models import (
    DEV_PROVIDER,
    Delivery,
    DeliveryAttempt,
    Device,
    DevMessage,
    Notification,
    Preference,
)
from conectar.notifications.services import delivery as delivery_services
from conectar.platform.admin_readonly import ReadOnlyAdminMixin


class StaffReadOnly(ReadOnlyAdminMixin):
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff


class AttemptInline(StaffReadOnly, admin.TabularInline):
    model = DeliveryAttempt
    fields = ("at", "outcome", "provider", "error")
    readonly_fields = fields
    ordering = ("at",)
    extra = 0


class DeliveryInline(StaffReadOnly, admin.TabularInline):
    model = Delivery
    fields = ("channel", "status", "reason", "provider", "to", "attempts", "sent_at", "last_error")
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(Notification)
class NotificationAdmin(StaffReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "template", "recipient", "title", "source_event_type")
    list_filter = ("tipo",)
    search_fields = ("=id", "=user_id", "=source_event_id", "recipient")
    ordering = ("-created_at",)
    readonly_fields = (
        "id",
        "user_id",
        "recipient",
        "tipo",
        "template",
        "source_event_id",
        "source_event_type",
        "title",
        "summary",
        "data",
        "created_at",
    )
    inlines = (DeliveryInline,)


@admin.action(description="Reenviar las entregas fallidas seleccionadas")
def resend(modeladmin, request, queryset):
    queued = delivery_services.deliveries_resend(delivery_ids=list(queryset.values_list("pk", flat=True)))
    skipped = queryset.count() - queued
    text = f"Reenvíos en cola: {queued}."
    if skipped:
        text += f" {skipped} no estaban fallidas y quedaron como estaban."
    modeladmin.message_user(request, text, messages.SUCCESS if queued else messages.WARNING)


_DELIVERY_FIELDS = (
    "id",
    "notification",
    "channel",
    "status",
    "reason",
    "provider",
    "to",
    "subject",
    "body",
    "payload",
    "attempts",
    "next_attempt_at",
    "claim_id",
    "last_error",
    "provider_message_id",
    "sent_at",
    "created_at",
    "updated_at",
)


@admin.register(Delivery)
class DeliveryAdmin(StaffReadOnly, admin.ModelAdmin):
    list_display = ("created_at", "channel", "status", "reason", "provider", "to", "template", "attempts", "error")
    list_filter = ("status", "channel", "provider", "reason")
    search_fields = ("=id", "=recipient", "=event_id", "to", "notification__template")
    ordering = ("-created_at",)
    readonly_fields = _DELIVERY_FIELDS
    inlines = (AttemptInline,)
    actions = (resend,)
    list_select_related = ("notification",)

    @admin.display(description="template")
    def template(self, obj):
        return obj.notification.template

    @admin.display(description="last error")
    def error(self, obj):
        return (obj.last_error[:120] + "…") if len(obj.last_error) > 120 else obj.last_error  # noqa: PLR2004


@admin.register(DevMessage)
class DevMessageAdmin(StaffReadOnly, admin.ModelAdmin):
    """The development store: what would have gone out, kept here instead."""

    list_display = ("created_at", "channel", "to", "subject", "preview")
    list_filter = ("channel",)
    search_fields = ("to", "subject", "body")
    ordering = ("-created_at",)
    fields = ("created_at", "channel", "to", "subject", "body", "payload", "html_preview")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).filter(provider=DEV_PROVIDER)

    @admin.display(description="text")
    def preview(self, obj):
        return obj.body[:100]

    @admin.display(description="HTML")
    def html_preview(self, obj):
        if not obj.html:
            return "—"
        return format_html(
            '<iframe sandbox srcdoc="{}" style="width:640px;height:560px;border:1px solid #ccc"></iframe>', obj.html
        )


@admin.register(Preference)
class PreferenceAdmin(StaffReadOnly, admin.ModelAdmin):
    list_display = ("user_id", "tipo", "channel", "enabled", "updated_at")
    list_filter = ("tipo", "channel", "enabled")
    search_fields = ("=user_id",)
    readonly_fields = ("user_id", "tipo", "channel", "enabled", "updated_at")


@admin.register(Device)
class DeviceAdmin(StaffReadOnly, admin.ModelAdmin):
    list_display = ("user_id", "platform", "token", "created_at", "last_seen_at")
    list_filter = ("platform",)
    search_fields = ("=user_id", "=token")
    readonly_fields = ("user_id", "platform", "token", "created_at", "last_seen_at")
