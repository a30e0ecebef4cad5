from django.contrib import admin

from lvv.partners.models import Location, LocationCapacity, Organisation, ServiceLink


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
            "Lokale toelatingsregels",
            {
                "fields": [
                    "requires_regional_ties",
                    "requires_shown_willingness",
                    "safe_country_max_stay_days",
                    "voluntary_participation",
                ]
            },
        ),
    ]
