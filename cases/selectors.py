"""Reads of persons and cases, always scoped by the access policy."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from cases.models import Case, Person
from lvv.forms import StyledFormMixin
from lvv.partners.models import Location, Organisation, OrganisationKind, locations_of


def visible_cases(user) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related("person", "location", "assigned_ngo")


def visible_persons(user) -> QuerySet[Person]:
    return Person.objects.visible_to(user)


def get_visible_case(user, pk) -> Case:
    """The case, or ``Case.DoesNotExist`` when it does not exist for this user."""
    return visible_cases(user).get(pk=pk)


def user_locations(user) -> QuerySet[Location]:
    return locations_of(getattr(user, "organisation", None))


class FilterForm(StyledFormMixin, forms.Form):
    pass


class CaseFilter(django_filters.FilterSet):
    """The filters of the case list, shared by the page and the API."""

    q = django_filters.CharFilter(label=_("Zoeken"), method="filter_search")
    location = django_filters.ModelChoiceFilter(
        label=_("LVV"),
        field_name="location",
        to_field_name="slug",
        queryset=Location.objects.none(),
        empty_label=_("Alle LVV's"),
    )
    assigned_ngo = django_filters.ModelChoiceFilter(
        label=_("Ngo"),
        field_name="assigned_ngo",
        queryset=Organisation.objects.none(),
        empty_label=_("Alle ngo's"),
    )

    class Meta:
        model = Case
        fields = ["q", "location", "assigned_ngo"]
        form = FilterForm

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        user = getattr(request, "user", None)
        locations = user_locations(user)
        self.filters["location"].queryset = locations
        self.filters["assigned_ngo"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.NGO, service_links__location__in=locations
        ).distinct()

    def filter_search(self, queryset, name, value):
        """Name (accent-insensitive, typo-tolerant), V-number or external id."""
        value = value.strip()
        if not value:
            return queryset
        persons = Person.objects.search(value).values("pk")
        return queryset.filter(Q(person__in=persons) | Q(external_id__iexact=value))
