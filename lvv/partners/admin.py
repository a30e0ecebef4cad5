from django.contrib import admin
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html
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
    list_display = ["name", "kind", "has_logo"]
    list_filter = ["kind"]
    search_fields = ["name"]
    fields = ["name", "kind", "logo", "logo_preview"]
    readonly_fields = ["logo_preview"]

    @admin.display(boolean=True, description=_("logo"))
    def has_logo(self, organisation: Organisation) -> bool:
        return bool(organisation.logo)

    @admin.display(description=_("huidig logo"))
    def logo_preview(self, organisation: Organisation) -> str:
        if not organisation.logo:
            return "—"
        url = reverse("partners:logo", args=[organisation.pk, organisation.logo_version])
        return format_html('<img src="{}" alt="" height="64">', url)

    def save_model(self, request, obj: Organisation, form, change: bool) -> None:
        """A replaced or cleared logo's old file is removed from the storage once saved."""
        previous = Organisation.objects.filter(pk=obj.pk).values_list("logo", flat=True).first() if change else ""
        super().save_model(request, obj, form, change)
        if previous and previous != obj.logo.name:
            storage = obj.logo.storage
            transaction.on_commit(lambda: storage.delete(previous))


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
