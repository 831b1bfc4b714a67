"""Admin list filters shared by the contexts' staff queues."""

from __future__ import annotations

from django.contrib import admin


class QueueFilter(admin.SimpleListFilter):
    """A list filter that opens on a default choice (the queue staff must work through) instead of
    "all", with an explicit `ALL` choice to see everything. Subclasses set `DEFAULT`, `ALL`,
    `lookups()` and `filter(queryset, value)`."""

    DEFAULT: str
    ALL: str

    def value(self):
        return super().value() or self.DEFAULT

    def choices(self, changelist):
        # Django's own choices() adds an "All" entry that would mean the default here: ours is in lookups.
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        return queryset if self.value() == self.ALL else self.filter(queryset, self.value())

    def filter(self, queryset, value):
        raise NotImplementedError
