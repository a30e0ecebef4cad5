"""Retention: how long a closed case keeps what identifies the person, legal holds that stop
it, and the record that it was applied (see ``privacy.retention``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, OutflowCategory, Person
from lvv.accounts.fields import user_reference
from lvv.validation import CheapValidation

REJECTED = "rejected"


class RetentionOutcome(models.TextChoices):
    """How a case ended: an outflow category, or a rejected registration."""

    DEPARTURE_ORIGIN = OutflowCategory.DEPARTURE_ORIGIN.value, OutflowCategory.DEPARTURE_ORIGIN.label
    ONWARD_MIGRATION = OutflowCategory.ONWARD_MIGRATION.value, OutflowCategory.ONWARD_MIGRATION.label
    RESIDENCE_GRANTED = OutflowCategory.RESIDENCE_GRANTED.value, OutflowCategory.RESIDENCE_GRANTED.label
    ASYLUM_CENTRE = OutflowCategory.ASYLUM_CENTRE.value, OutflowCategory.ASYLUM_CENTRE.label
    POSTPONEMENT_ART64 = OutflowCategory.POSTPONEMENT_ART64.value, OutflowCategory.POSTPONEMENT_ART64.label
    UNKNOWN_DESTINATION = OutflowCategory.UNKNOWN_DESTINATION.value, OutflowCategory.UNKNOWN_DESTINATION.label
    BACK_TO_BBB = OutflowCategory.BACK_TO_BBB.value, OutflowCategory.BACK_TO_BBB.label
    FORCED_TERMINATION = OutflowCategory.FORCED_TERMINATION.value, OutflowCategory.FORCED_TERMINATION.label
    DETENTION = OutflowCategory.DETENTION.value, OutflowCategory.DETENTION.label
    DECEASED = OutflowCategory.DECEASED.value, OutflowCategory.DECEASED.label
    OTHER = OutflowCategory.OTHER.value, OutflowCategory.OTHER.label
    REJECTED_REGISTRATION = REJECTED, _("aanmelding afgewezen")


class RetentionPeriod(CheapValidation, models.Model):
    """The retention period of one outcome, in years after the case ended; set by the
    functional manager (the defaults and their source come with the first migration)."""

    outcome = models.CharField(_("uitkomst"), max_length=30, choices=RetentionOutcome.choices, unique=True)
    years = models.PositiveSmallIntegerField(_("bewaartermijn (jaren)"))
    source = models.CharField(_("bron"), max_length=500, blank=True)
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)

    class Meta:
        verbose_name = _("bewaartermijn")
        verbose_name_plural = _("bewaartermijnen")
        ordering = ["outcome"]
        constraints = [models.CheckConstraint(condition=Q(years__gte=1), name="retention_at_least_a_year")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.years}"


class LegalHold(CheapValidation, models.Model):
    """Stops retention for one case, or for every case of one person, until lifted (an
    ongoing procedure, a complaint, a request of the archivist)."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("casus")
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("persoon")
    )
    reason = models.CharField(_("reden"), max_length=500)
    placed_by = user_reference()
    placed_at = models.DateTimeField(_("ingesteld op"), default=timezone.now)
    lifted_at = models.DateTimeField(_("opgeheven op"), null=True, blank=True)

    class Meta:
        verbose_name = _("bewaarplicht (legal hold)")
        verbose_name_plural = _("bewaarplichten (legal holds)")
        constraints = [
            models.CheckConstraint(
                condition=Q(case__isnull=False) | Q(person__isnull=False), name="legal_hold_names_case_or_person"
            )
        ]

    def __str__(self) -> str:
        return self.reason


class RetentionRecord(models.Model):
    """A case whose identifying data was removed: when, and under which outcome's period.
    Its presence makes retention idempotent."""

    case = models.OneToOneField(Case, on_delete=models.PROTECT, related_name="retention", verbose_name=_("casus"))
    outcome = models.CharField(_("uitkomst"), max_length=30, choices=RetentionOutcome.choices)
    ended_on = models.DateField(_("einde casus"))
    applied_on = models.DateField(_("toegepast op"))
    applied_at = models.DateTimeField(_("toegepast"), default=timezone.now)

    class Meta:
        verbose_name = _("toegepaste bewaartermijn")
        verbose_name_plural = _("toegepaste bewaartermijnen")

    def __str__(self) -> str:
        return f"{self.case_id} {self.applied_on:%Y-%m-%d}"
