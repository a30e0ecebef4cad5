from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from lvv.partners.models import Location, LocationCapacity, Organisation, ProgrammeSettings, SafeCountry, ServiceLink


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
        "admitted_waiting_days",
    ]

    def has_add_permission(self, request):
        return not ProgrammeSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SafeCountry)
class SafeCountryAdmin(admin.ModelAdmin):
    """The programme's dated list of safe countries of origin: a person of a listed
    nationality sheltered while it is listed gets the LVV's maximum stay."""

    list_display = ["country", "listed_from", "listed_until"]
    list_filter = ["listed_until"]
    ordering = ["country", "listed_from"]
