from django.contrib import admin

from lvv.admin import ReadOnlyAdmin
from privacy.models import LegalHold, RetentionPeriod, RetentionRecord


@admin.register(RetentionPeriod)
class RetentionPeriodAdmin(admin.ModelAdmin):
    list_display = ["outcome", "years", "source", "updated_at"]
    fields = ["outcome", "years", "source"]

    def has_delete_permission(self, request, obj=None):
        return False  # every outcome keeps a period


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ["reason", "case", "person", "placed_at", "lifted_at"]
    raw_id_fields = ["case", "person"]
    fields = ["case", "person", "reason", "lifted_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.placed_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(RetentionRecord)
class RetentionRecordAdmin(ReadOnlyAdmin):
    list_display = ["case", "outcome", "ended_on", "applied_on"]
