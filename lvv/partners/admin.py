from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lvv.partners.models import Location, LocationCapacity, Organisation, ProgrammeSettings, ServiceLink


class ServiceLinkInline(admin.TabularInline):
    model = ServiceLink
    extra = 0
    autocomplete_fields = ["organisation"]


class CapacityInline(admin.TabularInline):
    model = LocationCapacity
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "slug",
        "municipality",
        "requires_regional_ties",
        "requires_shown_willingness",
        "safe_country_max_stay_days",
        "voluntary_participation",
    ]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug"]
    inlines = [CapacityInline, ServiceLinkInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "municipality"]}),
        (
            _("Lokale toelatingsregels en termijnen"),
            {
                "fields": [
                    "requires_regional_ties",
                    "requires_shown_willingness",
                    "safe_country_max_stay_days",
                    "voluntary_participation",
                    "cooperation_check_weeks",
                ]
            },
        ),
    ]


@admin.register(ProgrammeSettings)
class ProgrammeSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "rest_period_days",
        "rest_period_trigger",
        "dossier_delivery_days",
        "scenario_review_days",
        "due_soon_days",
    ]

    def has_add_permission(self, request):
        return not ProgrammeSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
