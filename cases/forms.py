from __future__ import annotations

import uuid

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import services, special_types
from cases.models import (
    NOTE_TEXT_MAX_LENGTH,
    V_NUMBER_INVALID,
    AdmissionCheck,
    Case,
    CaseType,
    Confidentiality,
    CooperationResult,
    Direction,
    DossierPartKind,
    ExceptionGround,
    NoteKind,
    Outflow,
    OutflowCategory,
    OwnerRole,
    Person,
    Route,
    ShelterForm,
    TerminationBasis,
    v_number_validator,
)
from lvv.access import policy
from lvv.forms import VERSION_MISSING, StyledFormMixin
from lvv.partners.models import Organisation, OrganisationKind
from lvv.text import SHORT_TEXT_MAX

# Messages shared by the pages and their tests.
CASE_REGISTERED = _("De casus is geregistreerd.")
OTHER_OPEN_CASE = _("Deze persoon heeft ook een open casus in %(location)s.")
STEP_DONE = _("“%(step)s” is vastgelegd.")
NO_OUTCOME = _("geen bijzondere uitkomst")
NO_DURABLE_SOLUTION = _("geen bestendige oplossing mogelijk")
SPECIAL_HELP = _(
    "Bijzonder: gegevens over gezondheid, godsdienst of levensovertuiging, seksuele gerichtheid of "
    "strafrechtelijke zaken (art. 9 en 10 AVG). Alleen zichtbaar voor wie die gegevens van deze casus mag zien."
)


def confidentiality_field(label=None) -> forms.ChoiceField:
    """Normal or special-category data. A form offers it only to users who may see the
    special-category data of the case (it deletes the field for others); without it, a
    record is normal (``chosen_confidentiality``)."""
    return forms.ChoiceField(
        label=label or _("Vertrouwelijkheid"),
        choices=Confidentiality.choices,
        initial=Confidentiality.NORMAL,
        widget=forms.RadioSelect,
        help_text=SPECIAL_HELP,
    )


def chosen_confidentiality(cleaned_data: dict) -> str:
    return cleaned_data.get("confidentiality") or Confidentiality.NORMAL


class PersonForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = ["v_number", "family_name", "given_names", "birth_date", "sex", "nationality"]
        widgets = {"birth_date": forms.DateInput(), "v_number": forms.TextInput(attrs={"inputmode": "numeric"})}
        error_messages = {"v_number": {"max_length": V_NUMBER_INVALID}}


class IntakePersonForm(PersonForm):
    """The person part of the intake: a known V-number is not an error here; the service
    shows the match for confirmation (``services.register_intake``). The V-number field has
    no ``maxlength``: a browser would cut an eleventh digit off silently, the server says
    that a V-number has exactly 10 digits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["v_number"].widget.attrs.pop("maxlength", None)
        self.fields["v_number"].max_length = None
        self.fields["v_number"].validators = [
            v for v in self.fields["v_number"].validators if not hasattr(v, "limit_value")
        ]

    def clean_v_number(self):
        """Exactly 10 digits, one message (the model's own check is then skipped)."""
        value = self.cleaned_data.get("v_number") or ""
        if value:
            v_number_validator(value)
        return value

    def validate_unique(self):
        exclude = self._get_validation_exclusions()
        exclude.add("v_number")
        try:
            self.instance.validate_unique(exclude=exclude)
        except ValidationError as exc:
            self._update_errors(exc)


class VersionedFormMixin:
    """A hidden ``version`` field: the version the user's edit is based on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)


class NewCaseForm(StyledFormMixin, forms.ModelForm):
    """The case part of the intake form; the LVV is limited to the user's own."""

    class Meta:
        model = Case
        fields = [
            "location",
            "registered_on",
            "registration_source",
            "assigned_ngo",
            "external_id",
            "case_types",
            "prior_departure_procedures",
        ]
        widgets = {"registered_on": forms.DateInput()}
        help_texts = {"prior_departure_procedures": _("Aantal eerdere vertrekprocedures; leeg: onbekend.")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        locations = policy.editable_locations(user)
        self.fields["location"].queryset = locations
        self.fields["location"].empty_label = None if locations.count() == 1 else "---------"
        self.fields["assigned_ngo"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.NGO, service_links__location__in=locations
        ).distinct()
        self.fields["assigned_ngo"].empty_label = _("(nog) geen ngo")
        # Special case types only with the permission (cases.special_types; a new case has no grants).
        self.fields["case_types"].choices = special_types.choices(special=special_types.may_see_special(user, None))

    def clean_registered_on(self):
        day = self.cleaned_data["registered_on"]
        if day and day > timezone.localdate():
            raise ValidationError(services.DATE_IN_FUTURE)
        return day

    # The form's one-time key (a UUID as text): a second submit finds the first case.
    intake_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=36)

    def clean_intake_key(self):
        try:
            return uuid.UUID(self.cleaned_data.get("intake_key") or "")
        except ValueError:
            return None

    def case_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields if name != "location"}


