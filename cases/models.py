"""Persons and their cases: the records that access is decided on."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Concat, Length, Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.workflow import QUEUE_STATES, State
from lvv.access import policy
from lvv.accounts.fields import ChoiceArrayField, user_reference
from lvv.audit.models import AppendOnlyError
from lvv.params import not_before_earliest
from lvv.partners.models import Location, Organisation, OrganisationKind, organisation_reference
from lvv.text import TEXT_MAX
from lvv.validation import CheapValidation

V_NUMBER_INVALID = _("Een V-nummer bestaat uit precies 10 cijfers.")
V_NUMBER_TAKEN = _("Er is al een persoon met dit V-nummer.")
BIRTH_DATE_FUTURE = _("De geboortedatum ligt in de toekomst.")
EXTERNAL_ID_TAKEN = _("Deze LVV heeft al een casus met dit externe kenmerk.")
NGO_NOT_SERVING = _("Deze organisatie is geen ngo die voor deze LVV werkt.")

v_number_validator = RegexValidator(r"^\d{10}\Z", V_NUMBER_INVALID, code="invalid_v_number")


def related_or_none(obj: models.Model, name: str) -> Any:
    """The one-to-one record ``name`` of ``obj`` (a case's admission check, its outflow), or
    None when there is none."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None


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
        if policy.is_system(user):
            return self.all()
        if not policy.sees_persons(user):
            return self.none()
        visible_case = Case.objects.visible_to(user).filter(person=OuterRef("pk"))
        any_case = Case.objects.filter(person=OuterRef("pk"))
        return self.filter(Exists(visible_case) | (Q(created_by_organisation=user.organisation_id) & ~Exists(any_case)))

    def search(self, term: str) -> PersonQuerySet:
        """Accent- and case-insensitive name search with typo tolerance (pg_trgm, the trigram
        index ``person_search_trgm``), or a V-number: all ten digits on the unique index, the
        first digits on its pattern index."""
        term = term.strip()
        if not term:
            return self
        if term.isdigit():
            if len(term) == 10:
                return self.filter(v_number=term)
            return self.filter(v_number__startswith=term)
        needle = Unaccent(Lower(models.Value(term)))
        return self.filter(Q(search_text__contains=needle) | Q(search_text__trigram_word_similar=needle))


class Person(CheapValidation, models.Model):
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
    created_by_organisation = organisation_reference()
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
            # The intake's look-up of the same name and birth date, case-insensitive (iexact).
            models.Index(Upper("family_name"), Upper("given_names"), "birth_date", name="person_identity_ci"),
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


class RegistrationSource(models.TextChoices):
    NGO = "ngo", _("ngo")
    MUNICIPALITY = "municipality", _("gemeente")
    POLICE = "police", _("politie")
    BBB = "bbb", _("BBB-opvang (bed, bad, brood)")
    OTHER = "other", _("anders")


class ExceptionGround(models.TextChoices):
    HUMANITARIAN = "humanitarian", _("humanitaire redenen")
    PUBLIC_ORDER = "public_order", _("openbare orde")


class ShelterForm(models.TextChoices):
    FULL_DAY = "24h", _("24-uursopvang")
    NIGHT = "night", _("nachtopvang")
    LIVING_ALLOWANCE = "allowance", _("leefgeld")


class CaseType(models.TextChoices):
    MEDICAL = "medical", _("medische problematiek")
    PSYCHOLOGICAL = "psychological", _("psychische problematiek")
    REPEAT_ASYLUM = "repeat_asylum", _("herhaalde asielaanvraag")
    CONVERSION_OR_LGBTI = "conversion_or_lgbti", _("bekering of lhbti")
    PENDING_PROCEDURE = "pending_procedure", _("lopende procedure")
    IDENTITY_UNCLEAR = "identity_unclear", _("identiteit of nationaliteit onduidelijk")
    NO_FAULT = "no_fault", _("buitenschuld")
    FAMILY = "family", _("gezin")
    SAFE_COUNTRY = "safe_country", _("veilig land van herkomst")


# The case types that are special-category data (GDPR art. 9) themselves: they say that the
# person has a physical or mental health problem, or claims a conversion (religion or belief)
# or an LGBTI identity (sexual orientation). Only readers who may see special-category data of
# the case see them (``cases.special_types``); to everyone else a case has only its other types.
# The others are not special: a repeat asylum application, a pending procedure, an unclear
# identity or nationality, "buitenschuld" (unable to leave through no fault of one's own, whatever
# the reason), a family and a safe country of origin say nothing of health, belief or orientation
# (nationality is not special-category data).
SPECIAL_CASE_TYPES = frozenset({CaseType.MEDICAL, CaseType.PSYCHOLOGICAL, CaseType.CONVERSION_OR_LGBTI})


class CaseQuerySet(models.QuerySet):
    def in_shelter_on(self, day: datetime.date) -> CaseQuerySet:
        """Cases whose person takes a place on ``day``: shelter started on or before it and
        not closed on or before it (an outflow frees the place on its own date). The one
        rule of occupancy; capacity checks and the work queue's free places use it."""
        return self.filter(shelter_started_on__lte=day).filter(Q(closed_on__isnull=True) | Q(closed_on__gt=day))

    def waiting(self) -> CaseQuerySet:
        """The waiting list: everyone admitted who has no place yet (states ``admitted`` and
        ``waitlisted``), in the order of the queue (``waitlisted_on``: the admission date)."""
        return self.filter(state__in=QUEUE_STATES).order_by("waitlisted_on", "pk")

    def sheltered_overlapping(self, person_id: int, start: datetime.date, end: datetime.date | None) -> CaseQuerySet:
        """Cases of the person whose shelter overlaps ``start``..``end`` (inclusive; open
        when None). An outflow's own day still counts as the person's place: a move starts
        the next day (contracts/case-import.md, "one place per person")."""
        qs = self.filter(person_id=person_id, shelter_started_on__isnull=False)
        if end is not None:
            qs = qs.filter(shelter_started_on__lte=end)
        return qs.filter(Q(closed_on__isnull=True) | Q(closed_on__gte=start))

    def visible_to(self, user) -> CaseQuerySet:
        """The cases ``user`` may see: the access policy plus guardian grants on one case.

        Both as conditions on the case's own columns (``policy.case_scope``): the LVVs as a
        list of ids, the granted cases as a list of ids only for a user who holds a grant.
        Object grants never open a case to the programme bureau or an inactive user."""
        if policy.is_system(user):
            return self.all()
        rule = policy.case_rule(user)
        granted = policy.granted_rule(user)
        return self.filter(rule | granted if granted is not None else rule)


class Case(CheapValidation, models.Model):
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
    # --- the trajectory (written by the services in cases/services.py only) ---
    state = models.CharField(_("status"), max_length=20, choices=State.choices, default=State.REGISTERED)
    registered_on = models.DateField(_("aangemeld op"), default=timezone.localdate)
    registration_source = models.CharField(
        _("aangemeld door"), max_length=20, choices=RegistrationSource.choices, default=RegistrationSource.MUNICIPALITY
    )
    within_covenant = models.BooleanField(
        _("binnen het convenant"),
        default=True,
        help_text=_("Nee: toegelaten als uitzondering buiten de doelgroep; telt niet mee in de landelijke cijfers."),
    )
    exception_ground = models.CharField(
        _("uitzonderingsgrond"), max_length=20, choices=ExceptionGround.choices, blank=True
    )
    exception_reason = models.TextField(_("reden uitzondering"), blank=True)
    decided_on = models.DateField(_("besluit toelating op"), null=True, blank=True)
    rejection_reason = models.TextField(_("reden afwijzing"), blank=True)
    waitlisted_on = models.DateField(_("op wachtlijst sinds"), null=True, blank=True)
    shelter_started_on = models.DateField(_("opvang gestart op"), null=True, blank=True)
    shelter_form = models.CharField(_("vorm van opvang"), max_length=20, choices=ShelterForm.choices, blank=True)
    case_types = ChoiceArrayField(
        models.CharField(max_length=30, choices=CaseType.choices),
        default=list,
        blank=True,
        verbose_name=_("casustypen"),
    )
    prior_departure_procedures = models.PositiveIntegerField(_("eerdere vertrekprocedures"), null=True, blank=True)
    closed_on = models.DateField(_("uitgestroomd op"), null=True, blank=True)
    # The case's owners: a named case manager of the municipality and, where assigned, a named
    # guide of the NGO. Changed only by cases.services.hand_over (history in CaseOwnerChange).
    case_manager = user_reference(_("casusregisseur"), related_name="managed_cases")
    ngo_guide = user_reference(_("begeleider ngo"), related_name="guided_cases")
    # The intake form's one-time key: a second submit of the same form finds this case.
    intake_key = models.UUIDField(_("aanmeldsleutel"), null=True, blank=True, unique=True, editable=False)

    created_at = models.DateTimeField(_("aangemaakt"), auto_now_add=True)
    updated_at = models.DateTimeField(_("gewijzigd"), auto_now=True)
    created_by = user_reference()
    version = models.PositiveIntegerField(_("versie"), default=1)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("casus")
        verbose_name_plural = _("casussen")
        ordering = ["-created_at", "-pk"]
        permissions = [("view_special_category", _("Mag bijzondere persoonsgegevens (gezondheid) zien"))]
        constraints = [
            models.CheckConstraint(
                condition=Q(within_covenant=True) | ~Q(exception_ground=""),
                name="case_exception_has_ground",
            ),
            models.CheckConstraint(
                condition=Q(prior_departure_procedures__isnull=True) | Q(prior_departure_procedures__gte=0),
                name="case_prior_procedures_non_negative",
            ),
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
            models.Index(fields=["location", "state"], name="case_location_state"),
            models.Index(
                fields=["location", "waitlisted_on", "id"],
                name="case_queue",
                condition=Q(state__in=["admitted", "waitlisted"]),
            ),
            models.Index(fields=["person", "shelter_started_on"], name="case_person_shelter"),
            models.Index(fields=["location", "shelter_started_on", "closed_on"], name="case_occupancy"),
            models.Index(fields=["case_manager", "state"], name="case_manager_state"),
            models.Index(fields=["ngo_guide", "state"], name="case_ngo_guide_state"),
            # The search's case-insensitive external id (``external_id__iexact``: UPPER = UPPER).
            models.Index(Upper("external_id"), name="case_external_id_ci", condition=~Q(external_id="")),
            # The API's default order (newest first) for a user of several LVVs.
            models.Index(F("created_at").desc(), F("id").desc(), name="case_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.person}"

    @property
    def reference(self) -> str:
        return self.external_id or f"LVV-{self.pk}"

    @property
    def current_scenario(self):
        return self.scenarios.order_by("-set_on", "-id").first()


class AdmissionCheck(models.Model):
    """The admission check as a recorded checklist (national grounds, prior provision, local rules)."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="admission_check")
    checked_on = models.DateField(_("getoetst op"))
    entry_ban = models.BooleanField(_("zwaar inreisverbod (10 jaar of meer)"), default=False)
    declared_undesirable = models.BooleanField(_("ongewenstverklaard"), default=False)
    eu_citizen = models.BooleanField(_("EU-burger"), default=False)
    dublin_claimant = models.BooleanField(_("Dublinclaimant"), default=False)
    prior_provision = models.BooleanField(_("recht op een voorliggende voorziening"), default=False)
    regional_ties = models.BooleanField(_("aantoonbare regiobinding"), default=False)
    shown_willingness = models.BooleanField(_("bereidheid tot meewerken getoond"), default=False)
    notes = models.TextField(_("toelichting"), blank=True)
    checked_by = user_reference(blank=False)

    class Meta:
        verbose_name = _("toelatingstoets")
        verbose_name_plural = _("toelatingstoetsen")

    def __str__(self) -> str:
        return f"{_('toelatingstoets')} {self.checked_on:%Y-%m-%d}"

    EXCLUSIONS = ("entry_ban", "declared_undesirable", "eu_citizen", "dublin_claimant", "prior_provision")

    def unmet_criteria(self, location) -> list[str]:
        """Labels of the grounds that keep this person outside the target group of ``location``."""
        unmet = [str(self._meta.get_field(name).verbose_name) for name in self.EXCLUSIONS if getattr(self, name)]
        if location.requires_regional_ties and not self.regional_ties:
            unmet.append(str(_("geen aantoonbare regiobinding")))
        if location.requires_shown_willingness and not self.shown_willingness:
            unmet.append(str(_("geen bereidheid tot meewerken getoond")))
        return unmet


class DossierPartKind(models.TextChoices):
    IND = "IND", _("IND")
    DTV = "DTV", _("DT&V")


class DossierPart(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="dossier_parts")
    kind = models.CharField(_("deel"), max_length=3, choices=DossierPartKind.choices)
    requested_on = models.DateField(_("opgevraagd op"), null=True, blank=True)
    delivered_on = models.DateField(_("geleverd op"), null=True, blank=True)
    delivered_by = user_reference()

    class Meta:
        verbose_name = _("dossierdeel")
        verbose_name_plural = _("dossierdelen")
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="dossierpart_one_per_kind")]
        # The partner inboxes: parts requested and not delivered yet (a few among many).
        indexes = [
            models.Index(
                fields=["kind", "case"],
                name="dossierpart_open_request",
                condition=Q(requested_on__isnull=False, delivered_on__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.delivered_on or '-'}"


class Direction(models.TextChoices):
    DEPARTURE = "departure", _("vertrek")
    RESIDENCE = "residence", _("verblijf")


class Route(models.TextChoices):
    RETURN_TO_ORIGIN = "return_to_origin", _("terugkeer naar land van herkomst")
    ONWARD_MIGRATION = "onward_migration", _("doormigratie")
    NEW_ASYLUM_APPLICATION = "new_asylum_application", _("nieuwe asielaanvraag")
    NO_FAULT_PERMIT = "no_fault_permit", _("buitenschuldvergunning")
    MEDICAL = "medical", _("medische gronden")
    REGULAR = "regular", _("reguliere verblijfsvergunning")
    OTHER = "other", _("anders")


DEPARTURE_ROUTES = (Route.RETURN_TO_ORIGIN, Route.ONWARD_MIGRATION)


class Scenario(CheapValidation, models.Model):
    """A guidance scenario set on a date; a change adds a row, so the history stays."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="scenarios")
    direction = models.CharField(_("richting"), max_length=20, choices=Direction.choices)
    route = models.CharField(_("route"), max_length=30, choices=Route.choices, blank=True)
    set_on = models.DateField(_("vastgesteld op"))
    notes = models.TextField(_("toelichting"), blank=True)
    set_by = user_reference(blank=False)

    class Meta:
        verbose_name = _("begeleidingsscenario")
        verbose_name_plural = _("begeleidingsscenario's")
        ordering = ["-set_on", "-id"]
        indexes = [models.Index(fields=["case", "-set_on", "-id"], name="scenario_latest")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} ({self.set_on:%Y-%m-%d})"


class CooperationResult(models.TextChoices):
    SUFFICIENT = "sufficient", _("voldoende")
    INSUFFICIENT = "insufficient", _("onvoldoende")


class CooperationCheck(CheapValidation, models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="cooperation_checks")
    checked_on = models.DateField(_("getoetst op"))
    result = models.CharField(_("uitkomst"), max_length=20, choices=CooperationResult.choices)
    notes = models.TextField(_("toelichting"), blank=True)
    checked_by = user_reference(blank=False)

    class Meta:
        verbose_name = _("medewerkingstoets")
        verbose_name_plural = _("medewerkingstoetsen")
        ordering = ["-checked_on", "-id"]
        indexes = [
            # The LSO suggestions' insufficient cooperation: the insufficient checks of an LVV's
            # open cases, read from the index alone (ADR 0035).
            models.Index(
                fields=["case", "checked_on", "id"],
                condition=models.Q(result=CooperationResult.INSUFFICIENT),
                name="cooperation_insufficient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_result_display()} ({self.checked_on:%Y-%m-%d})"


class OutflowCategory(models.TextChoices):
    DEPARTURE_ORIGIN = "departure_origin", _("vertrek naar land van herkomst")
    ONWARD_MIGRATION = "onward_migration", _("doormigratie")
    RESIDENCE_GRANTED = "residence_granted", _("inwilliging (verblijfsvergunning)")
    ASYLUM_CENTRE = "asylum_centre", _("naar AZC na opvolgende asielaanvraag")
    POSTPONEMENT_ART64 = "postponement_art64", _("uitstel van vertrek (art. 64 Vw2000)")
    UNKNOWN_DESTINATION = "unknown_destination", _("vertrokken met onbekende bestemming")
    BACK_TO_BBB = "back_to_bbb", _("teruggestroomd naar BBB")
    FORCED_TERMINATION = "forced_termination", _("verblijf gedwongen beëindigd")
    DETENTION = "detention", _("vreemdelingenbewaring")
    DECEASED = "deceased", _("overleden")
    OTHER = "other", _("overig")


DURABLE_CATEGORIES = (
    OutflowCategory.DEPARTURE_ORIGIN,
    OutflowCategory.ONWARD_MIGRATION,
    OutflowCategory.RESIDENCE_GRANTED,
)
DEPARTURE_CATEGORIES = (OutflowCategory.DEPARTURE_ORIGIN, OutflowCategory.ONWARD_MIGRATION)
# Which chain partner confirms a durable outflow.
CONFIRMED_BY_KIND = {
    OutflowCategory.RESIDENCE_GRANTED: "ind",
    OutflowCategory.DEPARTURE_ORIGIN: "dtv",
    OutflowCategory.ONWARD_MIGRATION: "dtv",
}


class TerminationBasis(models.TextChoices):
    COOPERATION_CHECK = "cooperation_check", _("onvoldoende medewerking (medewerkingstoets)")
    LSO_DECISION = "lso_decision", _("besluit van het LSO")


class Outflow(CheapValidation, models.Model):
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="outflow")
    category = models.CharField(_("categorie"), max_length=30, choices=OutflowCategory.choices)
    outflow_on = models.DateField(_("datum uitstroom"))
    country = CountryField(_("land"), blank=True, help_text=_("Bij vertrek: het land van bestemming."))
    notes = models.TextField(_("toelichting"), blank=True)
    recorded_by = user_reference(blank=False)
    confirmed_on = models.DateField(_("bevestigd op"), null=True, blank=True)
    confirmed_by = user_reference()
    # A forced termination: the procedure behind it (warning, hearing, decision) and its basis.
    termination_basis = models.CharField(
        _("grond beëindiging"), max_length=30, choices=TerminationBasis.choices, blank=True
    )
    warned_on = models.DateField(_("waarschuwing gegeven op"), null=True, blank=True)
    heard_on = models.DateField(_("hoorgesprek op"), null=True, blank=True)
    termination_decided_on = models.DateField(_("besluit beëindiging op"), null=True, blank=True)
    # A chain partner disputes the outflow; the case manager corrects it (or the partner confirms).
    disputed_on = models.DateField(_("betwist op"), null=True, blank=True)
    disputed_by = user_reference()
    dispute_reason = models.TextField(_("reden betwisting"), blank=True)

    class Meta:
        verbose_name = _("uitstroom")
        verbose_name_plural = _("uitstroom")
        indexes = [
            models.Index(fields=["category", "outflow_on"], name="outflow_category_date"),
            models.Index(fields=["disputed_on"], name="outflow_disputed", condition=Q(disputed_on__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} ({self.outflow_on:%Y-%m-%d})"

    @property
    def is_durable(self) -> bool:
        return self.category in DURABLE_CATEGORIES

    @property
    def confirming_partner(self) -> str | None:
        return CONFIRMED_BY_KIND.get(self.category)


class EventType(models.TextChoices):
    REGISTERED = "registered", _("aangemeld")
    ADMISSION_CHECKED = "admission_checked", _("toelatingstoets vastgelegd")
    ADMITTED = "admitted", _("toegelaten")
    REJECTED = "rejected", _("afgewezen")
    WAITLISTED = "waitlisted", _("op de wachtlijst geplaatst")
    SHELTER_STARTED = "shelter_started", _("opvang gestart")
    DOSSIER_REQUESTED = "dossier_requested", _("dossier opgevraagd")
    DOSSIER_DELIVERED = "dossier_delivered", _("dossierdeel geleverd")
    SCENARIO_SET = "scenario_set", _("begeleidingsscenario vastgesteld")
    COOPERATION_CHECKED = "cooperation_checked", _("medewerking getoetst")
    MRT_DISCUSSED = "mrt_discussed", _("besproken in het MRT")
    CASE_TYPES_SET = "case_types_set", _("casustypen vastgelegd")
    DEADLINE_PAUSED = "deadline_paused", _("termijn gepauzeerd")
    DEADLINE_RESUMED = "deadline_resumed", _("termijn hervat")
    OUTFLOW = "outflow", _("uitgestroomd")
    OUTFLOW_CONFIRMED = "outflow_confirmed", _("uitstroom bevestigd")
    OUTFLOW_CORRECTED = "outflow_corrected", _("uitstroom gecorrigeerd")
    OUTFLOW_DISPUTED = "outflow_disputed", _("uitstroom betwist")
    NOTE = "note", _("notitie")
    # Written by the LSO and MRT apps (through cases.services.add_event), read by their
    # agenda suggestions: the lower app learns of the higher one through the timeline.
    LSO_DISCUSSED = "lso_discussed", _("besproken in het LSO")
    LSO_POSTPONED = "lso_postponed", _("LSO-bespreking uitgesteld")
    ACTION_CREATED = "action_created", _("actie afgesproken")
    ACTION_DONE = "action_done", _("actie afgerond")
    MRT_ESCALATED = "mrt_escalated", _("voorgelegd aan het MRT")
    MRT_ADVICE = "mrt_advice", _("MRT-advies ontvangen")
    DTV_REVIEW = "dtv_review", _("beoordeeld door de DT&V")
    LSO_REQUESTED = "lso_requested", _("LSO-bespreking aangevraagd")
    # The case file: documents and owners.
    DOCUMENT_ADDED = "document_added", _("document toegevoegd")
    OWNER_CHANGED = "owner_changed", _("casus overgedragen")
    # Procedures and departure preparation (the procedures app; lvv-case/2).
    APPLICATION_SUBMITTED = "application_submitted", _("aanvraag ingediend")
    APPLICATION_DECIDED = "application_decided", _("besluit op aanvraag")
    DEPARTURE_STEP = "departure_step", _("stap in vertrekvoorbereiding")
    DEPARTURE_PLANNED = "departure_planned", _("vertrek gepland")


# The one outcome an MRT discussion from imported history can carry (``mrt_discussed`` in
# ``lvv-case``: ``data.outcome``): the MRT concluded that no durable solution is possible.
MRT_NO_DURABLE_SOLUTION = "no_durable_solution_possible"


class TimelineEvent(models.Model):
    """What happened on the case, on which date, by whom: the case's one shared history."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    type = models.CharField(_("soort"), max_length=30, choices=EventType.choices)
    occurred_on = models.DateField(_("datum"))
    recorded_at = models.DateTimeField(_("vastgelegd"), default=timezone.now)
    actor = user_reference()
    summary = models.CharField(_("samenvatting"), max_length=300, blank=True)
    data = models.JSONField(_("gegevens"), default=dict, blank=True)

    class Meta:
        verbose_name = _("gebeurtenis")
        verbose_name_plural = _("tijdlijn")
        ordering = ["-occurred_on", "-id"]
        indexes = [
            models.Index(fields=["case", "-occurred_on", "-id"], name="timeline_case"),
            models.Index(fields=["type", "occurred_on"], name="timeline_type_date"),
            # The monitor's MRT count reads the imported MRT discussions (and of those the
            # ones that concluded "no durable solution possible") from the index alone, not
            # from the timeline's pages (monitor.figures; docs/benchmark-scale.md).
            models.Index(
                fields=["occurred_on", "case"],
                name="timeline_mrt_imported",
                condition=Q(type=EventType.MRT_DISCUSSED, data__imported=True),
            ),
            models.Index(
                fields=["occurred_on", "case"],
                name="timeline_mrt_no_solution",
                condition=Q(type=EventType.MRT_DISCUSSED, data__imported=True, data__outcome=MRT_NO_DURABLE_SOLUTION),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_on:%Y-%m-%d} {self.get_type_display()}"


class DeadlineKind(models.TextChoices):
    REST_PERIOD_END = "rest_period_end", _("einde rusttermijn")
    COOPERATION_CHECK = "cooperation_check", _("medewerkingstoets")
    SCENARIO_REVIEW = "scenario_review", _("herbeoordeling scenario")
    MAX_STAY = "max_stay", _("maximale verblijfsduur (veilig land)")
    DOSSIER_IND = "dossier_ind", _("levering IND-deel dossier")
    DOSSIER_DTV = "dossier_dtv", _("levering DT&V-deel dossier")


class Deadline(models.Model):
    """A computed deadline; ``due_on`` = ``base_due_on`` + paused days. Rows are kept and
    updated by ``cases.deadlines.recompute`` (idempotent)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("soort"), max_length=30, choices=DeadlineKind.choices)
    base_due_on = models.DateField(_("oorspronkelijke datum"))
    paused_days = models.PositiveIntegerField(_("dagen gepauzeerd"), default=0)
    paused_since = models.DateField(_("gepauzeerd sinds"), null=True, blank=True)
    pause_reason = models.CharField(_("reden pauze"), max_length=300, blank=True)
    due_on = models.DateField(_("uiterste datum"))
    resolved_on = models.DateField(_("afgehandeld op"), null=True, blank=True)

    class Meta:
        verbose_name = _("termijn")
        verbose_name_plural = _("termijnen")
        ordering = ["due_on", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "kind"], name="deadline_one_per_kind")]
        indexes = [
            models.Index(fields=["due_on"], name="deadline_open_due", condition=Q(resolved_on__isnull=True)),
            # The running deadlines (selectors.open_deadlines) in the work queue's order, with
            # the case for the visibility check: counted and paged from the index alone.
            models.Index(
                fields=["due_on", "id", "case"],
                name="deadline_running_due",
                condition=Q(resolved_on__isnull=True, paused_since__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_on:%Y-%m-%d}"

    @property
    def is_paused(self) -> bool:
        return self.paused_since is not None

    def status_on(self, day: datetime.date, due_soon_days: int = 7) -> str:
        if self.resolved_on:
            return "resolved"
        if self.is_paused:
            return "paused"
        if self.due_on < day:
            return "overdue"
        if (self.due_on - day).days <= due_soon_days:
            return "due_soon"
        return "open"


class CaseUserObjectPermission(UserObjectPermissionBase):
    """A grant on one case to one user (django-guardian, direct foreign key)."""

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Case, on_delete=models.CASCADE)


def _object_grants(user, codename: str):
    """Where the access policy reads object grants (``policy.case_scope``): the grants of the
    case permission ``codename`` to the user and to the user's groups (django-guardian; the
    permission of the case's content type, as guardian's own check reads it)."""
    permission = {
        "permission__content_type__app_label": "cases",
        "permission__content_type__model": "case",
        "permission__codename": codename,
    }
    return (
        CaseUserObjectPermission.objects.filter(user=user.pk, **permission),
        CaseGroupObjectPermission.objects.filter(group__user=user.pk, **permission),
    )


policy.register_object_grants(_object_grants)
policy.scope_changed_on(CaseUserObjectPermission, CaseGroupObjectPermission)


class Notice(models.Model):
    """An in-app notice to one user: its message (built when it is made) and whether the user
    read it. Deadlines of a case (``Notification``) and LSO meetings (``lso.MeetingNotice``)."""

    message = models.CharField(_("melding"), max_length=300)
    created_at = models.DateTimeField(_("aangemaakt"), default=timezone.now)
    read_at = models.DateTimeField(_("gelezen op"), null=True, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Notification(Notice):
    """An in-app notice to one user about a deadline of a case that is due soon or overdue.

    Created by ``cases.notifications.notify_deadlines`` (once per user, deadline, kind and
    due date); the message is Dutch text built at creation.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("verloopt binnenkort")
        OVERDUE = "overdue", _("verlopen")
        # A new item in one of the partner inboxes (cases.inboxes); ``inbox`` names which.
        INBOX = "inbox", _("nieuw in uw inbox")
        # The case was handed over to this user.
        HANDED_OVER = "handed_over", _("casus aan u overgedragen")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("gebruiker")
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("casus"))
    deadline = models.ForeignKey(
        Deadline,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("termijn"),
    )
    kind = models.CharField(_("soort melding"), max_length=20, choices=Kind.choices)
    inbox = models.CharField(_("inbox"), max_length=40, blank=True)
    due_on = models.DateField(_("uiterste datum"), null=True, blank=True)
    digest_sent_on = models.DateField(_("laatst gemaild op"), null=True, blank=True)

    class Meta(Notice.Meta):
        verbose_name = _("melding")
        verbose_name_plural = _("meldingen")
        constraints = [
            models.UniqueConstraint(fields=["user", "deadline", "kind", "due_on"], name="notification_once"),
        ]
        indexes = [
            models.Index(fields=["user", "read_at"], name="notification_user_read"),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_newest"),
        ]


class MatchKind(models.TextChoices):
    V_NUMBER = "v_number", _("zelfde V-nummer")
    IDENTITY = "identity", _("zelfde naam en geboortedatum")


class MatchRequestStatus(models.TextChoices):
    OPEN = "open", _("open")
    LINKED = "linked", _("gekoppeld aan de bekende persoon")
    NEW_PERSON = "new_person", _("geregistreerd als andere persoon")
    DECLINED = "declined", _("afgewezen")


class MatchRequest(models.Model):
    """A registration that matched a person the registering user may not see.

    The registering user learns nothing of that person; the request keeps what was typed,
    and the functional manager or a case worker of an LVV where the person has a case
    resolves it (``cases.services.resolve_match_request``).
    """

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("LVV"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("aangevraagd door")
    )
    requested_at = models.DateTimeField(_("aangevraagd op"), default=timezone.now)
    matched_person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    match_kind = models.CharField(_("overeenkomst"), max_length=20, choices=MatchKind.choices)
    person_fields = models.JSONField(_("ingevoerde persoonsgegevens"), default=dict)
    case_fields = models.JSONField(_("ingevoerde casusgegevens"), default=dict)
    status = models.CharField(_("status"), max_length=20, choices=MatchRequestStatus.choices, default="open")
    resolved_by = user_reference()
    resolved_at = models.DateTimeField(_("afgehandeld op"), null=True, blank=True)
    resolution_note = models.CharField(_("toelichting afhandeling"), max_length=1000, blank=True)
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("casus")
    )

    class Meta:
        verbose_name = _("koppelverzoek")
        verbose_name_plural = _("koppelverzoeken")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["status", "-requested_at"], name="matchrequest_open"),
            models.Index(fields=["requested_by", "-requested_at"], name="matchrequest_requester"),
        ]

    def __str__(self) -> str:
        return f"{_('koppelverzoek')} {self.pk}"


class ReconciliationPartner(models.TextChoices):
    IND = "ind", _("IND")
    DTV = "dtv", _("DT&V")


class Reconciliation(models.Model):
    """The IND or the DT&V signs off an LVV's durable outflows up to a date: every one of
    theirs is confirmed or disputed (the check before figures are published)."""

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+", verbose_name=_("LVV"))
    partner = models.CharField(_("ketenpartner"), max_length=3, choices=ReconciliationPartner.choices)
    up_to = models.DateField(_("tot en met"))
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("afgetekend op"), default=timezone.now)
    outflows = models.PositiveIntegerField(_("aantal uitstromen"), default=0)
    notes = models.CharField(_("toelichting"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("afstemming uitstroom")
        verbose_name_plural = _("afstemmingen uitstroom")
        ordering = ["-up_to", "-signed_at"]
        indexes = [models.Index(fields=["location", "partner", "-up_to"], name="reconciliation_latest")]

    def __str__(self) -> str:
        return f"{self.location} {self.get_partner_display()} {self.up_to:%Y-%m-%d}"


# --- The case journal (notes) ---------------------------------------------------------------

NOTE_TEXT_MAX_LENGTH = TEXT_MAX  # lvv.text: notes, reasons and minutes alike
NOTE_DATE_IN_FUTURE = _("Deze datum ligt in de toekomst.")
NOTE_IMMUTABLE = "A note is never changed or deleted; write a correction instead."


class NoteKind(models.TextChoices):
    CONVERSATION = "conversation", _("gesprek")
    PHONE_CALL = "phone_call", _("telefoongesprek")
    HOME_VISIT = "home_visit", _("huisbezoek")
    PARTNER_CONTACT = "partner_contact", _("contact met ketenpartner")
    OTHER = "other", _("overig")


class Confidentiality(models.TextChoices):
    """Of notes (and later documents): ``special`` marks special-category data (GDPR art. 9
    and 10), visible only to users who may see that data of the case."""

    NORMAL = "normal", _("normaal")
    SPECIAL = "special", _("bijzonder persoonsgegeven")


def confidentiality_field(verbose_name: Any = None) -> models.CharField:
    """The mark of a text that may hold special-category data (``Confidentiality``)."""
    return models.CharField(
        verbose_name or _("vertrouwelijkheid"),
        max_length=10,
        choices=Confidentiality.choices,
        default=Confidentiality.NORMAL,
    )


def confidentiality_valid(name: str, field: str = "confidentiality") -> models.CheckConstraint:
    """The database's check that ``field`` holds one of the marks of ``Confidentiality``."""
    return models.CheckConstraint(condition=Q(**{f"{field}__in": Confidentiality.values}), name=name)


class NoteQuerySet(models.QuerySet):
    """Notes are only ever added: bulk updates and deletes are refused as well."""

    def update(self, **kwargs):
        raise AppendOnlyError(NOTE_IMMUTABLE)

    def delete(self):
        raise AppendOnlyError(NOTE_IMMUTABLE)


class Note(CheapValidation, models.Model):
    """One entry of the case journal: what was done or heard, on which date, by whom.

    Written by ``cases.services.add_note`` only. A note never changes and is never deleted
    (the model and its queryset refuse, and a database trigger rejects UPDATE, and DELETE
    unless the case itself goes in the same transaction); a correction is a new note that
    refers to the one it corrects.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes", verbose_name=_("casus"))
    written_on = models.DateField(_("datum"))
    kind = models.CharField(_("soort"), max_length=20, choices=NoteKind.choices)
    text = models.TextField(
        _("tekst"), max_length=NOTE_TEXT_MAX_LENGTH, validators=[MaxLengthValidator(NOTE_TEXT_MAX_LENGTH)]
    )
    confidentiality = confidentiality_field()
    author = user_reference(_("auteur"))
    author_organisation = organisation_reference(_("organisatie van de auteur"))
    created_at = models.DateTimeField(_("vastgelegd op"), default=timezone.now, editable=False)
    # RESTRICT: the note a correction refers to stays, unless both go with their case.
    corrects = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("correctie van"),
    )

    objects = NoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("notitie")
        verbose_name_plural = _("notities")
        ordering = ["-written_on", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(text=""), name="note_text_not_blank"),
            models.CheckConstraint(
                condition=models.lookups.LessThanOrEqual(Length("text"), NOTE_TEXT_MAX_LENGTH),
                name="note_text_max_length",
            ),
            models.CheckConstraint(condition=Q(kind__in=NoteKind.values), name="note_kind_valid"),
            confidentiality_valid("note_confidentiality_valid"),
            models.CheckConstraint(condition=~Q(corrects=F("pk")), name="note_does_not_correct_itself"),
        ]
        indexes = [
            models.Index(fields=["case", "-written_on", "-created_at", "-id"], name="note_case_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.written_on:%Y-%m-%d} {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(NOTE_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(NOTE_IMMUTABLE)

    def clean(self) -> None:
        super().clean()
        if self.written_on and self.written_on > timezone.localdate():
            raise ValidationError({"written_on": NOTE_DATE_IN_FUTURE})
        try:
            not_before_earliest(self.written_on)  # nothing the system records lies before 2000
        except ValidationError as error:
            raise ValidationError({"written_on": error.messages}) from None

    @property
    def is_special(self) -> bool:
        return self.confidentiality == Confidentiality.SPECIAL


# --- Case owners: the hand-over history ----------------------------------------------------


class OwnerRole(models.TextChoices):
    CASE_MANAGER = "case_manager", _("casusregisseur")
    NGO_GUIDE = "ngo_guide", _("begeleider ngo")


class CaseOwnerChange(CheapValidation, models.Model):
    """One change of a case's owner (``case_manager`` or ``ngo_guide``): from whom, to whom,
    why, by whom and when. Written by ``cases.services.hand_over`` only; never changed."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="owner_changes", verbose_name=_("casus"))
    role = models.CharField(_("rol"), max_length=20, choices=OwnerRole.choices)
    from_user = user_reference(_("van"))
    to_user = user_reference(_("naar"))
    reason = models.CharField(_("reden"), max_length=1000, blank=True)
    changed_by = user_reference(_("gewijzigd door"))
    changed_at = models.DateTimeField(_("gewijzigd op"), default=timezone.now)

    class Meta:
        verbose_name = _("overdracht")
        verbose_name_plural = _("overdrachten")
        ordering = ["-changed_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(role__in=OwnerRole.values), name="owner_change_role_valid")]
        indexes = [models.Index(fields=["case", "-changed_at", "-id"], name="owner_change_case_newest")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.changed_at:%Y-%m-%d}"


# --- Documents -----------------------------------------------------------------------------


class DocumentKind(models.TextChoices):
    IDENTITY_DOCUMENT = "identity_document", _("identiteitsdocument")
    DECISION = "decision", _("beschikking")
    MEDICAL_LETTER = "medical_letter", _("medische brief")
    DOSSIER_IND = "dossier_ind", _("dossierdeel IND")
    DOSSIER_DTV = "dossier_dtv", _("dossierdeel DT&V")
    CORRESPONDENCE = "correspondence", _("correspondentie")
    OTHER = "other", _("overig")


def document_storage():
    """The storage that holds case documents (``STORAGES["documents"]``): the local file
    system by default, an S3-compatible store in production (see the settings)."""
    from django.core.files.storage import storages

    return storages["documents"]


def document_path(instance: Document, filename: str) -> str:
    """Where a document's bytes live in the storage: per case, under a random name (the
    user's file name is kept in ``original_name`` and never used as a path)."""
    import uuid

    return f"cases/{instance.case_id}/{uuid.uuid4().hex}"


class Document(CheapValidation, models.Model):
    """A file in the case file. Written by ``cases.services.add_document`` only: its type is
    checked by content, its size against the configured maximum, and its SHA-256 stored."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="documents", verbose_name=_("casus"))
    title = models.CharField(_("titel"), max_length=200)
    kind = models.CharField(_("soort"), max_length=20, choices=DocumentKind.choices)
    confidentiality = confidentiality_field()
    file = models.FileField(_("bestand"), storage=document_storage, upload_to=document_path, max_length=300)
    original_name = models.CharField(_("bestandsnaam"), max_length=255, blank=True)
    content_type = models.CharField(_("bestandstype"), max_length=100)
    size = models.PositiveBigIntegerField(_("grootte (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = user_reference(_("toegevoegd door"))
    uploaded_by_organisation = organisation_reference(_("organisatie"))
    uploaded_at = models.DateTimeField(_("toegevoegd op"), default=timezone.now, editable=False)
    # The dossier part that the IND or DT&V delivered with this file, if any.
    dossier_part = models.ForeignKey(
        DossierPart,
        on_delete=models.SET_NULL,  # the file stays a document of the case; both go with the case
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("dossierdeel"),
    )

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documenten")
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=DocumentKind.values), name="document_kind_valid"),
            confidentiality_valid("document_confidentiality_valid"),
            models.CheckConstraint(condition=Q(size__gt=0), name="document_not_empty"),
            models.CheckConstraint(condition=~Q(title=""), name="document_title_not_blank"),
        ]
        indexes = [models.Index(fields=["case", "-uploaded_at", "-id"], name="document_case_newest")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_special(self) -> bool:
        return self.confidentiality == Confidentiality.SPECIAL
