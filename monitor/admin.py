from django.contrib import admin

from lvv.admin import ReadOnlyAdmin
from monitor.models import ExportJob, Snapshot


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
    fields = [  # in this order (the job fields of lvv.jobs.JobRun would come first)
        "requested_by",
        "format",
        "parameters",
        "status",
        "progress",
        "error",
        "created_at",
        "started_at",
        "finished_at",
        "attempts",
        "task_id",
        "heartbeat_at",
    ]
