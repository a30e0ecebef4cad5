"""Procedures and departure preparation: records of a case, kept by the partner whose work
they are (contracts/case-import.md, version 2; docs/adr/0016-procedures.md).

- ``Application``: an application or procedure for residence (or postponement of
  departure) lodged for the person, and the decision on it. The IND records its decisions
  (repeat asylum, *buitenschuld*, regular, medical art. 64); appeals and other procedures
  are recorded by the case worker of the municipality.
- ``DepartureStep``: a step of the departure preparation (identity and nationality
  established, embassy presentation, travel document requested and received), recorded
  by the DT&V (also for steps the IOM supported).
- ``DeparturePlan``: a planned departure; re-planning adds a row, the latest plan counts
  (by the date it was made, then by the order of recording), the history stays.

Written by ``procedures.services`` only (pages, API, import, demo alike).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from lvv.accounts.fields import user_reference
from lvv.partners.models import organisation_reference
from lvv.text import SHORT_TEXT_MAX, TEXT_MAX
from lvv.validation import CheapValidation


class ApplicationKind(models.TextChoices):
    ASYLUM_REPEAT = "asylum_repeat", _("opvolgende asielaanvraag")
    NO_FAULT = "no_fault", _("buitenschuldvergunning")
    REGULAR = "regular", _("reguliere verblijfsaanvraag")
    MEDICAL_ART64 = "medical_art64", _("uitstel van vertrek om medische redenen (art. 64 Vw2000)")
    APPEAL = "appeal", _("beroep bij de rechtbank")
    OTHER = "other", _("andere procedure")


# The kinds the IND decides on; a court decides an appeal, and "other" is decided by whoever
# runs that procedure: the case worker records those decisions (docs/adr/0016-procedures.md).
IND_KINDS = (
    ApplicationKind.ASYLUM_REPEAT,
    ApplicationKind.NO_FAULT,
    ApplicationKind.REGULAR,
    ApplicationKind.MEDICAL_ART64,
)


# An application for postponement of departure on medical grounds says that the person has a
# health problem: special-category data (GDPR art. 9). Such an application, and its timeline
# events, exist only for users who may see special-category data of the case.
SPECIAL_KINDS = (ApplicationKind.MEDICAL_ART64,)


class SubmittedBy(models.TextChoices):
    PERSON = "person", _("de persoon zelf")
    LAWYER = "lawyer", _("een advocaat")
    VLUCHTELINGENWERK = "vluchtelingenwerk", _("VluchtelingenWerk")
    OTHER = "other", _("een ander")


class Outcome(models.TextChoices):
    GRANTED = "granted", _("ingewilligd")
    REJECTED = "rejected", _("afgewezen")
    WITHDRAWN = "withdrawn", _("ingetrokken")


class Application(CheapValidation, models.Model):
    """An application (procedure) of the case and, once there is one, its decision."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="applications", verbose_name=_("casus"))
    kind = models.CharField(_("soort aanvraag"), max_length=20, choices=ApplicationKind.choices)
    submitted_on = models.DateField(_("ingediend op"))
    submitted_by = models.CharField(
        _("ingediend door"), max_length=20, choices=SubmittedBy.choices, blank=True, help_text=_("Leeg: onbekend.")
    )
    notes = models.TextField(_("toelichting"), max_length=TEXT_MAX, blank=True)
    recorded_by = user_reference(_("vastgelegd door"))
    recorded_by_organisation = organisation_reference(_("organisatie"))
    recorded_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)
    decided_on = models.DateField(_("besluit op"), null=True, blank=True)
    outcome = models.CharField(_("uitkomst"), max_length=20, choices=Outcome.choices, blank=True)
    decided_by = user_reference(_("besluit vastgelegd door"))
    decided_by_organisation = organisation_reference(_("organisatie besluit"))
    version = models.PositiveIntegerField(_("versie"), default=1)

    class Meta:
        verbose_name = _("aanvraag")
        verbose_name_plural = _("aanvragen")
        ordering = ["-submitted_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ApplicationKind.values), name="application_kind_valid"),
            models.CheckConstraint(
                condition=Q(submitted_by="") | Q(submitted_by__in=SubmittedBy.values),
                name="application_submitted_by_valid",
            ),
            models.CheckConstraint(
                condition=Q(decided_on__isnull=True) | Q(decided_on__gte=F("submitted_on")),
                name="application_decided_after_submitted",
            ),
            # An outcome exactly when there is a decision date.
            models.CheckConstraint(
                condition=(Q(decided_on__isnull=True) & Q(outcome=""))
                | (Q(decided_on__isnull=False) & Q(outcome__in=Outcome.values)),
                name="application_outcome_iff_decided",
            ),
        ]
        indexes = [
            # The case page, and the monitor's "pending of this kind on D" (a semi-join per case).
            models.Index(fields=["case", "kind", "submitted_on"], name="application_case_kind"),
            # The IND's inbox: undecided applications, oldest first.
            models.Index(
                fields=["kind", "submitted_on"], name="application_pending", condition=Q(decided_on__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.submitted_on:%Y-%m-%d})"

    @property
    def is_pending(self) -> bool:
        return self.decided_on is None

    @property
    def decided_by_ind(self) -> bool:
        return self.kind in IND_KINDS

    @property
    def is_special(self) -> bool:
        return self.kind in SPECIAL_KINDS


class DepartureStepKind(models.TextChoices):
    IDENTITY_ESTABLISHED = "identity_established", _("identiteit vastgesteld")
    NATIONALITY_ESTABLISHED = "nationality_established", _("nationaliteit vastgesteld")
    EMBASSY_PRESENTATION = "embassy_presentation", _("presentatie bij de ambassade")
    TRAVEL_DOCUMENT_REQUESTED = "travel_document_requested", _("reisdocument aangevraagd")
    TRAVEL_DOCUMENT_RECEIVED = "travel_document_received", _("reisdocument ontvangen")


class DeparturePartner(models.TextChoices):
    """Whose work a departure step is. The IOM has no role of its own in the system: the
    DT&V records the steps the IOM supported."""

    DTV = "dtv", _("DT&V")
    IOM = "iom", _("IOM")


class DepartureRecord(CheapValidation, models.Model):
    """A record of the departure preparation: who recorded it, for which organisation, when."""

    recorded_by = user_reference(_("vastgelegd door"))
    organisation = organisation_reference(_("organisatie"))
    recorded_at = models.DateTimeField(_("vastgelegd op"), auto_now_add=True)

    class Meta:
        abstract = True


class DepartureStep(DepartureRecord):
    """One step of the departure preparation: what, when, how (or with what result), by whom."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="departure_steps", verbose_name=_("casus"))
    kind = models.CharField(_("stap"), max_length=30, choices=DepartureStepKind.choices)
    on = models.DateField(_("datum"))
    details = models.CharField(_("hoe of met welk resultaat"), max_length=SHORT_TEXT_MAX, blank=True)
    partner = models.CharField(
        _("uitgevoerd door"), max_length=3, choices=DeparturePartner.choices, default=DeparturePartner.DTV
    )

    class Meta:
        verbose_name = _("stap in de vertrekvoorbereiding")
        verbose_name_plural = _("stappen in de vertrekvoorbereiding")
        ordering = ["-on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DepartureStepKind.values), name="departure_step_kind_valid"),
            models.CheckConstraint(
                condition=Q(partner__in=DeparturePartner.values), name="departure_step_partner_valid"
            ),
        ]
        indexes = [models.Index(fields=["case", "-on", "-id"], name="departure_step_case")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.on:%Y-%m-%d})"


class DepartureSupport(models.TextChoices):
    IOM = "iom", _("met ondersteuning van de IOM")
    DTV = "dtv", _("met ondersteuning van de DT&V")
    INDEPENDENT = "independent", _("zelfstandig")


class DeparturePlan(DepartureRecord):
    """A departure planned on a date. A new plan (re-planning) is a new row; the latest
    made on or before a date is the plan on that date (``made_on``, then ``id``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="departure_plans", verbose_name=_("casus"))
    made_on = models.DateField(_("plan gemaakt op"))
    planned_on = models.DateField(_("vertrekdatum"))
    support = models.CharField(_("ondersteuning"), max_length=20, choices=DepartureSupport.choices)
    notes = models.CharField(_("toelichting"), max_length=SHORT_TEXT_MAX, blank=True)

    class Meta:
        verbose_name = _("vertrekplanning")
        verbose_name_plural = _("vertrekplanningen")
        ordering = ["-made_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(planned_on__gte=F("made_on")), name="departure_plan_after_made"),
            models.CheckConstraint(
                condition=Q(support__in=DepartureSupport.values), name="departure_plan_support_valid"
            ),
        ]
        indexes = [
            # The latest plan of a case (the case page, the monitor's anti-join).
            models.Index(fields=["case", "-made_on", "-id"], name="departure_plan_latest"),
            # The DT&V's list of departures planned in the coming weeks.
            models.Index(fields=["planned_on"], name="departure_plan_date"),
        ]

    def __str__(self) -> str:
        return f"{self.planned_on:%Y-%m-%d} ({self.get_support_display()})"
