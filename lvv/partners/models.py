"""Organisations, LVV locations and which organisation serves which LVV."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from lvv.partners.logos import logo_path, logo_storage, validate_logo, version_of
from lvv.validation import CheapValidation


class OrganisationKind(models.TextChoices):
    MUNICIPALITY = "municipality", _("Gemeente")
    NGO = "ngo", _("Maatschappelijke organisatie (ngo)")
    IND = "ind", _("IND")
    DTV = "dtv", _("DT&V")
    POLICE = "police", _("Politie (AVIM)")
    PROGRAMME_BUREAU = "bureau", _("Programmabureau")
    OTHER = "other", _("Overig")


class Organisation(models.Model):
    name = models.CharField(_("naam"), max_length=200, unique=True)
    kind = models.CharField(_("soort"), max_length=20, choices=OrganisationKind.choices)
    locations = models.ManyToManyField(
        "Location",
        through="ServiceLink",
        related_name="serving_organisations",
        verbose_name=_("bediende LVV's"),
        blank=True,
    )
    # Shown in the page header for the organisation's users and on the PDFs of the LVVs
    # of a municipality (``lvv.partners.logos``: PNG, JPEG or a plain SVG, checked by content).
    logo = models.FileField(
        _("logo"),
        storage=logo_storage,
        upload_to=logo_path,
        validators=[validate_logo],
        max_length=300,
        blank=True,
        help_text=_("PNG, JPEG of SVG, ten hoogste 512 kB. Staat in de kop van de pagina's en op de pdf's."),
    )

    class Meta:
        verbose_name = _("organisatie")
        verbose_name_plural = _("organisaties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def logo_version(self) -> str:
        return version_of(self.logo.name) if self.logo else ""


def organisation_reference(verbose_name: Any = None) -> models.ForeignKey[Organisation | None, Organisation | None]:
    """The organisation a user acted for, kept with the record (the user may move on)."""
    return models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=verbose_name
    )


class Location(models.Model):
    """One LVV: a municipal facility, with its local admission rules as data."""

    slug = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("naam"), max_length=200)
    municipality = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="own_locations",
        limit_choices_to={"kind": OrganisationKind.MUNICIPALITY},
        verbose_name=_("gemeente"),
    )
    # Local admission rules (the pilots differ; none is hard-coded).
    requires_regional_ties = models.BooleanField(_("regiobinding vereist"), default=True)
    requires_shown_willingness = models.BooleanField(_("aantoonbare bereidheid tot meewerken vereist"), default=False)
    safe_country_max_stay_days = models.PositiveIntegerField(
        _("maximale verblijfsduur veilig land (dagen)"),
        null=True,
        blank=True,
        help_text=_("Leeg: geen maximum."),
    )
    voluntary_participation = models.BooleanField(_("deelname op vrijwillige basis"), default=False)
    cooperation_check_weeks = models.PositiveIntegerField(
        _("interval medewerkingstoets (weken)"), default=6, validators=[MinValueValidator(1)]
    )

    class Meta:
        verbose_name = _("LVV-locatie")
        verbose_name_plural = _("LVV-locaties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def capacity_on(self, day: datetime.date) -> int:
        """Funded places on ``day``: the latest capacity effective on or before it."""
        row = self.capacities.filter(effective_from__lte=day).order_by("-effective_from").first()
        return row.places if row else 0


class LocationCapacity(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="capacities")
    effective_from = models.DateField(_("geldig vanaf"))
    places = models.PositiveIntegerField(_("plaatsen"), validators=[MinValueValidator(0)])

    class Meta:
        verbose_name = _("capaciteit")
        verbose_name_plural = _("capaciteit")
        ordering = ["location", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["location", "effective_from"], name="capacity_one_per_date"),
        ]

    def __str__(self) -> str:
        return f"{self.location}: {self.places} ({self.effective_from:%Y-%m-%d})"


class ServiceLink(models.Model):
    """An organisation (NGO, IND or DT&V team, police) serves an LVV."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="service_links")
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="service_links")

    class Meta:
        verbose_name = _("samenwerking")
        verbose_name_plural = _("samenwerkingen")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "location"], name="servicelink_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} - {self.location}"


class RestPeriodTrigger(models.TextChoices):
    COMPLETE_DOSSIER = "complete_dossier", _("dossier compleet (IND- en DT&V-deel geleverd)")
    SHELTER_START = "shelter_start", _("start van de opvang")
    DOSSIER_AND_SCENARIO = "dossier_and_scenario", _("dossier compleet én scenario vastgesteld")


class ProgrammeSettings(models.Model):
    """Programme-wide agreements (one row): the rest period and the other deadlines."""

    rest_period_days = models.PositiveIntegerField(_("rusttermijn (dagen)"), default=14)
    rest_period_trigger = models.CharField(
        _("rusttermijn start bij"),
        max_length=20,
        choices=RestPeriodTrigger.choices,
        default=RestPeriodTrigger.COMPLETE_DOSSIER,
    )
    dossier_delivery_days = models.PositiveIntegerField(_("levertermijn dossierdeel (dagen)"), default=14)
    scenario_review_days = models.PositiveIntegerField(_("herbeoordeling scenario na (dagen)"), default=90)
    due_soon_days = models.PositiveIntegerField(_("binnenkort verlopen: binnen (dagen)"), default=7)
    admitted_waiting_days = models.PositiveIntegerField(
        _("signaal: toegelaten zonder plek na (dagen)"),
        default=30,
        help_text=_("Het datakwaliteitspaneel meldt wie zo lang na de toelating nog geen plek heeft."),
    )

    class Meta:
        verbose_name = _("programma-instellingen")
        verbose_name_plural = _("programma-instellingen")

    def __str__(self) -> str:
        return str(_("Programma-instellingen"))

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> ProgrammeSettings:
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class SafeCountryQuerySet(models.QuerySet):
    def listed_on(self, day: datetime.date) -> SafeCountryQuerySet:
        return self.filter(listed_from__lte=day).filter(Q(listed_until__isnull=True) | Q(listed_until__gte=day))


class SafeCountry(CheapValidation, models.Model):
    """A safe country of origin, on the list from ``listed_from`` to ``listed_until``
    (inclusive). A person of that nationality sheltered while it is listed gets the LVV's
    maximum stay, where the LVV sets one."""

    country = CountryField(_("land"))
    listed_from = models.DateField(_("op de lijst vanaf"))
    listed_until = models.DateField(_("op de lijst tot en met"), null=True, blank=True)

    objects = SafeCountryQuerySet.as_manager()

    class Meta:
        verbose_name = _("veilig land van herkomst")
        verbose_name_plural = _("veilige landen van herkomst")
        ordering = ["country", "listed_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(listed_until__isnull=True) | Q(listed_until__gte=models.F("listed_from")),
                name="safecountry_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.country.name} ({self.listed_from:%Y-%m-%d})"


def locations_of(organisation: Organisation | None) -> models.QuerySet[Location]:
    """The LVVs an organisation works for: its own (municipality) and those it serves."""
    if organisation is None:
        return Location.objects.none()
    return Location.objects.filter(
        Q(municipality=organisation) | Q(service_links__organisation=organisation)
    ).distinct()
