from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Choices
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.validators import UniqueValidator

from cases import special_types
from cases.models import (
    DEPARTURE_CATEGORIES,
    V_NUMBER_TAKEN,
    AdmissionCheck,
    Case,
    CaseType,
    Confidentiality,
    CooperationCheck,
    CooperationResult,
    Deadline,
    DeadlineKind,
    Direction,
    DossierPartKind,
    EventType,
    ExceptionGround,
    Outflow,
    OutflowCategory,
    Person,
    RegistrationSource,
    Route,
    Scenario,
    Sex,
    ShelterForm,
    TerminationBasis,
    TimelineEvent,
    related_or_none,
    v_number_validator,
)
from cases.services import (
    CORRECTION_REASON_REQUIRED,
    COUNTRY_REQUIRED,
    DATE_IN_FUTURE,
    DISPUTE_REASON_REQUIRED,
    EXCEPTION_REASON_REQUIRED,
    PAUSE_REASON_REQUIRED,
    REJECTION_REASON_REQUIRED,
)
from cases.workflow import State
from lvv.accounts.models import User
from lvv.api.common import VERSION_REQUIRED
from lvv.api.serializers import CodedField, CodedValueSerializer, LabelledCodeField
from lvv.params import DATE_TOO_EARLY, EARLIEST_DATE
from lvv.partners.models import Location, Organisation, OrganisationKind
from lvv.text import SHORT_TEXT_MAX, TEXT_MAX

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

VERSION_HELP = _(
    "Versie waarop de wijziging is gebaseerd (optimistische gelijktijdigheid). Verplicht bij wijzigen, "
    "tenzij de header If-Match is meegestuurd. Een verouderde versie geeft 409."
)


class PersonSerializer(serializers.ModelSerializer):
    v_number = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        validators=[v_number_validator, UniqueValidator(queryset=Person.objects.all(), message=V_NUMBER_TAKEN)],
    )
    nationality = CountryField(required=False, allow_blank=True, allow_null=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, allow_null=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "v_number",
            "family_name",
            "given_names",
            "birth_date",
            "sex",
            "nationality",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "version": {"required": False, "help_text": VERSION_HELP},
        }


