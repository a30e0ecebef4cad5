from django.contrib import admin

from lvv.admin import ReadOnlyAdmin
from lvv.audit.models import AccessLogEntry


@admin.register(AccessLogEntry)
class AccessLogEntryAdmin(ReadOnlyAdmin):
    """Functional managers can search and filter the log; nobody can add, change or delete rows."""

    list_display = [
        "timestamp",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "result",
        "channel",
        "ip_address",
    ]
    list_filter = ["action", "result", "channel", "object_type", ("timestamp", admin.DateFieldListFilter)]
    search_fields = ["actor_username", "object_id", "ip_address"]
    date_hierarchy = "timestamp"
    list_select_related = False
    show_full_result_count = False
