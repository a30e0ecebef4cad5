"""Factories with deterministic values (sequences, no randomness)."""

from __future__ import annotations

import datetime

import factory

from cases.models import Case, Person
from lvv.accounts.models import Role, User
from lvv.partners.models import Location, LocationCapacity, Organisation, OrganisationKind, ServiceLink


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Organisatie {n}")
    kind = OrganisationKind.MUNICIPALITY


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("slug",)
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"lvv-{n}")
    name = factory.LazyAttribute(lambda o: f"LVV {o.slug.title()}")
    municipality = factory.SubFactory(
        OrganisationFactory, name=factory.LazyAttribute(lambda o: f"Gemeente {o.factory_parent.slug.title()}")
    )

    @factory.post_generation
    def places(self, create, extracted, **kwargs):
        if create:
            LocationCapacity.objects.get_or_create(
                location=self, effective_from=datetime.date(2019, 4, 1), defaults={"places": extracted or 100}
            )


class ServiceLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceLink
        django_get_or_create = ("organisation", "location")

    organisation = factory.SubFactory(OrganisationFactory, kind=OrganisationKind.NGO)
    location = factory.SubFactory(LocationFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@lvv.example")
    organisation = None
    roles = factory.LazyFunction(list)
    password = factory.PostGenerationMethodCall("set_password", "geheim-wachtwoord-1")

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    v_number = factory.Sequence(lambda n: f"{1000000000 + n:010d}")
    family_name = factory.Sequence(lambda n: f"Achternaam{n}")
    given_names = factory.Sequence(lambda n: f"Voornaam{n}")
    birth_date = datetime.date(1985, 6, 15)
    sex = "m"
    nationality = "ER"


class CaseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Case

    person = factory.SubFactory(PersonFactory)
    location = factory.SubFactory(LocationFactory)
    external_id = factory.Sequence(lambda n: f"EXT-{n:05d}")
    assigned_ngo = None


__all__ = [
    "Role",
    "OrganisationFactory",
    "LocationFactory",
    "ServiceLinkFactory",
    "UserFactory",
    "PersonFactory",
    "CaseFactory",
]