class OwnerSerializer(serializers.Serializer):
    """A user who owns a role of a case (case owners): id and name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        ref_name = "CaseOwner"

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.get_username()


class CaseSerializer(serializers.ModelSerializer):
    location = serializers.SlugRelatedField(slug_field="slug", queryset=Location.objects.all())
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.none())
    person_name = serializers.CharField(source="person.full_name", read_only=True)
    assigned_ngo = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.NGO), required=False, allow_null=True
    )
    health_notes = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=TEXT_MAX,
        help_text=_("Bijzonder persoonsgegeven: alleen aanwezig voor wie de extra autorisatie heeft."),
    )
    state = serializers.ChoiceField(
        choices=State.choices, read_only=True, help_text=_("Stand van het traject; zie /cases/{id}/trajectory/.")
    )
    case_manager = OwnerSerializer(
        read_only=True,
        allow_null=True,
        help_text=_("De casusregisseur; wijzigen met POST /cases/{id}/hand-over/."),
    )
    ngo_guide = OwnerSerializer(
        read_only=True,
        allow_null=True,
        help_text=_("De begeleider van de toegewezen ngo; wijzigen met POST /cases/{id}/hand-over/."),
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "person",
            "person_name",
            "location",
            "assigned_ngo",
            "external_id",
            "health_notes",
            "state",
            "case_manager",
            "ngo_guide",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {"version": {"required": False, "help_text": VERSION_HELP}}
        # Uniqueness of (location, external_id) is checked by the service with a field-level message.
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["person"].queryset = Person.objects.visible_to(request.user)  # type: ignore[attr-defined]
        if self.instance is not None and not isinstance(self.instance, Case):
            return
        if isinstance(self.instance, Case):
            # On update the person and the LVV of a case do not change.
            self.fields["person"].read_only = True
            self.fields["location"].read_only = True

    def to_representation(self, instance: Case) -> Any:
        data = super().to_representation(instance)
        checker = self.context.get("special_category")
        if checker is None or not checker(instance):
            data.pop("health_notes", None)
        return data


# --- The trajectory -------------------------------------------------------------------------
# Output: coded values are {"code", "label"} objects (label in the active language, Dutch by
# default). Input: one serializer per step with field-level validation; the business rules
# (order of dates, capacity, admission criteria) stay in cases/services.py.

COUNTRY_INVALID = _("Kies een geldige landcode (ISO 3166-1 alfa-2, bijvoorbeeld ER).")
NOTES_MAX_LENGTH = TEXT_MAX
ON_HELP = _("Datum van het feit (ISO 8601, JJJJ-MM-DD); standaard vandaag. Niet in de toekomst.")

DEADLINE_STATUS_LABELS = {
    "open": _("open"),
    "due_soon": _("verloopt binnenkort"),
    "overdue": _("verlopen"),
    "paused": _("gepauzeerd"),
    "resolved": _("afgehandeld"),
}
PARTNER_LABELS = {"ind": _("IND"), "dtv": _("DT&V")}


# A coded value under the name the cases API gives it. (No docstring: the schema would show
# it as the component's description.)
class CodeLabelSerializer(CodedValueSerializer):
    class Meta:
        ref_name = "CodeLabel"


@extend_schema_field(CodeLabelSerializer)
class CodeLabelField(LabelledCodeField):
    """A coded value as ``{"code": ..., "label": ...}``; blank codes become null."""


def _choices(choices_cls: type[Choices]) -> dict:
    return dict(choices_cls.choices)


def _country_names() -> dict:
    return dict(countries)


def _name_of(user: User | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class AdmissionCheckOutSerializer(serializers.Serializer):
    checked_on = serializers.DateField()
    entry_ban = serializers.BooleanField()
    declared_undesirable = serializers.BooleanField()
    eu_citizen = serializers.BooleanField()
    dublin_claimant = serializers.BooleanField()
    prior_provision = serializers.BooleanField()
    regional_ties = serializers.BooleanField()
    shown_willingness = serializers.BooleanField()
    notes = serializers.CharField()
    unmet_criteria = serializers.SerializerMethodField(
        help_text=_("Gronden waarop de persoon buiten de doelgroep van deze LVV valt (leeg: voldoet).")
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_unmet_criteria(self, check: AdmissionCheck) -> list[str]:
        return check.unmet_criteria(self.context["case"].location)


class DossierPartOutSerializer(serializers.Serializer):
    kind = CodeLabelField(_choices(DossierPartKind))
    requested_on = serializers.DateField(allow_null=True)
    delivered_on = serializers.DateField(allow_null=True)


class ScenarioOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    direction = CodeLabelField(_choices(Direction))
    route = CodeLabelField(_choices(Route), allow_null=True)
    set_on = serializers.DateField()
    notes = serializers.CharField()
    set_by = serializers.SerializerMethodField()

    def get_set_by(self, scenario: Scenario) -> str | None:
        return _name_of(scenario.set_by)


class CooperationCheckOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    checked_on = serializers.DateField()
    result = CodeLabelField(_choices(CooperationResult))
    notes = serializers.CharField()
    checked_by = serializers.SerializerMethodField()

    def get_checked_by(self, check: CooperationCheck) -> str | None:
        return _name_of(check.checked_by)


class OutflowOutSerializer(serializers.Serializer):
    category = CodeLabelField(_choices(OutflowCategory))
    is_durable = serializers.BooleanField(help_text=_("Een bestendige oplossing (inwilliging, vertrek, doormigratie)."))
    outflow_on = serializers.DateField()
    country = CodeLabelField(_country_names, allow_null=True)
    notes = serializers.CharField()
    confirming_partner = CodeLabelField(
        PARTNER_LABELS,
        allow_null=True,
        help_text=_("De ketenpartner die deze uitstroom bevestigt (IND of DT&V); leeg als dat niet nodig is."),
    )
    confirmed_on = serializers.DateField(allow_null=True)
    confirmed = serializers.SerializerMethodField()
    termination_basis = CodeLabelField(_choices(TerminationBasis), allow_null=True)
    warned_on = serializers.DateField(allow_null=True)
    heard_on = serializers.DateField(allow_null=True)
    termination_decided_on = serializers.DateField(allow_null=True)
    disputed_on = serializers.DateField(allow_null=True)
    dispute_reason = serializers.CharField()

    def get_confirmed(self, outflow: Outflow) -> bool:
        return outflow.confirmed_on is not None


class DeadlineOutSerializer(serializers.Serializer):
    kind = CodeLabelField(_choices(DeadlineKind))
    base_due_on = serializers.DateField()
    due_on = serializers.DateField(help_text=_("Oorspronkelijke datum plus de dagen dat de termijn gepauzeerd was."))
    paused_since = serializers.DateField(allow_null=True)
    paused_days = serializers.IntegerField()
    pause_reason = serializers.CharField()
    resolved_on = serializers.DateField(allow_null=True)
    status = serializers.SerializerMethodField()

    @extend_schema_field(CodeLabelSerializer)
    def get_status(self, deadline: Deadline) -> dict:
        status = deadline.status_on(self.context["today"], self.context["due_soon_days"])
        return {"code": status, "label": str(DEADLINE_STATUS_LABELS[status])}


class TimelineEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = CodeLabelField(_choices(EventType))
    occurred_on = serializers.DateField()
    recorded_at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField()
    summary = serializers.CharField()
    data = serializers.JSONField(  # type: ignore[assignment]  # a field named "data", not the serializer's own
        help_text=_(
            "De gegevens van de gebeurtenis. Casustypen die bijzondere persoonsgegevens zijn, alleen voor wie "
            "de extra autorisatie heeft."
        )
    )

    def get_actor(self, event: TimelineEvent) -> str | None:
        return _name_of(event.actor)

    def to_representation(self, event: TimelineEvent) -> Any:
        data = super().to_representation(event)
        # The special case types of a case_types_set event only for readers with the permission.
        special = special_types.special_from_context(self.context, Case(pk=event.case_id))
        data["data"] = special_types.event_data(event, special=special)
        return data


class AllowedStepSerializer(serializers.Serializer):
    name = serializers.CharField(help_text=_("Naam van de stap in de overgangstabel (cases/workflow.py)."))
    label = serializers.CharField()  # type: ignore[assignment]  # a field named "label", not the serializer's own
    url = serializers.CharField(help_text=_("Het eindpunt (POST) dat deze stap zet."))


class TrajectorySerializer(serializers.Serializer):
    """The case's trajectory: state, dates, the records of every step, deadlines, timeline."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    person = serializers.IntegerField(source="person_id")
    person_name = serializers.CharField(source="person.full_name")
    location = serializers.CharField(source="location.slug")
    state = CodeLabelField(_choices(State))
    version = serializers.IntegerField()
    registered_on = serializers.DateField()
    registration_source = CodeLabelField(_choices(RegistrationSource))
    decided_on = serializers.DateField(allow_null=True)
    rejection_reason = serializers.CharField()
    waitlisted_on = serializers.DateField(allow_null=True)
    shelter_started_on = serializers.DateField(allow_null=True)
    shelter_form = CodeLabelField(_choices(ShelterForm), allow_null=True)
    closed_on = serializers.DateField(allow_null=True)
    within_covenant = serializers.BooleanField()
    exception_ground = CodeLabelField(_choices(ExceptionGround), allow_null=True)
    exception_reason = serializers.CharField()
    case_types = serializers.SerializerMethodField(
        help_text=_(
            "Casustypen die bijzondere persoonsgegevens zijn (medisch, psychisch, bekering of lhbti), alleen voor "
            "wie de extra autorisatie heeft; wie die niet heeft en casustypen vastlegt, laat ze staan."
        )
    )
    prior_departure_procedures = serializers.IntegerField(allow_null=True)
    admission_check = serializers.SerializerMethodField()
    dossier_parts = DossierPartOutSerializer(many=True, source="dossier_parts.all")
    current_scenario = serializers.SerializerMethodField()
    scenarios = ScenarioOutSerializer(many=True, source="scenarios.all", help_text=_("Nieuwste eerst."))
    cooperation_checks = CooperationCheckOutSerializer(
        many=True, source="cooperation_checks.all", help_text=_("Nieuwste eerst.")
    )
    outflow = serializers.SerializerMethodField()
    deadlines = DeadlineOutSerializer(many=True, source="deadlines.all")
    timeline = TimelineEventSerializer(
        many=True,
        source="recent_events",
        help_text=_("De nieuwste gebeurtenissen (nieuwste eerst); de hele tijdlijn staat op timeline_url."),
    )
    timeline_count = serializers.IntegerField(help_text=_("Aantal gebeurtenissen op de hele tijdlijn."))
    timeline_url = serializers.SerializerMethodField()
    allowed_steps = serializers.SerializerMethodField(
        help_text=_("De stappen die deze gebruiker nu mag zetten (status, rol en de gegevens van de casus).")
    )

    @extend_schema_field(CodeLabelSerializer(many=True))
    def get_case_types(self, case: Case) -> Any:
        special = special_types.special_from_context(self.context, case)
        field = CodeLabelField(_choices(CaseType))
        return [field.to_representation(value) for value in special_types.visible(case.case_types, special=special)]

    @extend_schema_field(AdmissionCheckOutSerializer(allow_null=True))
    def get_admission_check(self, case: Case) -> Any:
        check = related_or_none(case, "admission_check")
        if check is None:
            return None
        return AdmissionCheckOutSerializer(check, context={**self.context, "case": case}).data

    @extend_schema_field(ScenarioOutSerializer(allow_null=True))
    def get_current_scenario(self, case: Case) -> Any:
        scenarios = list(case.scenarios.all())
        return ScenarioOutSerializer(scenarios[0], context=self.context).data if scenarios else None

    @extend_schema_field(OutflowOutSerializer(allow_null=True))
    def get_outflow(self, case: Case) -> Any:
        outflow = related_or_none(case, "outflow")
        return OutflowOutSerializer(outflow, context=self.context).data if outflow else None

    def get_timeline_url(self, case: Case) -> str:
        return reverse("api:case-timeline", args=[case.pk])

    @extend_schema_field(AllowedStepSerializer(many=True))
    def get_allowed_steps(self, case: Case) -> Any:
        return AllowedStepSerializer(self.context["allowed_steps"], many=True).data