class CaseEditForm(VersionedFormMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Case
        fields = ["assigned_ngo", "external_id", "health_notes"]
        widgets = {"health_notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, show_special_category: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assigned_ngo"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.NGO, service_links__location=self.instance.location
        )
        self.fields["assigned_ngo"].empty_label = _("(nog) geen ngo")
        if not show_special_category:
            del self.fields["health_notes"]


class PersonEditForm(VersionedFormMixin, PersonForm):
    pass


# --- The trajectory's steps: one form per step, each posting to its own URL --------------


def _notes(label=None):
    return forms.CharField(label=label or _("Toelichting"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


def step_html_id(name: str, key: str = "") -> str:
    """The id of a step's part of the case page (links to ``#step-...`` open it)."""
    return f"step-{name}{'-' + key if key else ''}"


class StepForm(StyledFormMixin, forms.Form):
    """A step on a case: the date of the fact, the version the user saw, the step's fields.

    ``service`` is the function in ``cases.services`` that takes the step; ``service_kwargs``
    turns the cleaned data into its arguments. ``error_fields`` maps a service's field
    names onto the form's where they differ.
    """

    step_name: str = ""
    error_fields: dict[str, str] = {}
    date_label = _("Datum")

    on = forms.DateField(label=_("Datum"), widget=forms.DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, case: Case, user, key: str = "", initial=None, **kwargs):
        self.case = case
        self.user = user
        self.key = key
        initial = {"version": case.version, "on": timezone.localdate(), **(initial or {})}
        auto_id = f"id_{self.step_name}{'_' + key if key else ''}_%s"
        super().__init__(data, initial=initial, auto_id=auto_id, **kwargs)
        self.fields["on"].label = self.date_label
        self.fields["on"] = self.fields.pop("on")  # the date comes last, above the button

    @property
    def html_id(self) -> str:
        return step_html_id(self.step_name, self.key)

    def full_clean(self):
        super().full_clean()
        for name in [n for n in self._errors if n in self.fields and self.fields[n].widget.is_hidden]:
            # A hidden field has no place to show its error: show it above the form.
            messages = self._errors.pop(name)
            self._errors.setdefault(NON_FIELD_ERRORS, self.error_class(error_class="nonfield")).extend(
                [VERSION_MISSING] if name == "version" else messages
            )

    def service_kwargs(self) -> dict:
        return {"on": self.cleaned_data["on"]}

    def run(self, *, acting_user, origin) -> Case:
        return self.service(
            acting_user=acting_user,
            origin=origin,
            case=self.case,
            expected_version=self.cleaned_data["version"],
            **self.service_kwargs(),
        )

    def add_service_errors(self, exc: ValidationError) -> None:
        """Put a service's validation errors on the fields that have them; keep the input."""
        errors = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
        for field, messages in errors.items():
            field = self.error_fields.get(field, field)
            visible = field in self.fields and not self.fields[field].widget.is_hidden
            for message in messages:
                self.add_error(field if visible else None, message)
            if visible:
                widget = self.fields[field].widget
                widget.attrs["aria-invalid"] = "true"


class AdmissionCheckForm(StepForm):
    step_name = "record_admission_check"
    date_label = _("Datum toets")
    service = staticmethod(services.record_admission_check)

    entry_ban = forms.BooleanField(required=False)
    declared_undesirable = forms.BooleanField(required=False)
    eu_citizen = forms.BooleanField(required=False)
    dublin_claimant = forms.BooleanField(required=False)
    prior_provision = forms.BooleanField(required=False)
    regional_ties = forms.BooleanField(required=False)
    shown_willingness = forms.BooleanField(required=False)
    notes = _notes()

    template_name = "cases/includes/admission_check_form.html"
    LOCAL_FIELDS = ("regional_ties", "shown_willingness")
    LOCAL_REQUIRED = _("Vereist in %(location)s: zonder dit valt de persoon buiten de doelgroep.")
    LOCAL_OPTIONAL = _("Niet vereist in %(location)s; wel vastleggen wat bekend is.")
    REQUIRED_SUFFIX = _("%(label)s (vereist in deze LVV)")

    def __init__(self, *args, case: Case, **kwargs):
        existing = getattr(case, "admission_check", None) if _has_admission_check(case) else None
        initial = {}
        if existing is not None:
            initial = {name: getattr(existing, name) for name in services.ADMISSION_FIELDS}
            initial["notes"] = existing.notes
        super().__init__(*args, case=case, initial=initial, **kwargs)
        location = case.location
        for name in services.ADMISSION_FIELDS:
            self.fields[name].label = AdmissionCheck._meta.get_field(name).verbose_name
        for name, required in (
            ("regional_ties", location.requires_regional_ties),
            ("shown_willingness", location.requires_shown_willingness),
        ):
            field = self.fields[name]
            if required:
                field.label = self.REQUIRED_SUFFIX % {"label": field.label}
                field.help_text = self.LOCAL_REQUIRED % {"location": location.name}
            else:
                field.help_text = self.LOCAL_OPTIONAL % {"location": location.name}
        self.order_fields([*services.ADMISSION_FIELDS, "notes", "on", "version"])

    @property
    def exclusion_fields(self):
        return [self[name] for name in AdmissionCheck.EXCLUSIONS]

    @property
    def local_fields(self):
        return [self[name] for name in self.LOCAL_FIELDS]

    @property
    def other_fields(self):
        return [self["notes"], self["on"]]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "on": data["on"],
            "notes": data["notes"],
            **{name: data[name] for name in services.ADMISSION_FIELDS},
        }


def _has_admission_check(case: Case) -> bool:
    try:
        case.admission_check  # noqa: B018 -- a reverse one-to-one raises when absent
    except AdmissionCheck.DoesNotExist:
        return False
    return True


class AdmitForm(StepForm):
    step_name = "admit"
    date_label = _("Datum toelating")
    service = staticmethod(services.admit)

    exception = forms.ChoiceField(
        label=_("Uitzondering"),
        required=False,
        choices=[("", _("geen uitzondering: voldoet aan de criteria")), *ExceptionGround.choices],
        help_text=_("Alleen bij toelating buiten de criteria; de casus telt dan niet mee in de landelijke cijfers."),
    )
    exception_reason = _notes(_("Reden van de uitzondering"))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"on": data["on"], "exception": data["exception"], "exception_reason": data["exception_reason"]}


class RejectForm(StepForm):
    step_name = "reject"
    date_label = _("Datum afwijzing")
    service = staticmethod(services.reject)

    reason = forms.CharField(label=_("Reden van de afwijzing"), widget=forms.Textarea(attrs={"rows": 3}))

    def service_kwargs(self) -> dict:
        return {"on": self.cleaned_data["on"], "reason": self.cleaned_data["reason"]}


class WaitlistForm(StepForm):
    step_name = "waitlist"
    date_label = _("Op de wachtlijst sinds")
    service = staticmethod(services.waitlist)


class StartShelterForm(StepForm):
    step_name = "start_shelter"
    date_label = _("Start van de opvang")
    error_fields = {"form": "shelter_form"}
    service = staticmethod(services.start_shelter)

    shelter_form = forms.ChoiceField(
        label=_("Vorm van opvang"), choices=ShelterForm.choices, initial=ShelterForm.FULL_DAY
    )
    skip_reason = forms.CharField(
        label=_("Reden om eerder een plek te bieden"),
        required=False,
        max_length=1000,
        help_text=_("Alleen nodig als anderen langer op de wachtlijst staan."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"on": data["on"], "form": data["shelter_form"], "skip_reason": data["skip_reason"]}


class RequestDossierForm(StepForm):
    step_name = "request_dossier"
    date_label = _("Opgevraagd op")
    service = staticmethod(services.request_dossier)


# Case documents: the file that may come with a dossier part, and the form of the case page.
from cases.documents import ACCEPT, TYPE_NAMES, max_bytes  # noqa: E402
from cases.models import DocumentKind  # noqa: E402
from lvv.text import NAME_MAX  # noqa: E402


class DeliverDossierForm(StepForm):
    """The delivery of a dossier part, optionally with its file (a document of the case,
    ``services.deliver_dossier_part``). The confidentiality is offered only to users who
    may see special-category data of the case."""

    date_label = _("Geleverd op")
    service = staticmethod(services.deliver_dossier_part)
    kind: str = ""

    file = forms.FileField(
        label=_("Bestand (niet verplicht)"),
        required=False,
        allow_empty_file=True,  # the service says why an empty file is refused
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    title = forms.CharField(
        label=_("Titel van het bestand"),
        required=False,
        max_length=NAME_MAX,
        help_text=_("Leeg: het deel van het dossier en de datum van levering."),
    )
    confidentiality = confidentiality_field(_("Vertrouwelijkheid van het bestand"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = document_help_text()
        if not policy.can_view_special_category(self.user, self.case):
            del self.fields["confidentiality"]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "on": data["on"],
            "kind": self.kind,
            "file": data.get("file") or None,
            "title": data.get("title", ""),
            "confidentiality": chosen_confidentiality(data),
        }


class DeliverDossierIndForm(DeliverDossierForm):
    step_name = "deliver_dossier_ind"
    kind = DossierPartKind.IND


class DeliverDossierDtvForm(DeliverDossierForm):
    step_name = "deliver_dossier_dtv"
    kind = DossierPartKind.DTV


class ScenarioForm(StepForm):
    step_name = "set_scenario"
    date_label = _("Vastgesteld op")
    service = staticmethod(services.set_scenario)

    direction = forms.ChoiceField(label=_("Richting"), choices=Direction.choices, widget=forms.RadioSelect)
    route = forms.ChoiceField(label=_("Route"), required=False, choices=[("", _("(nog) geen route")), *Route.choices])
    notes = _notes()

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"on": data["on"], "direction": data["direction"], "route": data["route"], "notes": data["notes"]}


class CooperationCheckForm(StepForm):
    step_name = "record_cooperation_check"
    date_label = _("Getoetst op")
    service = staticmethod(services.record_cooperation_check)

    result = forms.ChoiceField(label=_("Uitkomst"), choices=CooperationResult.choices, widget=forms.RadioSelect)
    notes = _notes()

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"on": data["on"], "result": data["result"], "notes": data["notes"]}


class CaseTypesForm(StepForm):
    step_name = "set_case_types"
    date_label = _("Vastgelegd op")
    service = staticmethod(services.set_case_types)

    case_types = forms.MultipleChoiceField(
        label=_("Casustypen"), required=False, choices=CaseType.choices, widget=forms.CheckboxSelectMultiple
    )
    prior_departure_procedures = forms.IntegerField(
        label=_("Eerdere vertrekprocedures"),
        required=False,
        min_value=0,
        help_text=_("Leeg: onbekend."),
    )

    def __init__(self, *args, case: Case, **kwargs):
        # Special case types only for users who may see them (cases.special_types); for the
        # others the ones set stay hidden and are kept when they save (services.set_case_types).
        special = special_types.may_see_special(kwargs.get("user"), case)
        initial = {
            "case_types": special_types.case_types_for(kwargs.get("user"), case, special=special),
            "prior_departure_procedures": case.prior_departure_procedures,
        }
        super().__init__(*args, case=case, initial=initial, **kwargs)
        self.fields["case_types"].choices = special_types.choices(special=special)
        if not special:
            self.fields["case_types"].help_text = special_types.KEPT_HELP

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "on": data["on"],
            "case_types": data["case_types"],
            "prior_departure_procedures": data["prior_departure_procedures"],
        }


class DeadlineForm(StepForm):
    """Pause or resume one deadline (``key`` is its kind)."""

    kind = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args, key: str = "", **kwargs):
        super().__init__(*args, key=key, initial={"kind": key}, **kwargs)


