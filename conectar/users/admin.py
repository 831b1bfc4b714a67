"""Staff view of profiles."""

from django.contrib import admin

from conectar.users.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user_id", "nombre", "apellido", "telefono", "updated_at")
    search_fields = ("nombre", "apellido", "telefono", "user_id")
    readonly_fields = ("user_id", "avatar", "created_at", "updated_at")
    ordering = ("-updated_at",)

    def has_add_permission(self, request):
        return False  # profiles are born from registrations
