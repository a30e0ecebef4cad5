"""What the privacy officer reads: the access log of the municipality's LVVs.

A privacy officer (``Role.PRIVACY_OFFICER``, of a municipality) sees the rows about cases of
the LVVs the municipality runs, and every row of the users of the municipality itself; no
other row, and no case. Filters answer the two questions of the role: who saw this person
(``person``: a V-number or a person's record number) and what did this user see (``user``).
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lvv.accounts.models import Role
from lvv.audit.models import AccessAction, AccessLogEntry
from lvv.forms import StyledFormMixin
from lvv.partners.models import Location, Organisation, locations_of


class LogFilterForm(StyledFormMixin, forms.Form):
    pass


PERSON_HELP = _("V-nummer (10 cijfers) of registratienummer van de persoon.")


def is_privacy_officer(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.organisation_id is not None
        and user.has_role(Role.PRIVACY_OFFICER)
    )


def officer_locations(user) -> QuerySet[Location]:
    return locations_of(user.organisation) if is_privacy_officer(user) else Location.objects.none()


def _cases_in(locations) -> QuerySet:
    from cases.models import Case

    return Case.objects.filter(location__in=locations).values("pk")


def officer_log(user) -> QuerySet[AccessLogEntry]:
    """The rows the officer may read (none for anyone else)."""
    if not is_privacy_officer(user):
        return AccessLogEntry.objects.none()
    return AccessLogEntry.objects.filter(
        Q(about_case__in=_cases_in(officer_locations(user))) | Q(actor_organisation=user.organisation_id)
    )


def _day_start(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


class OfficerLogFilter(django_filters.FilterSet):
    person = django_filters.CharFilter(label=_("Persoon"), method="filter_person", max_length=20, help_text=PERSON_HELP)
    user = django_filters.CharFilter(
        label=_("Gebruiker"), field_name="actor_username", lookup_expr="iexact", max_length=150
    )
    date_from = django_filters.DateFilter(
        label=_("Vanaf"), method="filter_from", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("Tot en met"), method="filter_to", widget=forms.DateInput(attrs={"type": "date"})
    )
    location = django_filters.ModelChoiceFilter(
        label=_("LVV"),
        queryset=Location.objects.none(),
        to_field_name="slug",
        method="filter_location",
        empty_label=_("Alle LVV's"),
    )
    organisation = django_filters.ModelChoiceFilter(
        label=_("Organisatie"),
        queryset=Organisation.objects.none(),
        field_name="actor_organisation",
        empty_label=_("Alle organisaties"),
    )
    action = django_filters.ChoiceFilter(label=_("Actie"), choices=AccessAction.choices, empty_label=_("Alle acties"))

    class Meta:
        model = AccessLogEntry
        fields = ["person", "user", "date_from", "date_to", "location", "organisation", "action"]
        form = LogFilterForm

    def __init__(self, data=None, *args, request=None, **kwargs):
        super().__init__(data, *args, request=request, **kwargs)
        self.officer = request.user
        locations = officer_locations(self.officer)
        self.filters["location"].queryset = locations
        self.filters["organisation"].queryset = (
            Organisation.objects.filter(Q(service_links__location__in=locations) | Q(own_locations__in=locations))
            .distinct()
            .order_by("name")
        )

    def filter_person(self, queryset, name, value):
        from cases.models import Case, Person

        value = value.strip()
        if not value.isascii() or not value.isdigit():
            return queryset.none()
        persons = Person.objects.filter(Q(v_number=value) | Q(pk=int(value)) if len(value) < 10 else Q(v_number=value))
        cases = Case.objects.filter(person__in=persons, location__in=officer_locations(self.officer)).values("pk")
        visible_persons = persons.filter(cases__location__in=officer_locations(self.officer)).values("pk")
        person_ids = visible_persons.annotate(text=Cast("pk", output_field=CharField())).values("text")
        about_person = Q(object_type="cases.person") & Q(object_id__in=person_ids)
        return queryset.filter(Q(about_case__in=cases) | about_person)

    def filter_from(self, queryset, name, value):
        return queryset.filter(timestamp__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(timestamp__lt=_day_start(value + datetime.timedelta(days=1)))

    def filter_location(self, queryset, name, value):
        return queryset.filter(about_case__in=_cases_in([value]))
