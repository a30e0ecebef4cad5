"""Forms of the procedures pages: the fields the services take, with Dutch labels and
errors. The services check again (the import and the API call them too); their field
errors land on the same fields (``add_service_errors``)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lvv.forms import VERSION_MISSING, ServiceErrorsMixin, StyledFormMixin
from lvv.text import SHORT_TEXT_MAX, TEXT_MAX
from procedures.models import (
    SPECIAL_KINDS,
    ApplicationKind,
    DeparturePartner,
    DepartureStepKind,
    DepartureSupport,
    Outcome,
    SubmittedBy,
)

WEEKS_MAX = 52


CHOOSE = _("Kies…")


def _choices(choices, empty=CHOOSE):
    return [("", empty), *choices]


class _Form(ServiceErrorsMixin, StyledFormMixin, forms.Form):
    def full_clean(self):
        super().full_clean()
        for name in [n for n in self._errors if n in self.fields and self.fields[n].widget.is_hidden]:
            self._errors.pop(name)
            self.add_error(None, VERSION_MISSING)


class ApplicationForm(_Form):
    kind = forms.ChoiceField(label=_("Soort aanvraag"), choices=_choices(ApplicationKind.choices))
    submitted_on = forms.DateField(label=_("Ingediend op"), widget=forms.DateInput())
    submitted_by = forms.ChoiceField(
        label=_("Ingediend door"), required=False, choices=_choices(SubmittedBy.choices, _("onbekend"))
    )
    notes = forms.CharField(
        label=_("Toelichting"), required=False, max_length=TEXT_MAX, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, special: bool = True, **kwargs):
        kwargs.setdefault("initial", {"submitted_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        if not special:  # an application on medical grounds is special-category data
            self.fields["kind"].choices = [c for c in self.fields["kind"].choices if c[0] not in SPECIAL_KINDS]


class DecisionForm(_Form):
    outcome = forms.ChoiceField(label=_("Uitkomst"), choices=Outcome.choices, widget=forms.RadioSelect)
    decided_on = forms.DateField(label=_("Besluit op"), widget=forms.DateInput())
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, application, **kwargs):
        kwargs.setdefault("initial", {"decided_on": timezone.localdate(), "version": application.version})
        super().__init__(*args, **kwargs)


class DepartureStepForm(_Form):
    kind = forms.ChoiceField(label=_("Stap"), choices=_choices(DepartureStepKind.choices))
    on = forms.DateField(label=_("Datum"), widget=forms.DateInput())
    partner = forms.ChoiceField(
        label=_("Uitgevoerd door"),
        choices=DeparturePartner.choices,
        initial=DeparturePartner.DTV,
        help_text=_("Een stap met ondersteuning van de IOM legt de DT&V vast."),
    )
    details = forms.CharField(
        label=_("Hoe, of met welk resultaat"),
        required=False,
        max_length=SHORT_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Bijvoorbeeld: met een paspoort; de ambassade erkent de persoon als onderdaan."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"on": timezone.localdate(), "partner": DeparturePartner.DTV})
        super().__init__(*args, **kwargs)


class DeparturePlanForm(_Form):
    planned_on = forms.DateField(label=_("Vertrekdatum"), widget=forms.DateInput())
    support = forms.ChoiceField(label=_("Ondersteuning"), choices=_choices(DepartureSupport.choices))
    made_on = forms.DateField(label=_("Gepland op"), widget=forms.DateInput())
    notes = forms.CharField(
        label=_("Toelichting"), required=False, max_length=SHORT_TEXT_MAX, widget=forms.Textarea(attrs={"rows": 2})
    )
    replaces = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, current=None, **kwargs):
        kwargs.setdefault("initial", {"made_on": timezone.localdate(), "replaces": current.pk if current else None})
        super().__init__(*args, **kwargs)


class DeparturesFilterForm(StyledFormMixin, forms.Form):
    weeks = forms.IntegerField(
        label=_("Aantal weken vooruit"), min_value=1, max_value=WEEKS_MAX, required=False, initial=6
    )
