"""Django admin for the marketplace: conversations with their messages (read-only: nobody edits what
was said), the contact-shielding record of each user with a "lift ban" action through `services.bans`,
and ofertas, trabajos (history, reviews) and reseñas, with the staff actions on trabajos (cancel with
refund, resolve a dispute) going through `services.trabajos`."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from conectar.marketplace.contracts import Actor
from conectar.marketplace.models import (
    Chat,
    ChatInfraction,
    ChatStanding,
    Disputa,
    Message,
    Oferta,
    Resena,
    Trabajo,
    TrabajoHistory,
)
from conectar.marketplace.services import bans, trabajos
from conectar.marketplace.workflow import Action
from conectar.platform.admin_actions import action_with_form
from conectar.platform.admin_readonly import ReadOnlyAdminMixin


class MessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Message
    fields = ("created_at", "kind", "sender_id", "text", "masked")
    readonly_fields = fields
    ordering = ("-created_at",)
    extra = 0
    show_change_link = False


@admin.register(Chat)
class ChatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "cliente_id", "profesional_id", "created_at", "last_message_at")
    search_fields = ("=id", "=cliente_id", "=profesional_id")
    ordering = ("-last_message_at",)
    readonly_fields = ("id", "cliente_id", "profesional_id", "created_at", "last_message_at")
    inlines = (MessageInline,)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class InfractionInline(ReadOnlyAdminMixin, admin.TabularInline):
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
class ChatStandingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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


# --- ofertas, trabajos, reseñas ---------------------------------------------------------------------------
# Read-only records; the only writes are the staff actions below, which go through `services.trabajos`
# (the transition table) exactly like the admin API routes.


@admin.register(Oferta)
class OfertaAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "estado", "precio_final", "cliente_id", "profesional_id", "created_at", "expira_en")
    list_filter = ("estado",)
    search_fields = ("=id", "=cliente_id", "=profesional_id", "=chat__id")
    ordering = ("-created_at",)
    readonly_fields = (
        "id",
        "chat",
        "cliente_id",
        "profesional_id",
        "descripcion",
        "precio_final",
        "estado",
        "expira_en",
        "created_at",
        "updated_at",
        "decided_at",
    )

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff


class HistoryInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = TrabajoHistory
    fields = ("created_at", "accion", "desde", "hacia", "actor", "actor_id", "nota")
    readonly_fields = fields
    extra = 0


class ResenaInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Resena
    fields = ("autor_rol", "rating", "texto", "created_at", "publicada_at", "respuesta")
    readonly_fields = fields
    extra = 0


class CancelForm(forms.Form):
    motivo = forms.CharField(
        label="Motivo", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000, help_text="Queda en el historial."
    )


class ResolveForm(forms.Form):
    porcentaje_reembolso = forms.IntegerField(
        label="Reintegro al cliente (%)", min_value=0, max_value=100, help_text="El resto se libera al profesional."
    )
    nota = forms.CharField(label="Nota", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


@admin.register(Trabajo)
class TrabajoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "estado", "precio_final", "contracargo", "cliente_id", "profesional_id", "created_at")
    list_filter = ("estado", "contracargo")
    search_fields = ("=id", "=cliente_id", "=profesional_id", "=mercadopago_payment_id")
    ordering = ("-created_at",)
    inlines = (HistoryInline, ResenaInline)
    actions = ("cancel_with_refund", "resolve_dispute")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Trabajo._meta.fields]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff

    def has_staff_permission(self, request):
        return request.user.is_active and request.user.is_staff

    @admin.action(description="Cancelar con reintegro total…", permissions=["staff"])
    def cancel_with_refund(self, request, queryset):
        return action_with_form(
            self,
            request,
            queryset,
            form_class=CancelForm,
            action_name="cancel_with_refund",
            title="Cancelar trabajos con reintegro",
            intro="Vas a cancelar estos trabajos; lo pagado vuelve completo al cliente:",
            items=_trabajo_line,
            note="Los que no estén en un estado que lo permita quedan sin cambios.",
            submit_label="Cancelar y reintegrar",
            verb="cancelaron",
            apply=lambda t, data: trabajos.apply(
                trabajo_id=t.pk,
                action=Action.CANCELAR,
                actor=Actor.STAFF,
                actor_id=request.user.pk,
                motivo=data["motivo"],
            ),
        )

    @admin.action(description="Resolver disputa…", permissions=["staff"])
    def resolve_dispute(self, request, queryset):
        return action_with_form(
            self,
            request,
            queryset,
            form_class=ResolveForm,
            action_name="resolve_dispute",
            title="Resolver disputas",
            intro="Vas a resolver la disputa de estos trabajos con el mismo reparto:",
            items=_trabajo_line,
            note="Los que no estén en disputa quedan sin cambios.",
            submit_label="Resolver",
            verb="resolvieron",
            apply=lambda t, data: trabajos.apply(
                trabajo_id=t.pk,
                action=Action.RESOLVER,
                actor=Actor.STAFF,
                actor_id=request.user.pk,
                motivo=data["nota"],
                porcentaje_reembolso=data["porcentaje_reembolso"],
            ),
        )


def _trabajo_line(trabajo: Trabajo) -> str:
    disputa = f" — disputa: «{trabajo.disputa_motivo}»" if trabajo.disputa_motivo else ""
    return f"{trabajo} — $ {trabajo.precio_final}{disputa}"


@admin.register(Disputa)
class DisputaAdmin(TrabajoAdmin):
    """The queue staff work through: oldest dispute first, chargebacks marked."""

    list_display = ("id", "disputa_abierta_at", "disputa_abierta_por", "contracargo", "precio_final", "disputa_motivo")
    list_filter = ("contracargo", "disputa_abierta_por")
    ordering = ("disputa_abierta_at",)


@admin.register(Resena)
class ResenaAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("id", "trabajo", "autor_rol", "rating", "created_at", "publicada_at")
    list_filter = ("autor_rol", "rating")
    search_fields = ("=id", "=autor_id", "=destinatario_id", "=trabajo__id")
    ordering = ("-created_at",)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in Resena._meta.fields]

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff
