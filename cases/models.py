"""Persons and their cases: the records that access is decided on."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from lvv.access import policy
from lvv.partners.models import Location, Organisation, OrganisationKind

V_NUMBER_INVALID = _("Een V-nummer bestaat uit precies 10 cijfers.")
V_NUMBER_TAKEN = _("Er is al een persoon met dit V-nummer.")
BIRTH_DATE_FUTURE = _("De geboortedatum ligt in de toekomst.")
EXTERNAL_ID_TAKEN = _("Deze LVV heeft al een casus met dit externe kenmerk.")
NGO_NOT_SERVING = _("Deze organisatie is geen ngo die voor deze LVV werkt.")

v_number_validator = RegexValidator(r"^\d{10}\Z", V_NUMBER_INVALID, code="invalid_v_number")


class Unaccent(models.Func):
    """``lvv_unaccent(text)``: an IMMUTABLE wrapper around unaccent, so it can be indexed."""

    function = "lvv_unaccent"
    output_field = models.TextField()


class Sex(models.TextChoices):
    MALE = "m", _("man")
    FEMALE = "f", _("vrouw")
    X = "x", _("x (anders/onbepaald)")


class PersonQuerySet(models.QuerySet):
    def visible_to(self, user) -> PersonQuerySet:
        """Persons with a case the user can see, or registered by the user's organisation
        and not yet in any case (between the person form and the case form)."""
        if not policy.sees_persons(user):
            return self.none()
        visible_case = Case.objects.visible_to(user).filter(person=OuterRef("pk"))
        any_case = Case.objects.filter(person=OuterRef("pk"))
        return self.filter(Exists(visible_case) | (Q(created_by_organisation=user.organisation_id) & ~Exists(any_case)))

    def search(self, term: str) -> PersonQuerySet:
        """Accent- and case-insensitive name search with typo tolerance (pg_trgm),
        or an exact V-number."""
        term = term.strip()
        if not term:
            return self
        if term.isdigit():
            return self.filter(v_number__startswith=term)
        needle = Unaccent(Lower(models.Value(term)))
        return self.filter(Q(search_text__contains=needle) | Q(search_text__trigram_word_similar=needle))


class Person(models.Model):
    v_number = models.CharField(
        _("V-nummer"),
        max_length=10,
        unique=True,
        null=True,
        blank=True,
        validators=[v_number_validator],
        error_messages={"unique": V_NUMBER_TAKEN},
    )
    family_name = models.CharField(_("achternaam"), max_length=200)
    given_names = models.CharField(_("voornamen"), max_length=200)
    birth_date = models.DateField(_("geboortedatum"), null=True, blank=True)
    sex = models.CharField(_("geslacht"), max_length=1, choices=Sex.choices, blank=True)
    nationality = CountryField(_("nationaliteit"), blank=True, help_text=_("Leeg: onbekend of staatloos."))
    search_text = models.GeneratedField(
        expression=Unaccent(Lower(Concat("given_names", models.Value(" "), "family_name"))),
        output_field=models.TextField(),
        db_persist=True,
    )
    created_by_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)
    version = models.PositiveIntegerField(_("versie"), default=1)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("persoon")
        verbose_name_plural = _("personen")
        ordering = ["family_name", "given_names", "pk"]
        indexes = [
            models.Index(fields=["family_name", "given_names", "birth_date"], name="person_identity"),
            GinIndex(fields=["search_text"], name="person_search_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()

    def clean(self) -> None:
        super().clean()
        if self.birth_date and self.birth_date > timezone.localdate():
            raise ValidationError({"birth_date": BIRTH_DATE_FUTURE})

    def age_on(self, day: datetime.date) -> int | None:
        if not self.birth_date:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> CaseQuerySet:
        """The cases ``user`` may see: the access policy plus guardian grants on one case."""
        if not (user is not None and user.is_authenticated and user.is_active) or not policy.sees_persons(user):
            # Object grants never open a case to the programme bureau or an inactive user.
            granted = Q(pk__in=[])
        else:
            granted = Q(
                pk__in=CaseUserObjectPermission.objects.filter(user=user, permission__codename="view_case").values(
                    "content_object"
                )
            ) | Q(
                pk__in=CaseGroupObjectPermission.objects.filter(
                    group__user=user, permission__codename="view_case"
                ).values("content_object")
            )
        return self.filter(policy.case_rule(user) | granted)


class Case(models.Model):
    """One stay of one person in one LVV, from registration to outflow."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="cases", verbose_name=_("persoon"))
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="cases", verbose_name=_("LVV"))
    assigned_ngo = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        limit_choices_to={"kind": OrganisationKind.NGO},
        verbose_name=_("toegewezen ngo"),
    )
    external_id = models.CharField(
        _("extern kenmerk"),
        max_length=64,
        blank=True,
        help_text=_("Kenmerk uit het systeem van de gemeente of de pilot; uniek per LVV."),
    )
    health_notes = models.TextField(
        _("medische en psychische bijzonderheden"),
        blank=True,
        help_text=_("Bijzonder persoonsgegeven (art. 9 AVG): alleen zichtbaar met extra autorisatie."),
    )
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(_("versie"), default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("casus")
        verbose_name_plural = _("casussen")
        ordering = ["-created_at", "-pk"]
        permissions = [("view_special_category", _("Mag bijzondere persoonsgegevens (gezondheid) zien"))]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "external_id"],
                condition=~Q(external_id=""),
                name="case_external_id_unique_per_lvv",
                violation_error_message=EXTERNAL_ID_TAKEN,
            ),
        ]
        indexes = [
            models.Index(fields=["location", "-created_at"], name="case_location_created"),
            models.Index(fields=["assigned_ngo", "location"], name="case_ngo_location"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.person}"

    @property
    def reference(self) -> str:
        return self.external_id or f"LVV-{self.pk}"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A grant on one case to one user (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)
