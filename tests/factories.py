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


CASE_TRAITS = {
    "admitted": "admitted",
    "sheltered": "sheltered",
    "dossier_complete": "dossier_complete",
    "with_scenario": "scenario",
}


class CaseFactory(factory.django.DjangoModelFactory):
    """A registered case. Traits bring it to a stage through the real services, so the
    records, timeline and deadlines are what a case worker's steps would produce:
    ``CaseFactory(sheltered=True)``, ``CaseFactory(dossier_complete=True)``,
    ``CaseFactory(with_outflow="departure_origin")``."""

    class Meta:
        model = Case
        skip_postgeneration_save = True

    person = factory.SubFactory(PersonFactory)
    location = factory.SubFactory(LocationFactory)
    external_id = factory.Sequence(lambda n: f"EXT-{n:05d}")
    assigned_ngo = None
    registered_on = datetime.date(2020, 1, 6)

    @classmethod
    def create(cls, **kwargs):
        for trait, stage in CASE_TRAITS.items():
            if kwargs.pop(trait, False):
                kwargs["stage"] = stage
        return super().create(**kwargs)

    @factory.post_generation
    def stage(self, create, extracted, **kwargs):
        if create and extracted:
            advance_case(self, extracted)
            self.refresh_from_db()

    @factory.post_generation
    def with_outflow(self, create, extracted, **kwargs):
        if create and extracted:
            advance_case(self, "outflow", outflow=extracted)
            self.refresh_from_db()


def advance_case(case: Case, stage: str, *, outflow: str | None = None) -> Case:
    """Walk a case through the trajectory with the services, one step a week."""
    from cases import services
    from lvv.access.policy import SYSTEM
    from lvv.audit.log import COMMAND

    day = case.registered_on
    week = datetime.timedelta(days=7)
    order = ["admitted", "sheltered", "dossier_complete", "scenario", "outflow"]
    target = order.index(stage)
    kw = {"acting_user": SYSTEM, "origin": COMMAND, "case": case}
    if case.state == "registered":
        case = services.admit(**kw, on=day, require_check=False, waitlist_when_full=False)
    if target >= 1 and case.shelter_started_on is None:
        case = services.start_shelter(**{**kw, "case": case}, on=day, enforce_capacity=False)
    if target >= 2 and not case.dossier_parts.exists():
        case = services.request_dossier(**{**kw, "case": case}, on=day)
        case = services.deliver_dossier_part(**{**kw, "case": case}, kind="IND", on=day + week)
        case = services.deliver_dossier_part(**{**kw, "case": case}, kind="DTV", on=day + 2 * week)
    if target >= 3 and not case.scenarios.exists():
        case = services.set_scenario(
            **{**kw, "case": case}, direction="departure", route="return_to_origin", on=day + 4 * week
        )
    if target >= 4 or outflow:
        category = outflow or "departure_origin"
        case = services.record_outflow(
            **{**kw, "case": case},
            category=category,
            country="ER" if category in ("departure_origin", "onward_migration") else "",
            on=day + 10 * week,
            enforce_procedure=False,  # a fixture's history; the procedure is tested on its own
        )
    return case


__all__ = [
    "Role",
    "OrganisationFactory",
    "LocationFactory",
    "ServiceLinkFactory",
    "UserFactory",
    "PersonFactory",
    "CaseFactory",
]
