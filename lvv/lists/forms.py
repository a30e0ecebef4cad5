"""The form that saves the current filters of a list under a name."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from lvv.forms import StyledFormMixin
from lvv.lists.models import LIST_NAME_MAX, NAME_MAX, QUERY_MAX

NAME_REQUIRED = _("Geef het filter een naam.")


class SavedFilterForm(StyledFormMixin, forms.Form):
    prefix = "savedfilter"

    name = forms.CharField(
        label=_("Naam van het filter"),
        max_length=NAME_MAX,
        error_messages={"required": NAME_REQUIRED},
        help_text=_("Bewaart de filters en de sortering van deze lijst, alleen voor u. Zoektekst wordt niet bewaard."),
    )
    list_name = forms.CharField(max_length=LIST_NAME_MAX, widget=forms.HiddenInput)
    # The filters as the list sent them; a longer text than a saved filter takes is refused
    # by the service with its own message, so the field reads more than that.
    querystring = forms.CharField(max_length=4 * QUERY_MAX, required=False, widget=forms.HiddenInput)
    next = forms.CharField(max_length=500, required=False, widget=forms.HiddenInput)

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(NAME_REQUIRED)
        return name
