"""Django admin for the chat: conversations with their messages (read-only: nobody edits what was
said) and the contact-shielding record of each user, with a "lift ban" action that goes through
`services.bans` (which also publishes ChatBanLifted)."""

from __future__ import annotations

from django.contrib import admin, messages

from conectar.marketplace.models import Chat, ChatInfraction, ChatStanding, Message
from conectar.marketplace.services import bans


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class MessageInline(ReadOnlyMixin, admin.TabularInline):
    model = Message
    fields = ("created_at", "kind", "sender_id", "text", "masked")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    show_change_link = False


@admin.register(Chat)
class ChatAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "cliente_id", "profesional_id", "created_at", "last_message_at")
    search_fields = ("=id", "=cliente_id", "=profesional_id")
    ordering = ("-last_message_at",)
    readonly_fields = ("id", "cliente_id", "profesional_id", "created_at", "last_message_at")
    inlines = (MessageInline,)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class InfractionInline(ReadOnlyMixin, admin.TabularInline):
    model = ChatInfraction
    fields = ("created_at", "reason", "chat", "message")
    readonly_fields = fields
    extra = 0


@admin.action(description="Levantar el bloqueo de chat")
def lift_ban(modeladmin, request, queryset):
    lifted = 0
    for standing in queryset.filter(is_banned=True):
        bans.ban_lift(user_id=standing.user_id, by=request.user.pk)
        lifted += 1
    modeladmin.message_user(request, f"Bloqueos levantados: {lifted}.", messages.SUCCESS)


@admin.register(ChatStanding)
class ChatStandingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("user_id", "infractions", "total_infractions", "is_banned", "banned_at", "lifted_at")
    list_filter = ("is_banned",)
    search_fields = ("=user_id",)
    ordering = ("-is_banned", "-updated_at")
    readonly_fields = (
        "user_id",
        "infractions",
        "total_infractions",
        "is_banned",
        "banned_at",
        "lifted_by",
        "lifted_at",
        "updated_at",
    )
    inlines = (InfractionInline,)
    actions = (lift_ban,)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
