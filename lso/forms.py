"""Forms of the LSO pages. They collect input; ``lso.services`` decides."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.models import Direction, Route
from lso.confidential import SpecialMarkMixin
from lso.models import Decision, EscalationReason, Meeting, ReviewNote
from lvv.forms import ServiceErrorsMixin, StyledFormMixin, VersionMixin, limit_length
from lvv.text import TEXT_MAX

# Messages shared by the pages and their tests.
MEETING_CREATED = _("De vergadering is aangemaakt.")
MEETING_SAVED = _("De vergadering is gewijzigd.")
ITEMS_ADDED = _("De casus is op de agenda gezet.")
ITEM_REMOVED = _("Het agendapunt is van de agenda gehaald.")
ITEM_SAVED = _("Het agendapunt is gewijzigd.")
ORDER_SAVED = _("De volgorde is gewijzigd.")
NOTE_SAVED = _("Uw voorbereiding is opgeslagen.")
PUBLISHED = _("De agenda is gepubliceerd; de leden hebben bericht gekregen.")
OUTCOME_SAVED = _("De uitkomst van het agendapunt is vastgelegd en op de casus toegepast.")
FINALISED = _("Het verslag is definitief.")
PACK_REQUESTED = _("Het agendapakket wordt gemaakt.")
REVIEW_SAVED = _("Uw beoordeling is vastgelegd.")
CASE_NOT_FOUND = _("Geen casus gevonden met dit kenmerk die op deze agenda kan.")
NOT_FOUND = _("Deze vergadering bestaat niet of u hebt er geen toegang toe.")
LOCATION_REQUIRED = _("Kies de LVV.")
ACTION_INCOMPLETE = _("Vul bij een actie de beschrijving, de eigenaar en de datum in.")

ACTION_ROWS = 3
YES_NO = [("yes", _("ja")), ("no", _("nee"))]


class MeetingForm(VersionMixin, ServiceErrorsMixin, StyledFormMixin, forms.ModelForm):
    online_link = forms.URLField(
        label=Meeting._meta.get_field("online_link").verbose_name, required=False, max_length=500, assume_scheme="https"
    )

    class Meta:
        model = Meeting
        fields = ["location", "date", "start_time", "place", "online_link"]
        widgets = {
            "date": forms.DateInput(),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {"place": _("Geef een plaats, een link voor de online vergadering, of beide.")}

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations
        self.fields["location"].error_messages["required"] = LOCATION_REQUIRED
        if self.instance.pk:
            del self.fields["location"]
        elif len(locations) == 1:
            self.fields["location"].empty_label = None

    def _post_clean(self):
        # The services validate the meeting (place or link, the LVV); the form only parses.
        pass


class SuggestionForm(VersionMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    case = forms.IntegerField(widget=forms.HiddenInput)


class ManualAddForm(VersionMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    case = forms.CharField(
        label=_("Casus (kenmerk)"),
        max_length=60,
        help_text=_("Het kenmerk, bijvoorbeeld LVV-123 of het externe kenmerk. Of zoek hieronder op naam."),
    )
    minutes_allotted = forms.IntegerField(label=_("Minuten"), min_value=1, max_value=240, initial=10, required=False)


class ItemTimeForm(VersionMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    minutes_allotted = forms.IntegerField(label=_("Minuten"), min_value=1, max_value=240)


class NoteForm(SpecialMarkMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    text = forms.CharField(label=_("Voorbereiding van uw organisatie"), widget=forms.Textarea(attrs={"rows": 3}))


class MeetingStepForm(VersionMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    """Publish, make final, ask for the pack: only the version."""


class OutcomeForm(VersionMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    """The minutes of one item. ``organisations``: the LVV's partners (loaded once per page)."""

    decision = forms.ChoiceField(label=_("Besluit"), choices=Decision.choices, widget=forms.RadioSelect)
    notes = forms.CharField(label=_("Verslag"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    direction = forms.ChoiceField(
        label=_("Richting (bij een scenario)"), required=False, choices=[("", "---------"), *Direction.choices]
    )
    route = forms.ChoiceField(label=_("Route"), required=False, choices=[("", "---------"), *Route.choices])
    escalation_reason = forms.ChoiceField(
        label=_("Reden voorleggen aan het MRT"),
        required=False,
        choices=[("", "---------"), *EscalationReason.choices],
    )
    escalation_question = forms.CharField(
        label=_("Vraag aan het MRT"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    agreed = forms.ChoiceField(
        label=_("Zijn de partners het eens?"), choices=YES_NO, initial="yes", widget=forms.RadioSelect
    )

    def __init__(self, *args, organisations, advice_pending=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(o.pk): o for o in organisations}
        self.advice_pending = advice_pending
        owner_choices = [("", "---------"), *((str(o.pk), o.name) for o in organisations)]
        for number in range(1, ACTION_ROWS + 1):
            self.fields[f"action_{number}_description"] = forms.CharField(
                label=_("Actie %(number)s") % {"number": number}, required=False, max_length=500
            )
            self.fields[f"action_{number}_owner"] = forms.ChoiceField(
                label=_("Eigenaar actie %(number)s") % {"number": number}, required=False, choices=owner_choices
            )
            self.fields[f"action_{number}_due_on"] = forms.DateField(
                label=_("Uiterlijk op (actie %(number)s)") % {"number": number},
                required=False,
                widget=forms.DateInput(),
            )
        for organisation in organisations:
            self.fields[f"position_{organisation.pk}"] = forms.CharField(
                label=_("Standpunt %(organisation)s (als zij het niet eens is)") % {"organisation": organisation.name},
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
        if advice_pending:
            self.fields["advice_followed"] = forms.ChoiceField(
                label=_("Volgt het LSO het MRT-advies?"), choices=YES_NO, widget=forms.RadioSelect
            )
            self.fields["advice_not_followed_reason"] = forms.CharField(
                label=_("Waarom niet?"), required=False, widget=forms.Textarea(attrs={"rows": 2})
            )
        # The StyledFormMixin ran before these fields existed.
        self._style_new_fields()

    def _style_new_fields(self):
        from lvv.forms import WIDGET_CLASSES

        for field in self.fields.values():
            widget = field.widget
            if isinstance(field, forms.CharField) and field.max_length is None:
                limit_length(field, TEXT_MAX)
            if "class" in widget.attrs:
                continue
            for widget_class, css in WIDGET_CLASSES.items():
                if isinstance(widget, widget_class):
                    if css:
                        widget.attrs["class"] = css
                    break
            if isinstance(widget, forms.DateInput):
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"

    # Progressive disclosure: each section of the template names the decisions it belongs to
    # (``data-show-for``); a small script hides the others. Without the script every
    # section shows, its heading saying which decision it belongs to.
    decision_labels = dict(Decision.choices)
    advice_decisions = " ".join(value for value in Decision.values if value != Decision.POSTPONE)

    def more_actions_open(self) -> bool:
        """The second and later action rows start open when they hold input or errors."""
        names = [f"action_{n}_{part}" for n in range(2, ACTION_ROWS + 1) for part in ("description", "owner", "due_on")]
        return any(self[name].errors or self[name].value() for name in names)

    def action_fields(self):
        return [
            (self[f"action_{n}_description"], self[f"action_{n}_owner"], self[f"action_{n}_due_on"])
            for n in range(1, ACTION_ROWS + 1)
        ]

    def position_fields(self):
        return [self[f"position_{pk}"] for pk in self.organisations]

    def clean(self):
        data = super().clean()
        actions = []
        for number in range(1, ACTION_ROWS + 1):
            description = (data.get(f"action_{number}_description") or "").strip()
            owner = data.get(f"action_{number}_owner") or ""
            due_on = data.get(f"action_{number}_due_on")
            if not (description or owner or due_on):
                continue
            if not (description and owner and due_on):
                self.add_error(f"action_{number}_description", ACTION_INCOMPLETE)
                continue
            actions.append(
                {
                    "description": description,
                    "owner_organisation": self.organisations.get(owner),
                    "owner_user": None,
                    "due_on": due_on,
                }
            )
        self.actions = actions
        self.positions = [
            {"organisation": organisation, "text": data.get(f"position_{pk}").strip()}
            for pk, organisation in self.organisations.items()
            if (data.get(f"position_{pk}") or "").strip()
        ]
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {
            "decision": data["decision"],
            "notes": data.get("notes") or "",
            "direction": data.get("direction") or "",
            "route": data.get("route") or "",
            "actions": self.actions,
            "escalation_reason": data.get("escalation_reason") or "",
            "escalation_question": data.get("escalation_question") or "",
            "agreed": data.get("agreed") != "no",
            "positions": self.positions,
            "expected_version": data.get("version"),
        }
        if self.advice_pending:
            followed = data.get("advice_followed")
            kwargs["advice_followed"] = None if not followed else followed == "yes"
            kwargs["advice_not_followed_reason"] = data.get("advice_not_followed_reason") or ""
        return kwargs

    def add_service_errors(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict") and "actions" in exc.error_dict:
            exc = ValidationError(
                {("action_1_description" if k == "actions" else k): v for k, v in exc.error_dict.items()}
            )
        if hasattr(exc, "error_dict") and "positions" in exc.error_dict:
            first = next(iter(self.organisations), None)
            key = f"position_{first}" if first else None
            exc = ValidationError({(key if k == "positions" and key else k): v for k, v in exc.error_dict.items()})
        super().add_service_errors(exc)


class ReviewNoteForm(SpecialMarkMixin, ServiceErrorsMixin, StyledFormMixin, forms.ModelForm):
    class Meta:
        model = ReviewNote
        fields = ["text", "flagged"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