class PauseDeadlineForm(DeadlineForm):
    step_name = "pause_deadline"
    date_label = _("Gepauzeerd vanaf")
    service = staticmethod(services.pause_deadline)

    reason = forms.CharField(label=_("Reden van de pauze"), max_length=300)

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"on": data["on"], "kind": data["kind"], "reason": data["reason"]}


class ResumeDeadlineForm(DeadlineForm):
    step_name = "resume_deadline"
    date_label = _("Hervat op")
    service = staticmethod(services.resume_deadline)

    def service_kwargs(self) -> dict:
        return {"on": self.cleaned_data["on"], "kind": self.cleaned_data["kind"]}


def _optional_date(label):
    return forms.DateField(label=label, required=False, widget=forms.DateInput())


class OutflowForm(StepForm):
    step_name = "record_outflow"
    date_label = _("Datum uitstroom")
    service = staticmethod(services.record_outflow)
    field_order = ["category", "country", "termination_basis", "warned_on", "heard_on", "termination_decided_on"]

    category = forms.ChoiceField(label=_("Categorie"), choices=[("", "---------"), *OutflowCategory.choices])
    termination_basis = forms.ChoiceField(
        label=_("Grond (bij gedwongen beëindiging)"),
        required=False,
        choices=[("", _("(de vastgelegde grond)")), *TerminationBasis.choices],
    )
    warned_on = _optional_date(_("Waarschuwing gegeven op (bij gedwongen beëindiging)"))
    heard_on = _optional_date(_("Hoorgesprek op (bij gedwongen beëindiging)"))
    termination_decided_on = _optional_date(_("Besluit tot beëindiging op (bij gedwongen beëindiging)"))
    notes = _notes()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        country = Outflow._meta.get_field("country").formfield(required=False)
        country.help_text = _("Verplicht bij vertrek (naar het land van herkomst of doormigratie).")
        country.widget.attrs["class"] = "utrecht-select utrecht-select--html-select"
        self.fields["country"] = country
        self.order_fields([*self.field_order, "notes", "reason", "on", "version"])

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"on": data["on"], "category": data["category"], "country": data["country"]}
        if data["category"] == OutflowCategory.FORCED_TERMINATION:
            kwargs.update({name: data[name] for name in services.TERMINATION_FIELDS})
        if "notes" in self.fields:
            kwargs["notes"] = data["notes"]
        return kwargs