def version_field() -> serializers.IntegerField:
    """The version a change is based on, in the body (``VersionedSerializer``)."""
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text=VERSION_HELP,
        error_messages={"required": VERSION_REQUIRED},
    )


class VersionedSerializer(serializers.Serializer):
    """A change with its ``version`` field (``version_field``): without If-Match the body
    must say which version the change is based on (the view says whether the header was
    sent; the schema shows the field as optional)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.context.get("if_match") is False:
            self.fields["version"].required = True


def recorded_date(value: datetime.date) -> None:
    """Validator: the date of a fact, not in the future and not before ``EARLIEST_DATE``."""
    if value > timezone.localdate():
        raise serializers.ValidationError(str(DATE_IN_FUTURE))
    if value < EARLIEST_DATE:
        raise serializers.ValidationError(str(DATE_TOO_EARLY % {"date": date_format(EARLIEST_DATE)}))


class StepSerializer(VersionedSerializer):
    """Common to every step: the version it is based on and the date of the fact."""

    version = version_field()
    on = serializers.DateField(required=False, allow_null=True, help_text=ON_HELP)

    def validate_on(self, value: datetime.date | None) -> datetime.date | None:
        if value is not None:
            recorded_date(value)
        return value


def optional_choice(choices: Any, **kwargs: Any) -> serializers.ChoiceField:
    """A choice the body may leave out (then empty)."""
    return serializers.ChoiceField(choices=choices, required=False, allow_blank=True, default="", **kwargs)


def confidentiality_field(help_text: StrOrPromise) -> serializers.ChoiceField:
    """The mark of a record the body adds: ``normal`` unless given, ``special`` for
    special-category data."""
    return serializers.ChoiceField(choices=Confidentiality.choices, default=Confidentiality.NORMAL, help_text=help_text)


def document_file_field(help_text: StrOrPromise, **kwargs: Any) -> serializers.FileField:
    """The file of a document in a ``multipart/form-data`` body, checked by the service
    (which also says why an empty file is refused)."""
    return serializers.FileField(allow_empty_file=True, use_url=False, help_text=help_text, **kwargs)


def optional_text(max_length: int, help_text: Any) -> serializers.CharField:
    """Free text the body may leave out (then empty)."""
    return serializers.CharField(
        max_length=max_length, required=False, allow_blank=True, default="", help_text=help_text
    )


def _notes(**kwargs: Any) -> serializers.CharField:
    return serializers.CharField(required=False, allow_blank=True, max_length=NOTES_MAX_LENGTH, **kwargs)


def _required_text(message: StrOrPromise, max_length: int = NOTES_MAX_LENGTH, **kwargs: Any) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length, error_messages={"required": message, "blank": message, "null": message}, **kwargs
    )


class AdmissionCheckStepSerializer(StepSerializer):
    """The admission check as a checklist: the national grounds, prior provision and local rules."""

    entry_ban = serializers.BooleanField(required=False, default=False)
    declared_undesirable = serializers.BooleanField(required=False, default=False)
    eu_citizen = serializers.BooleanField(required=False, default=False)
    dublin_claimant = serializers.BooleanField(required=False, default=False)
    prior_provision = serializers.BooleanField(required=False, default=False)
    regional_ties = serializers.BooleanField(required=False, default=False)
    shown_willingness = serializers.BooleanField(required=False, default=False)
    notes = _notes()


class AdmitStepSerializer(StepSerializer):
    """Admit after the admission check, or as an exception with its ground and reason."""

    exception = optional_choice(
        ExceptionGround.choices,
        help_text=_("Leeg: toelaten na de toelatingstoets. Anders: toelaten als uitzondering, buiten het convenant."),
    )
    exception_reason = _notes(help_text=_("Verplicht bij een uitzondering."))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("exception") and not attrs.get("exception_reason", "").strip():
            raise serializers.ValidationError({"exception_reason": [str(EXCEPTION_REASON_REQUIRED)]})
        return attrs


class RejectStepSerializer(StepSerializer):
    """Reject after the admission check; the case ends."""

    reason = _required_text(REJECTION_REASON_REQUIRED)


class WaitlistStepSerializer(StepSerializer):
    """Put the admitted person on the waiting list."""


class StartShelterStepSerializer(StepSerializer):
    """Shelter starts on the date (a place must be free on that date, and the person has
    no place elsewhere). Before people admitted earlier: with ``skip_reason``."""

    form = serializers.ChoiceField(choices=ShelterForm.choices, required=False, default=ShelterForm.FULL_DAY)
    skip_reason = _notes(
        help_text=_("Verplicht als anderen langer op de wachtlijst staan: waarom deze persoon eerder een plek krijgt.")
    )


class RequestDossierStepSerializer(StepSerializer):
    """Ask the IND and the DT&V for their parts of the dossier."""


class DeliverDossierStepSerializer(StepSerializer):
    """The IND or the DT&V registers the delivery of its own part, optionally with its file
    (as ``multipart/form-data``): a document of the case of kind ``dossier_ind`` or
    ``dossier_dtv``, checked as every document (``POST .../documents/``)."""

    kind = serializers.ChoiceField(
        choices=DossierPartKind.choices, help_text=_("IND of DTV: het deel van de eigen organisatie.")
    )
    file = document_file_field(
        _(
            "Het bestand van het dossierdeel (niet verplicht; dan als multipart/form-data): PDF, JPEG, PNG, DOCX, "
            "XLSX of ODT, herkend aan de inhoud."
        ),
        required=False,
        allow_null=True,
    )
    title = optional_text(200, _("Titel van het bestand; leeg: het deel en de datum van levering."))
    confidentiality = confidentiality_field(
        _("Van het bestand: `special` alleen voor wie bijzondere persoonsgegevens van de casus mag zien.")
    )


class SetScenarioStepSerializer(StepSerializer):
    """Set or change the guidance scenario; earlier ones stay in the history."""

    direction = serializers.ChoiceField(choices=Direction.choices)
    route = optional_choice(Route.choices)
    notes = _notes()


class CooperationCheckStepSerializer(StepSerializer):
    """The outcome of a periodic cooperation check."""

    result = serializers.ChoiceField(choices=CooperationResult.choices)
    notes = _notes()


class CaseTypesStepSerializer(StepSerializer):
    """The case types and the number of earlier departure procedures."""

    case_types = serializers.ListField(
        child=serializers.ChoiceField(choices=CaseType.choices),
        allow_empty=True,
        max_length=len(CaseType.values),
        help_text=_(
            "Alle casustypen van de casus. Casustypen die bijzondere persoonsgegevens zijn, alleen met de extra "
            "autorisatie (anders 400); wie die niet heeft, laat de vastgelegde staan."
        ),
    )
    prior_departure_procedures = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=0,
        max_value=999,
        help_text=_("Weggelaten: blijft zoals het was; null: onbekend."),
    )


class PauseDeadlineStepSerializer(StepSerializer):
    """Pause a running deadline; the paused days are added when it resumes."""

    deadline = serializers.ChoiceField(choices=DeadlineKind.choices, help_text=_("De soort termijn."))
    reason = _required_text(PAUSE_REASON_REQUIRED, max_length=300)


class ResumeDeadlineStepSerializer(StepSerializer):
    """Resume a paused deadline."""

    deadline = serializers.ChoiceField(choices=DeadlineKind.choices, help_text=_("De soort termijn."))


def _procedure_date(label: StrOrPromise) -> serializers.DateField:
    return serializers.DateField(required=False, allow_null=True, help_text=label)


class OutflowStepSerializer(StepSerializer):
    """The case ends with its outflow (one per case). A forced termination needs its
    procedure: an insufficient cooperation check or an LSO decision on record, and the
    dates of the warning, the hearing and the decision (not in an LVV with voluntary
    participation)."""

    category = serializers.ChoiceField(choices=OutflowCategory.choices)
    termination_basis = optional_choice(
        TerminationBasis.choices, help_text=_("Bij gedwongen beëindiging; leeg: de grond die vastligt.")
    )
    warned_on = _procedure_date(_("Bij gedwongen beëindiging: de datum van de waarschuwing."))
    heard_on = _procedure_date(_("Bij gedwongen beëindiging: de datum van het hoorgesprek."))
    termination_decided_on = _procedure_date(_("Bij gedwongen beëindiging: de datum van het besluit."))
    country = optional_text(2, _("Bij vertrek (herkomst of doormigratie): het land van bestemming, ISO 3166-1 alfa-2."))
    notes = _notes()

    def validate_country(self, value: str) -> str:
        value = value.strip().upper()
        if value and value not in countries:
            raise serializers.ValidationError(str(COUNTRY_INVALID))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if attrs.get("category") in DEPARTURE_CATEGORIES and not attrs.get("country"):
            raise serializers.ValidationError({"country": [str(COUNTRY_REQUIRED)]})
        if attrs.get("category") != OutflowCategory.FORCED_TERMINATION:
            for name in ("termination_basis", "warned_on", "heard_on", "termination_decided_on"):
                attrs.pop(name, None)
        return attrs


class CorrectOutflowStepSerializer(OutflowStepSerializer):
    """The case manager corrects the recorded outflow (category, date, country), with a
    reason; the earlier values stay in the timeline."""

    notes = None  # type: ignore[assignment]  # no notes here (DRF leaves the field out)
    reason = _required_text(CORRECTION_REASON_REQUIRED, max_length=SHORT_TEXT_MAX)


class DisputeOutflowStepSerializer(StepSerializer):
    """The IND or the DT&V disputes the recorded outflow, with a reason."""

    reason = _required_text(DISPUTE_REASON_REQUIRED, max_length=SHORT_TEXT_MAX)


class ConfirmOutflowStepSerializer(StepSerializer):
    """The chain partner confirms a durable outflow."""


# --- Shared by the LSO's and the MRT's API -------------------------------------------------


class CaseRefSerializer(serializers.Serializer):
    """The case as an agenda or an escalation names it: reference, person, state (need to
    know only)."""

    id = serializers.IntegerField()
    reference = serializers.CharField()
    person_name = serializers.CharField(source="person.full_name")
    location = serializers.CharField(source="location.slug", help_text=_("Code van de LVV."))
    state = CodedField(State.choices)

    class Meta:
        ref_name = "CaseRef"


class DateInputSerializer(serializers.Serializer):
    """The date of a fact (an action done, a task done), today when left out."""

    on = serializers.DateField(required=False, allow_null=True, help_text=_("Datum; standaard vandaag."))

    def validate_on(self, value: datetime.date | None) -> datetime.date | None:
        if value is not None and value > timezone.localdate():
            raise serializers.ValidationError(str(DATE_IN_FUTURE))
        return value
