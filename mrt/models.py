"""The Multidisciplinary Review Team (MRT): escalations from an LSO, preparation support
by the IND and the DT&V, MRT sessions and the advice back to the LSO.

Written by ``mrt.services`` only. The MRT builds on the LSO (an escalation comes from an
agenda item); the LSO learns of an advice through the case's timeline (``mrt_advice``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Direction, Route, TimelineEvent, confidentiality_field, confidentiality_valid
from lso.confidential import ConfidentialTextQuerySet, ConfidentialTexts
from lso.models import AgendaItem, EscalationReason, Stance, Task, open_tasks_index
from lvv.accounts.fields import user_reference
from lvv.partners.models import Location, Organisation
from lvv.validation import CheapValidation


class EscalationStatus(models.TextChoices):
    OPEN = "open", _("in voorbereiding")
    SCHEDULED = "scheduled", _("ingepland in een MRT-sessie")
    ADVISED = "advised", _("advies uitgebracht")


class MrtSession(CheapValidation, models.Model):
    """One MRT session: for one LVV, or national (no LVV)."""

    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mrt_sessions",
        verbose_name=_("LVV"),
        help_text=_("Leeg: een landelijke sessie."),
    )
    date = models.DateField(_("datum"))
    place = models.CharField(_("plaats"), max_length=200, blank=True)
    municipality = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("gemeente")
    )
    ngo = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("ngo")
    )
    ind_specialist = user_reference(_("specialist IND"))
    dtv_specialist = user_reference(_("specialist DT&V"))
    created_by = user_reference()
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)

    class Meta:
        verbose_name = _("MRT-sessie")
        verbose_name_plural = _("MRT-sessies")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        where = self.location.name if self.location_id else _("landelijk")
        return f"MRT {where} {self.date:%Y-%m-%d}"

    @property
    def is_national(self) -> bool:
        return self.location_id is None


class Escalation(models.Model):
    """A case the LSO puts before the MRT, with its reason and question."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="escalations", verbose_name=_("casus"))
    agenda_item = models.OneToOneField(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalation",
        verbose_name=_("agendapunt LSO"),
    )
    reason = models.CharField(_("reden"), max_length=20, choices=EscalationReason.choices)
    question = models.TextField(_("vraag aan het MRT"))
    status = models.CharField(
        _("status"), max_length=20, choices=EscalationStatus.choices, default=EscalationStatus.OPEN
    )
    escalated_on = models.DateField(_("voorgelegd op"))
    advice_due_on = models.DateField(_("advies uiterlijk op"))
    session = models.ForeignKey(
        MrtSession,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalations",
        verbose_name=_("MRT-sessie"),
    )
    version = models.PositiveIntegerField(_("versie"), default=1)
    created_by = user_reference()
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)

    class Meta:
        verbose_name = _("voorlegging aan het MRT")
        verbose_name_plural = _("voorleggingen aan het MRT")
        ordering = ["-escalated_on", "-id"]
        indexes = [models.Index(fields=["status", "advice_due_on"], name="mrt_escalation_status_due")]

    def __str__(self) -> str:
        return f"MRT {self.case.reference} {self.escalated_on:%Y-%m-%d}"


class Position(Stance):
    """A partner's position on an escalated case (one per organisation)."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="positions")
    author = user_reference()
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)

    class Meta(Stance.Meta):
        ordering = ["escalation", "organisation__name", "id"]
        constraints = [models.UniqueConstraint(fields=["escalation", "organisation"], name="mrt_position_once")]


class PreparationTask(Task):
    """Support the IND or the DT&V gives the municipality and NGO to prepare the MRT."""

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="tasks")
    owner_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="mrt_tasks", verbose_name=_("eigenaar")
    )
    description = models.CharField(_("taak"), max_length=500)

    class Meta(Task.Meta):
        verbose_name = _("voorbereidingstaak MRT")
        verbose_name_plural = _("voorbereidingstaken MRT")
        indexes = [open_tasks_index("owner_organisation", "mrt_task_open_org")]


class Advice(CheapValidation, ConfidentialTexts, models.Model):
    """The MRT's advice to the LSO: a direction and route, or no durable solution possible.

    A ``special`` reasoning is read only with the special-category permission
    (``lso.confidential``); the direction and route are for every reader of the case."""

    escalation = models.OneToOneField(Escalation, on_delete=models.CASCADE, related_name="advice")
    session = models.ForeignKey(
        MrtSession, on_delete=models.SET_NULL, null=True, blank=True, related_name="advice", verbose_name=_("sessie")
    )
    direction = models.CharField(_("geadviseerde richting"), max_length=20, choices=Direction.choices, blank=True)
    route = models.CharField(_("geadviseerde route"), max_length=30, choices=Route.choices, blank=True)
    reasoning = models.TextField(_("onderbouwing"))
    reasoning_confidentiality = confidentiality_field(_("vertrouwelijkheid onderbouwing"))
    no_durable_solution_possible = models.BooleanField(_("geen bestendige oplossing mogelijk"), default=False)
    given_on = models.DateField(_("uitgebracht op"))
    due_on = models.DateField(
        _("uiterlijk besproken in het LSO op"),
        help_text=_("De datum waarop het LSO het advies uiterlijk bespreekt."),
    )
    given_by = user_reference()
    event = models.OneToOneField(TimelineEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)

    objects = ConfidentialTextQuerySet.as_manager()
    confidential_texts = {"reasoning": "reasoning_confidentiality"}
    confidential_case = "escalation__case"
    reasoning_withheld = False

    class Meta:
        verbose_name = _("MRT-advies")
        verbose_name_plural = _("MRT-adviezen")
        ordering = ["-given_on", "-id"]
        constraints = [
            confidentiality_valid("mrt_advice_reasoning_confidentiality_valid", "reasoning_confidentiality"),
            models.CheckConstraint(
                condition=(Q(no_durable_solution_possible=True) & Q(direction=""))
                | (Q(no_durable_solution_possible=False) & ~Q(direction="")),
                name="mrt_advice_direction_or_none_possible",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.escalation}: {self.get_direction_display() or _('geen bestendige oplossing mogelijk')}"