class CorrectOutflowForm(OutflowForm):
    """The case manager corrects the outflow (category, date, country), with a reason."""

    step_name = "correct_outflow"
    date_label = _("Datum uitstroom (gecorrigeerd)")
    service = staticmethod(services.correct_outflow)

    reason = forms.CharField(
        label=_("Reden van de correctie"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, case: Case, **kwargs):
        outflow = case.outflow
        initial = {
            "category": outflow.category,
            "country": outflow.country.code or "",
            "on": outflow.outflow_on,
            **{name: getattr(outflow, name) for name in services.TERMINATION_FIELDS},
            **(kwargs.pop("initial", None) or {}),
        }
        super().__init__(*args, case=case, initial=initial, **kwargs)
        del self.fields["notes"]

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "reason": self.cleaned_data["reason"]}


class DisputeOutflowForm(StepForm):
    step_name = "dispute_outflow"
    date_label = _("Betwist op")
    service = staticmethod(services.dispute_outflow)

    reason = forms.CharField(
        label=_("Waarom klopt deze uitstroom niet?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_kwargs(self) -> dict:
        return {"on": self.cleaned_data["on"], "reason": self.cleaned_data["reason"]}


class ConfirmOutflowForm(StepForm):
    step_name = "confirm_outflow"
    date_label = _("Bevestigd op")
    service = staticmethod(services.confirm_outflow)


STEP_FORMS: dict[str, type[StepForm]] = {
    form.step_name: form
    for form in (
        AdmissionCheckForm,
        AdmitForm,
        RejectForm,
        WaitlistForm,
        StartShelterForm,
        RequestDossierForm,
        DeliverDossierIndForm,
        DeliverDossierDtvForm,
        ScenarioForm,
        CooperationCheckForm,
        CaseTypesForm,
        PauseDeadlineForm,
        ResumeDeadlineForm,
        OutflowForm,
        ConfirmOutflowForm,
        DisputeOutflowForm,
        CorrectOutflowForm,
    )
}


# --- Case documents --------------------------------------------------------------------------

DOCUMENT_ADDED = _("Het document is toegevoegd.")
# The kinds a user chooses; the dossier parts come with their delivery (the step's form).
UPLOAD_KINDS = [
    (value, label)
    for value, label in DocumentKind.choices
    if value not in (DocumentKind.DOSSIER_IND, DocumentKind.DOSSIER_DTV)
]


def document_help_text() -> str:
    from django.template.defaultfilters import filesizeformat

    return str(
        _("%(types)s; ten hoogste %(max)s. Het soort bestand wordt herkend aan de inhoud.")
        % {"types": TYPE_NAMES, "max": filesizeformat(max_bytes())}
    )


class DocumentForm(StyledFormMixin, forms.Form):
    """A document for the case file (``services.add_document``). The confidentiality is
    offered only to users who may see special-category data of the case; for others it is
    normal."""

    file = forms.FileField(
        label=_("Bestand"),
        allow_empty_file=True,  # the service says why an empty file is refused
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    title = forms.CharField(label=_("Titel"), max_length=NAME_MAX)
    kind = forms.ChoiceField(label=_("Soort"), choices=[("", "---------"), *UPLOAD_KINDS])
    confidentiality = confidentiality_field()

    def __init__(self, *args, special: bool, **kwargs):
        kwargs.setdefault("auto_id", "id_document_%s")
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = document_help_text()
        if not special:
            del self.fields["confidentiality"]

    def document_fields(self) -> dict:
        return {
            "file": self.cleaned_data["file"],
            "title": self.cleaned_data["title"],
            "kind": self.cleaned_data["kind"],
            "confidentiality": chosen_confidentiality(self.cleaned_data),
        }


# --- The case journal (notes) ---------------------------------------------------------------

NOTE_ADDED = _("De notitie is vastgelegd.")
NOTE_CORRECTION_ADDED = _("De correctie is vastgelegd.")


class NoteForm(StyledFormMixin, forms.Form):
    """A note for the case journal (``services.add_note``). The confidentiality is offered
    only to users who may see special-category data of the case; for others it is normal."""

    written_on = forms.DateField(label=_("Datum"), widget=forms.DateInput(), initial=timezone.localdate)
    kind = forms.ChoiceField(label=_("Soort"), choices=[("", "---------"), *NoteKind.choices])
    text = forms.CharField(
        label=_("Notitie"), max_length=NOTE_TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 6})
    )
    confidentiality = confidentiality_field()

    def __init__(self, *args, special: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not special:
            del self.fields["confidentiality"]

    def clean_written_on(self):
        day = self.cleaned_data["written_on"]
        if day and day > timezone.localdate():
            raise ValidationError(services.DATE_IN_FUTURE)
        return day

    def note_fields(self) -> dict:
        return {
            "written_on": self.cleaned_data["written_on"],
            "kind": self.cleaned_data["kind"],
            "text": self.cleaned_data["text"],
            "confidentiality": chosen_confidentiality(self.cleaned_data),
        }


# --- Case owners: hand over the case manager or the NGO guide ------------------------------

HANDED_OVER = _("De casus is overgedragen: %(name)s is nu de %(role)s.")
HAND_OVER_TITLES = {
    OwnerRole.CASE_MANAGER: _("Casusregisseur overdragen"),
    OwnerRole.NGO_GUIDE: _("Begeleider ngo overdragen"),
}
HAND_OVER_REASON_HELP = _("Verplicht als de casus al een casusregisseur of begeleider had. Ten hoogste 1000 tekens.")


def owner_label(user) -> str:
    name = user.get_full_name() or user.get_username()
    return f"{name} ({user.organisation.name})" if user.organisation_id else name


class HandOverForm(StyledFormMixin, forms.Form):
    """Hand one owner role of a case over (``services.hand_over``). The list offers the
    eligible colleagues (``selectors.eligible_owners``) but the current owner; the service
    decides, so a crafted value gets the service's message."""

    to_user = forms.IntegerField(
        label=_("Overdragen aan"),
        min_value=1,
        max_value=2**63 - 1,
        widget=forms.Select,
        error_messages={"required": services.OWNER_REQUIRED, "invalid": services.OWNER_REQUIRED},
    )
    reason = forms.CharField(
        label=_("Reden"),
        required=False,
        max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=HAND_OVER_REASON_HELP,
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)

    def __init__(self, data=None, *, case: Case, role: str, **kwargs):
        self.case = case
        self.role = role
        initial = {"version": case.version, **kwargs.pop("initial", {})}
        super().__init__(data, initial=initial, auto_id=f"id_hand_over_{role}_%s", **kwargs)
        self.set_choices([])

    @property
    def title(self) -> str:
        return str(HAND_OVER_TITLES[self.role])

    @property
    def html_id(self) -> str:
        return f"hand-over-{self.role}"

    def set_choices(self, users) -> None:
        """The colleagues to choose from: the eligible users but the current owner."""
        current = getattr(self.case, f"{self.role}_id", None)
        options = [(user.pk, owner_label(user)) for user in users if user.pk != current]
        self.fields["to_user"].widget.choices = [("", _("Kies een collega")), *options]
        self.has_choices = bool(options)

    def full_clean(self):
        super().full_clean()
        if "version" in self._errors:  # a hidden field: its error shows above the form
            self._errors.pop("version")
            self.add_error(None, VERSION_MISSING)
