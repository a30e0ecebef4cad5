from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import V_NUMBER_INVALID, Case, Person
from lvv.access import policy
from lvv.forms import StyledFormMixin
from lvv.partners.models import Organisation, OrganisationKind


class PersonForm(StyledFormMixin, forms.ModelForm):
    class Meta:
        model = Person
        fields = ["v_number", "family_name", "given_names", "birth_date", "sex", "nationality"]
        widgets = {"birth_date": forms.DateInput(), "v_number": forms.TextInput(attrs={"inputmode": "numeric"})}
        error_messages = {"v_number": {"max_length": V_NUMBER_INVALID}}


class VersionedFormMixin:
    """A hidden ``version`` field: the version the user's edit is based on."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(widget=forms.HiddenInput)


class NewCaseForm(StyledFormMixin, forms.ModelForm):
    """The case part of the intake form; the LVV is limited to the user's own."""

    class Meta:
        model = Case
        fields = ["location", "assigned_ngo", "external_id"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        locations = policy.editable_locations(user)
        self.fields["location"].queryset = locations
        self.fields["location"].empty_label = None if locations.count() == 1 else "---------"
        self.fields["assigned_ngo"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.NGO, service_links__location__in=locations
        ).distinct()
        self.fields["assigned_ngo"].empty_label = _("(nog) geen ngo")


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
