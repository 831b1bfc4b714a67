"""Django admin pages that show a context's records to staff without forms that edit them: every
change goes through the context's services (admin actions), or, for history and the ledger, never."""

from __future__ import annotations

from django.contrib import admin


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Evidence and history under a record: existing rows only, no empty forms, no delete boxes."""

    extra = 0
    max_num = 0
    can_delete = False
