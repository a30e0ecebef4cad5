"""The local case meeting (LSO): members, meetings, agenda items, minutes, actions and the
DT&V's review notes.

Written by ``lso.services`` only; read through ``lso.selectors`` (scoped by the access
policy). A meeting's agenda item points at a case; whoever may not see the case does not
see the item. The MRT app (``mrt``) builds on this one, never the other way round.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Direction, Notice, Route, TimelineEvent, confidentiality_field, confidentiality_valid
from lso.confidential import ConfidentialTextQuerySet, ConfidentialTexts
from lvv.accounts.fields import user_reference
from lvv.jobs import JobRun
from lvv.partners.models import Location, Organisation, locations_of
from lvv.validation import CheapValidation

ORGANISATION_NOT_PARTNER = _("%(organisation)s is geen partner in deze LVV.")
MEMBER_USER_ORGANISATION = _("Deze persoon werkt niet bij de gekozen organisatie.")
CHAIR_IS_MUNICIPALITY = _("De voorzitter komt van de gemeente van de LVV.")


class MeetingStatus(models.TextChoices):
    DRAFT = "draft", _("concept")
    PUBLISHED = "published", _("agenda gepubliceerd")
    HELD = "held", _("gehouden")
    MINUTES_FINAL = "minutes_final", _("verslag definitief")


class Reason(models.TextChoices):
    """Why a case is on the agenda (the suggestions' reasons, in their order of urgency)."""

    REST_PERIOD_ENDED = "rest_period_ended_without_scenario", _("rusttermijn verlopen zonder scenario")
    SCENARIO_REVIEW_DUE = "scenario_review_due", _("herbeoordeling scenario")
    INSUFFICIENT_COOPERATION = "insufficient_cooperation", _("onvoldoende medewerking")
    MRT_ADVICE_RECEIVED = "mrt_advice_received", _("MRT-advies ontvangen")
    MAX_STAY_NEAR = "max_stay_near", _("maximale verblijfsduur nadert")
    REQUESTED_BY_PARTNER = "requested_by_partner", _("bespreking aangevraagd door een partner")
    DTV_FLAG = "dtv_flag", _("gemarkeerd door de DT&V")
    MANUAL = "manual", _("handmatig toegevoegd")


class ItemSource(models.TextChoices):
    SUGGESTED = "suggested", _("voorgesteld")
    MANUAL = "manual", _("handmatig")


class Decision(models.TextChoices):
    """The outcome of one agenda item. Follow-up actions may accompany any decision."""

    SCENARIO = "scenario", _("scenario vastgesteld of gewijzigd")
    ACTIONS = "actions", _("vervolgacties afgesproken")
    ESCALATE = "escalate", _("voorgelegd aan het MRT")
    POSTPONE = "postpone", _("bespreking uitgesteld")
    # The basis of a forced termination (with an insufficient cooperation check); the case
    # manager then records the outflow with the warning, the hearing and the decision.
    TERMINATE = "terminate", _("beëindiging van de opvang besloten")
    NO_DECISION = "no_decision", _("geen besluit")


class EscalationReason(models.TextChoices):
    COMPLEXITY = "complexity", _("complexiteit van de casus")
    DISAGREEMENT = "disagreement", _("partners zijn het oneens over de richting")


class Member(CheapValidation, models.Model):
    """A member of an LVV's LSO: an organisation, optionally one person of it."""

    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="lso_members", verbose_name=_("LVV"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="lso_memberships", verbose_name=_("organisatie")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="lso_memberships",
        verbose_name=_("persoon"),
        help_text=_("Leeg: de organisatie als geheel (alle medewerkers met een rol in de LVV)."),
    )
    is_chair = models.BooleanField(_("voorzitter"), default=False)

    class Meta:
        verbose_name = _("LSO-lid")
        verbose_name_plural = _("LSO-leden")
        ordering = ["location", "-is_chair", "organisation__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "organisation", "user"], nulls_distinct=False, name="lso_member_unique"
            ),
        ]

    def __str__(self) -> str:
        who = (self.user.get_full_name() or self.user.get_username()) if self.user_id else self.organisation.name
        return f"{self.location}: {who}"

    def clean(self) -> None:
        super().clean()
        if not (self.location_id and self.organisation_id):
            return
        if not locations_of(self.organisation).filter(pk=self.location_id).exists():
            raise ValidationError({"organisation": ORGANISATION_NOT_PARTNER % {"organisation": self.organisation.name}})
        if self.user_id and self.user.organisation_id != self.organisation_id:
            raise ValidationError({"user": MEMBER_USER_ORGANISATION})
        if self.is_chair and self.organisation_id != self.location.municipality_id:
            raise ValidationError({"is_chair": CHAIR_IS_MUNICIPALITY})


