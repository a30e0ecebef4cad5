"""Demo data: the core (partners, accounts) and a registry the apps fill with their part.

``manage.py seed_demo`` seeds the core, then calls every registered seeder in order of
registration (apps register in ``AppConfig.ready``; the app order in INSTALLED_APPS
follows the dependencies, so cases come before LSO meetings, and so on).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import transaction

from lvv.accounts.models import Role, User
from lvv.partners.models import Location, LocationCapacity, Organisation, OrganisationKind, ServiceLink

PILOT_START = datetime.date(2019, 4, 1)


@dataclass(frozen=True)
class PilotLocation:
    slug: str
    name: str
    places: int
    code: str
    ngos: tuple[str, ...]
    requires_shown_willingness: bool = False
    safe_country_max_stay_days: int | None = None
    voluntary_participation: bool = False


PILOTS = (
    PilotLocation(
        "amsterdam", "Amsterdam", 360, "AMS", ("Stichting Onderdak Amsterdam", "Stichting Nieuw Perspectief")
    ),
    PilotLocation(
        "rotterdam",
        "Rotterdam",
        117,
        "RTM",
        ("Stichting Haven Rotterdam",),
        requires_shown_willingness=True,
        safe_country_max_stay_days=90,
    ),
    PilotLocation("utrecht", "Utrecht", 235, "UTR", ("Stichting Toekomst Utrecht",), requires_shown_willingness=True),
    PilotLocation("eindhoven", "Eindhoven", 130, "EHV", ("Stichting Brabantse Opvang",), voluntary_participation=True),
    PilotLocation("groningen", "Groningen", 300, "GRN", ("Stichting Noorderlicht",)),
)


@dataclass
class DemoContext:
    """What the core seeded, handed to the app seeders."""

    password: str
    cases_per_location: int
    locations: dict[str, Location] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    ngos: dict[str, list[Organisation]] = field(default_factory=dict)
    pilots: tuple[PilotLocation, ...] = PILOTS


Seeder = Callable[[DemoContext], dict[str, int]]
_seeders: list[tuple[str, Seeder]] = []
# Seeders that run after every other one, whatever the app order (the partner inboxes'
# notices: after every app's demo has put its items in them).
_final_seeders: list[tuple[str, Seeder]] = []


def register_seeder(name: str, seeder: Seeder, *, last: bool = False) -> None:
    seeders = _final_seeders if last else _seeders
    if all(existing != name for existing, _ in seeders):
        seeders.append((name, seeder))


def _org(name: str, kind: str) -> Organisation:
    org, _ = Organisation.objects.update_or_create(name=name, defaults={"kind": kind})
    return org


class DemoPassword:
    """The demo accounts' password, hashed once: the password hasher is slow on purpose
    (about half a second per hash in production settings), and the demo has 37 accounts.
    The accounts share one hash; a stored hash already checked is not checked again, so that
    seeding again checks the password once."""

    def __init__(self, password: str):
        self.password = password
        self.verified: set[str] = set()
        self.encoded: str | None = None

    def set_on(self, user: User, *, created: bool) -> None:
        if not created and (user.password in self.verified or user.check_password(self.password)):
            self.verified.add(user.password)
            return
        if self.encoded is None:
            self.encoded = make_password(self.password)
            self.verified.add(self.encoded)
        user.password = self.encoded


def _user(
    username: str, *, password: DemoPassword, organisation: Organisation | None, roles: list[str], **extra
) -> User:
    user, created = User.objects.get_or_create(username=username)
    user.organisation = organisation
    user.roles = roles
    user.email = f"{username}@lvv.example"
    for key, value in extra.items():
        setattr(user, key, value)
    password.set_on(user, created=created)
    user.save()
    return user


@transaction.atomic
def seed_core(password: str, cases_per_location: int) -> DemoContext:
    ctx = DemoContext(password=password, cases_per_location=cases_per_location)
    hashed = DemoPassword(password)
    special = Permission.objects.get(codename="view_special_category", content_type__app_label="cases")
    bureau = _org("Programmabureau LVV", OrganisationKind.PROGRAMME_BUREAU)
    for pilot in PILOTS:
        municipality = _org(f"Gemeente {pilot.name}", OrganisationKind.MUNICIPALITY)
        location, _ = Location.objects.update_or_create(
            slug=pilot.slug,
            defaults={
                "name": f"LVV {pilot.name}",
                "municipality": municipality,
                "requires_regional_ties": True,
                "requires_shown_willingness": pilot.requires_shown_willingness,
                "safe_country_max_stay_days": pilot.safe_country_max_stay_days,
                "voluntary_participation": pilot.voluntary_participation,
            },
        )
        LocationCapacity.objects.update_or_create(
            location=location, effective_from=PILOT_START, defaults={"places": pilot.places}
        )
        ind = _org(f"IND – team {pilot.name}", OrganisationKind.IND)
        dtv = _org(f"DT&V – regio {pilot.name}", OrganisationKind.DTV)
        ngos = [_org(name, OrganisationKind.NGO) for name in pilot.ngos]
        for org in (ind, dtv, *ngos):
            ServiceLink.objects.get_or_create(organisation=org, location=location)
        ctx.locations[pilot.slug] = location
        ctx.ngos[pilot.slug] = ngos
        people = {
            Role.CASEMANAGER: (municipality, "Casemanager"),
            Role.LSO_CHAIR: (municipality, "LSO-voorzitter"),
            Role.NGO: (ngos[0], "Begeleider"),
            Role.DTV: (dtv, "Regievoerder"),
            Role.IND: (ind, "IND-medewerker"),
            Role.PRIVACY_OFFICER: (municipality, "Privacyfunctionaris"),
        }
        for role, (org, first_name) in people.items():
            username = f"{role}.{pilot.slug}"
            user = _user(
                username, password=hashed, organisation=org, roles=[role], first_name=first_name, last_name=pilot.name
            )
            if role == Role.CASEMANAGER:
                user.user_permissions.add(special)
            ctx.users[username] = user
        # A second case worker (the demo's hand-overs come from this colleague), made here with
        # the others so that every seed sees the same colleagues (deadline notices go to all).
        colleague = f"casemanager2.{pilot.slug}"
        ctx.users[colleague] = _user(
            colleague,
            password=hashed,
            organisation=municipality,
            roles=[Role.CASEMANAGER],
            first_name="Casemanager (collega)",
            last_name=pilot.name,
        )
    ctx.users["bureau"] = _user(
        "bureau",
        password=hashed,
        organisation=bureau,
        roles=[Role.BUREAU],
        first_name="Programmabureau",
        last_name="LVV",
    )
    ctx.users["admin"] = _user(
        "admin",
        password=hashed,
        organisation=None,
        roles=[Role.ADMIN],
        first_name="Functioneel",
        last_name="beheerder",
        is_staff=True,
        is_superuser=True,
    )
    return ctx


def seed(*, password: str, cases_per_location: int, pilots: tuple[PilotLocation, ...] = PILOTS) -> dict[str, int]:
    """The core for every pilot LVV, then the apps' demo data for ``pilots`` (all by default;
    a test that needs one LVV only seeds that one)."""
    ctx = seed_core(password, cases_per_location)
    ctx.pilots = pilots
    summary = {"locations": len(ctx.locations), "accounts": len(ctx.users)}
    for _name, seeder in [*_seeders, *_final_seeders]:
        summary.update(seeder(ctx))
    return summary
