"""Staff view of accounts: search, filter, ban and unban (through the same services as the API)."""

from django.contrib import admin, messages
from django.db import transaction

from conectar.auth_ctx import services, tokens
from conectar.auth_ctx.admin_login import LockoutAdminAuthenticationForm
from conectar.auth_ctx.models import Account
from conectar.shared.errors import DomainError


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ("email", "role", "is_active", "email_verified", "is_staff", "created_at", "last_login")
    list_filter = ("role", "is_active", "email_verified", "is_staff")
    search_fields = ("email",)
    ordering = ("-created_at",)
    readonly_fields = ("id", "email", "role", "is_active", "token_version", "created_at", "updated_at", "last_login")
    fields = (
        "id",
        "email",
        "role",
        "is_active",
        "email_verified",
        "is_staff",
        "token_version",
        "created_at",
        "last_login",
    )
    actions = ["ban_selected", "unban_selected"]

    def has_add_permission(self, request):
        return False  # accounts are born through registration or `manage.py createadmin`

    def has_delete_permission(self, request, obj=None):
        return False  # other contexts keep this UUID; a ban is the way to stop an account

    def save_model(self, request, obj, form, change):
        # is_staff is edited here: the standing every request reads from Redis must follow at once.
        with transaction.atomic(using=services.DB):
            super().save_model(request, obj, form, change)
            tokens.forget_standing(obj.pk)

    def _apply(self, request, queryset, service, verb):
        done = 0
        for account in queryset:
            try:
                service(account_id=account.pk, by=request.user.pk)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{account.email}: {exc.detail}", messages.WARNING)
        self.message_user(request, f"{verb} {done} account(s).", messages.SUCCESS)

    @admin.action(description="Ban selected accounts")
    def ban_selected(self, request, queryset):
        self._apply(request, queryset, services.account_ban, "Banned")

    @admin.action(description="Unban selected accounts")
    def unban_selected(self, request, queryset):
        self._apply(request, queryset, services.account_unban, "Unbanned")


# Staff sign in to Django admin under the same failed-login lockout as the API.
admin.site.login_form = LockoutAdminAuthenticationForm