class Meeting(CheapValidation, models.Model):
    """One LSO meeting of one LVV."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="lso_meetings", verbose_name=_("LVV"))
    date = models.DateField(_("datum"))
    start_time = models.TimeField(_("aanvang"))
    place = models.CharField(_("plaats"), max_length=200, blank=True)
    online_link = models.URLField(_("link online vergadering"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.DRAFT)
    version = models.PositiveIntegerField(_("versie"), default=1)
    created_by = user_reference()
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)
    published_at = models.DateTimeField(_("gepubliceerd"), null=True, blank=True)
    finalised_at = models.DateTimeField(_("verslag definitief"), null=True, blank=True)
    finalised_by = user_reference()

    class Meta:
        verbose_name = _("LSO-vergadering")
        verbose_name_plural = _("LSO-vergaderingen")
        ordering = ["-date", "-start_time", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(place="") | ~Q(online_link=""), name="lso_meeting_place_or_link"),
        ]
        indexes = [models.Index(fields=["location", "-date"], name="lso_meeting_location_date")]

    def __str__(self) -> str:
        return f"LSO {self.location} {self.date:%Y-%m-%d}"

    @property
    def is_final(self) -> bool:
        return self.status == MeetingStatus.MINUTES_FINAL


class AgendaItem(CheapValidation, models.Model):
    """A case on a meeting's agenda, with the reason it is there and the time it gets."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items", verbose_name=_("vergadering"))
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lso_items", verbose_name=_("casus"))
    reason = models.CharField(_("reden"), max_length=40, choices=Reason.choices, default=Reason.MANUAL)
    reason_detail = models.TextField(_("toelichting reden"), blank=True)
    # A suggested item's reasons as codes and values (``lso.reasons``), so that each reader
    # gets the text in their language; empty for a manual item or a changed text.
    reason_parts = models.JSONField(_("redenen (gegevens)"), default=list, blank=True)
    order = models.PositiveIntegerField(_("volgorde"), default=0)
    minutes_allotted = models.PositiveSmallIntegerField(
        _("minuten"), default=10, validators=[MinValueValidator(1), MaxValueValidator(240)]
    )
    source = models.CharField(_("herkomst"), max_length=20, choices=ItemSource.choices, default=ItemSource.MANUAL)
    # The timeline event that brought the case (an MRT advice, a partner's request, a DT&V flag).
    source_event = models.ForeignKey(TimelineEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    added_by = user_reference(blank=False)
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)

    class Meta:
        verbose_name = _("agendapunt")
        verbose_name_plural = _("agendapunten")
        ordering = ["meeting", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "case"], name="lso_item_case_once")]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.case.reference}"


