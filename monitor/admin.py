from django.contrib import admin

from monitor.models import ExportJob, Snapshot


class ReadOnlyAdmin(admin.ModelAdmin):
    """Functional managers can look; snapshots and exports change only through the services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ["reference_date", "scope", "kind", "published_at", "created_at", "created_by"]
    list_filter = ["kind", ("published_at", admin.EmptyFieldListFilter)]
    date_hierarchy = "reference_date"


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "requested_by", "format", "status", "progress", "attempts", "finished_at"]
    list_filter = ["format", "status"]
    list_select_related = ["requested_by"]
    exclude = ["file", "storage_key"]  # the file is served to its requester only

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields if f.name not in self.exclude]
