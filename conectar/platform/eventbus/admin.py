"""Staff view of the event bus: outboxes and dead letters of every context database.

The tables exist once per context database; a "database" filter picks which one a list shows."""

from django.contrib import admin, messages
from django.http import Http404

from conectar.platform.databases import aliases_here
from conectar.platform.eventbus.models import DeadLetter, OutboxEvent
from conectar.platform.eventbus.redrive import redrive


class DatabaseFilter(admin.SimpleListFilter):
    title = "database"
    parameter_name = "db"

    def lookups(self, request, model_admin):
        return [(alias, alias) for alias in aliases_here()]

    def queryset(self, request, queryset):
        return queryset.using(self.value() or "default")

    def choices(self, changelist):
        current = self.value() or "default"
        for alias, title in self.lookup_choices:
            yield {
                "selected": current == alias,
                "query_string": changelist.get_query_string({self.parameter_name: alias}),
                "display": title,
            }


class PerDatabaseAdmin(admin.ModelAdmin):
    list_filter = (DatabaseFilter,)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_object(self, request, object_id, from_field=None):
        alias = request.GET.get("db")
        for candidate in [alias] if alias in aliases_here() else aliases_here():
            found = self.model.objects.using(candidate).filter(pk=object_id).first()
            if found is not None:
                return found
        raise Http404


@admin.register(OutboxEvent)
class OutboxEventAdmin(PerDatabaseAdmin):
    list_display = ("id", "event_type", "event_id", "created_at", "relayed_at")
    search_fields = ("event_id", "event_type")
    readonly_fields = ("event_id", "event_type", "envelope", "created_at", "relayed_at")


@admin.register(DeadLetter)
class DeadLetterAdmin(PerDatabaseAdmin):
    list_display = ("event_type", "handler", "status", "attempts", "died_at", "redriven_at")
    list_filter = (DatabaseFilter, "status")
    search_fields = ("event_id", "handler", "event_type")
    readonly_fields = (
        "event_id",
        "event_type",
        "handler",
        "envelope",
        "attempts",
        "last_error",
        "status",
        "died_at",
        "redriven_at",
    )
    actions = ["redrive_selected"]

    def has_change_permission(self, request, obj=None):
        return obj is None and request.user.is_staff  # list actions need it; objects stay read-only

    @admin.action(description="Re-drive selected dead letters")
    def redrive_selected(self, request, queryset):
        sent = redrive(queryset.db, queryset.values_list("id", flat=True))
        self.message_user(request, f"Re-drove {sent} dead letter(s) from {queryset.db}.", messages.SUCCESS)