class PreparationNote(CheapValidation, ConfidentialTexts, models.Model):
    """One partner organisation's preparation for one agenda item (one note per organisation).

    A ``special`` text is read only with the special-category permission (``lso.confidential``)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="notes", verbose_name=_("agendapunt"))
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisatie")
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("voorbereiding"))
    confidentiality = confidentiality_field()
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)

    objects = ConfidentialTextQuerySet.as_manager()
    confidential_texts = {"text": "confidentiality"}
    confidential_case = "item__case"
    text_withheld = False

    class Meta:
        verbose_name = _("voorbereiding")
        verbose_name_plural = _("voorbereidingen")
        ordering = ["item", "organisation__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "organisation"], name="lso_note_once_per_partner"),
            confidentiality_valid("lso_note_confidentiality_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.organisation}"


class ItemOutcome(CheapValidation, models.Model):
    """The minutes of one agenda item: the decision and how the partners stood."""

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="outcome")
    decision = models.CharField(_("besluit"), max_length=20, choices=Decision.choices)
    notes = models.TextField(_("verslag"), blank=True)
    direction = models.CharField(_("richting"), max_length=20, choices=Direction.choices, blank=True)
    route = models.CharField(_("route"), max_length=30, choices=Route.choices, blank=True)
    escalation_reason = models.CharField(
        _("reden voorleggen MRT"), max_length=20, choices=EscalationReason.choices, blank=True
    )
    escalation_question = models.TextField(_("vraag aan het MRT"), blank=True)
    agreed = models.BooleanField(_("partners eens"), default=True)
    # The MRT advice that was pending when the item was discussed (its timeline event).
    advice_event = models.ForeignKey(TimelineEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    advice_followed = models.BooleanField(_("MRT-advies gevolgd"), null=True, blank=True)
    advice_not_followed_reason = models.TextField(_("reden advies niet gevolgd"), blank=True)
    recorded_by = user_reference(blank=False)
    recorded_at = models.DateTimeField(_("vastgelegd"), default=timezone.now)

    class Meta:
        verbose_name = _("uitkomst agendapunt")
        verbose_name_plural = _("uitkomsten agendapunten")
        constraints = [
            models.CheckConstraint(
                condition=~Q(advice_followed=False) | ~Q(advice_not_followed_reason=""),
                name="lso_outcome_reason_when_advice_not_followed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item}: {self.get_decision_display()}"


class Stance(models.Model):
    """A partner organisation's position on a case under discussion (one per organisation):
    in the LSO's minutes (``PartnerPosition``) or before the MRT (``mrt.Position``)."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisatie")
    )
    text = models.TextField(_("standpunt"))

    class Meta:
        abstract = True
        verbose_name = _("standpunt partner")
        verbose_name_plural = _("standpunten partners")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.text[:40]}"


class PartnerPosition(Stance):
    """A partner's position on an item (a dissenting one when the partners did not agree)."""

    outcome = models.ForeignKey(ItemOutcome, on_delete=models.CASCADE, related_name="positions")

    class Meta(Stance.Meta):
        ordering = ["outcome", "organisation__name", "id"]
        constraints = [models.UniqueConstraint(fields=["outcome", "organisation"], name="lso_position_once")]


class Task(models.Model):
    """Work an owner organisation does for a case by a date (an LSO ``Action``, an
    ``mrt.PreparationTask``): open until it is marked done."""

    description: str
    due_on = models.DateField(_("uiterlijk op"))
    done_on = models.DateField(_("afgerond op"), null=True, blank=True)
    done_by = user_reference()
    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["due_on", "id"]

    def __str__(self) -> str:
        return self.description

    @property
    def is_done(self) -> bool:
        return self.done_on is not None


def open_tasks_index(owner: str, name: str) -> models.Index:
    """An owner's open tasks by due date (the inboxes and the work queues)."""
    return models.Index(fields=[owner, "due_on"], name=name, condition=Q(done_on__isnull=True))


