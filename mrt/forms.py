"""Forms of the MRT pages; ``mrt.services`` decides."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Direction, Route
from lso import confidential
from lso.confidential import SpecialMarkMixin
from lvv.forms import ServiceErrorsMixin, StyledFormMixin, VersionMixin

POSITION_SAVED = _("Het standpunt van uw organisatie is opgeslagen.")
TASK_DONE = _("De taak is afgerond.")
SESSION_CREATED = _("De MRT-sessie is gepland.")
ADVICE_SAVED = _("Het advies is vastgelegd; het gaat naar de volgende LSO-agenda.")
SCHEDULED = _("De voorlegging is ingepland.")


class PositionForm(ServiceErrorsMixin, StyledFormMixin, forms.Form):
    text = forms.CharField(
        label=_("Standpunt van uw organisatie"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=confidential.POSITION_HELP,
    )


class SessionForm(ServiceErrorsMixin, StyledFormMixin, forms.Form):
    date = forms.DateField(label=_("Datum van de sessie"), widget=forms.DateInput())
    place = forms.CharField(label=_("Plaats"), required=False, max_length=200)


class AdviceForm(SpecialMarkMixin, VersionMixin, ServiceErrorsMixin, StyledFormMixin, forms.Form):
    """The MRT's advice; ``special`` marks the reasoning (``SpecialMarkMixin``)."""

    direction = forms.ChoiceField(
        label=_("Geadviseerde richting"), required=False, choices=[("", "---------"), *Direction.choices]
    )
    route = forms.ChoiceField(
        label=_("Geadviseerde route"), required=False, choices=[("", "---------"), *Route.choices]
    )
    no_durable_solution_possible = forms.BooleanField(label=_("Geen bestendige oplossing mogelijk"), required=False)
    reasoning = forms.CharField(label=_("Onderbouwing"), widget=forms.Textarea(attrs={"rows": 4}))
    due_on = forms.DateField(
        label=_("Uiterlijk besproken in het LSO op"),
        required=False,
        widget=forms.DateInput(),
        help_text=_("Leeg: vier weken na vandaag."),
    )