class Action(Task):
    """A follow-up action on a case, owned by an organisation (and optionally one person)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="lso_actions", verbose_name=_("casus"))
    item = models.ForeignKey(AgendaItem, on_delete=models.SET_NULL, null=True, blank=True, related_name="actions")
    description = models.CharField(_("actie"), max_length=500)
    owner_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="lso_actions", verbose_name=_("eigenaar")
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lso_actions",
        verbose_name=_("eigenaar (persoon)"),
    )
    created_by = user_reference()

    class Meta(Task.Meta):
        verbose_name = _("actie")
        verbose_name_plural = _("acties")
        indexes = [
            open_tasks_index("owner_organisation", "lso_action_open_org"),
            open_tasks_index("owner_user", "lso_action_open_user"),
        ]


class MeetingNotice(Notice):
    """An in-app notice to one member about a meeting (its published agenda).

    ``cases.models.Notification`` is about a deadline of one case; a meeting spans many
    cases, so its notices live here. The e-mail copy is sent by ``lso.tasks``.
    """

    class Kind(models.TextChoices):
        PUBLISHED = "published", _("agenda gepubliceerd")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lso_notices", verbose_name=_("gebruiker")
    )
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(_("soort"), max_length=20, choices=Kind.choices, default=Kind.PUBLISHED)
    emailed_at = models.DateTimeField(_("gemaild op"), null=True, blank=True)

    class Meta(Notice.Meta):
        verbose_name = _("LSO-melding")
        verbose_name_plural = _("LSO-meldingen")
        constraints = [models.UniqueConstraint(fields=["user", "meeting", "kind"], name="lso_notice_once")]
        indexes = [models.Index(fields=["user", "read_at"], name="lso_notice_user_read")]


class ReviewNote(CheapValidation, ConfidentialTexts, models.Model):
    """The DT&V's review of a trajectory; a flagged review puts the case on the next agenda.

    A ``special`` text is read only with the special-category permission (``lso.confidential``)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="review_notes", verbose_name=_("casus"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("beoordeling"))
    confidentiality = confidentiality_field()
    flagged = models.BooleanField(
        _("agenderen in het LSO"), default=False, help_text=_("Zet de casus voor op de agenda van het volgende LSO.")
    )
    reviewed_on = models.DateField(_("beoordeeld op"))
    created_at = models.DateTimeField(_("aangemaakt"), default=timezone.now)
    event = models.ForeignKey(TimelineEvent, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    objects = ConfidentialTextQuerySet.as_manager()
    confidential_texts = {"text": "confidentiality"}
    confidential_case = "case"
    text_withheld = False

    class Meta:
        verbose_name = _("DT&V-beoordeling")
        verbose_name_plural = _("DT&V-beoordelingen")
        ordering = ["-reviewed_on", "-id"]
        indexes = [models.Index(fields=["case", "-reviewed_on"], name="lso_review_case")]
        constraints = [
            confidentiality_valid("lso_review_confidentiality_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.case.reference} {self.reviewed_on:%Y-%m-%d}"


class AgendaPack(JobRun):
    """One reader's agenda pack (PDF) of a meeting, made by a Celery task.

    The pack shows what its reader may see (special-category details only with the
    permission), so each pack belongs to the user who asked for it. ``case_ids`` are the
    cases it names: the file is served only while the reader still sees every one.
    Claimed, kept alive and swept by ``lvv.jobs`` (``attempts``, ``task_id``,
    ``heartbeat_at``); the file's name is fixed per pack, so a rerun replaces it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("in de wachtrij")
        RUNNING = "running", _("wordt gemaakt")
        DONE = "done", _("klaar")
        FAILED = "failed", _("mislukt")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="packs")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("voortgang (%)"), default=0)
    file = models.FileField(_("bestand"), upload_to="lso/packs/", blank=True)
    case_ids = models.JSONField(_("casussen"), default=list, blank=True)
    meeting_version = models.PositiveIntegerField(_("versie vergadering"), default=0)
    error = models.CharField(_("fout"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("aangevraagd"), default=timezone.now)

    class Meta:
        verbose_name = _("agendapakket")
        verbose_name_plural = _("agendapakketten")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["meeting", "requested_by", "-created_at"], name="lso_pack_reader")]

    def __str__(self) -> str:
        return f"{self.meeting}: {self.get_status_display()}"

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.DONE and bool(self.file)
