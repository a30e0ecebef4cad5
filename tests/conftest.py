from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from lvv.accounts.models import Role
from lvv.partners.models import OrganisationKind
from tests.factories import CaseFactory, LocationFactory, OrganisationFactory, ServiceLinkFactory, UserFactory
from tests.users import with_special
from tests.world import Blueprint

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # live_server with sync Playwright

pytest_plugins = ["tests.celery_worker"]

PASSWORD = "geheim-wachtwoord-1"
WORLD = Blueprint()


def build_lvv(slug: str) -> SimpleNamespace:
    """One LVV with its partners, one user per role and two cases (one assigned to ngo_a)."""
    location = LocationFactory(slug=slug, name=f"LVV {slug.title()}")
    ind = OrganisationFactory(name=f"IND {slug}", kind=OrganisationKind.IND)
    dtv = OrganisationFactory(name=f"DT&V {slug}", kind=OrganisationKind.DTV)
    ngo_a = OrganisationFactory(name=f"Ngo A {slug}", kind=OrganisationKind.NGO)
    ngo_b = OrganisationFactory(name=f"Ngo B {slug}", kind=OrganisationKind.NGO)
    for org in (ind, dtv, ngo_a, ngo_b):
        ServiceLinkFactory(organisation=org, location=location)
    users = {
        Role.CASEMANAGER: UserFactory(
            username=f"casemanager.{slug}", organisation=location.municipality, roles=[Role.CASEMANAGER]
        ),
        Role.LSO_CHAIR: UserFactory(
            username=f"lsochair.{slug}", organisation=location.municipality, roles=[Role.LSO_CHAIR]
        ),
        Role.IND: UserFactory(username=f"ind.{slug}", organisation=ind, roles=[Role.IND]),
        Role.DTV: UserFactory(username=f"dtv.{slug}", organisation=dtv, roles=[Role.DTV]),
        Role.NGO: UserFactory(username=f"ngo.{slug}", organisation=ngo_a, roles=[Role.NGO]),
        "ngo_b": UserFactory(username=f"ngo-b.{slug}", organisation=ngo_b, roles=[Role.NGO]),
    }
    assigned = CaseFactory(location=location, assigned_ngo=ngo_a)
    unassigned = CaseFactory(location=location, assigned_ngo=None)
    return SimpleNamespace(
        location=location,
        ind=ind,
        dtv=dtv,
        ngo_a=ngo_a,
        ngo_b=ngo_b,
        users=users,
        assigned=assigned,
        unassigned=unassigned,
    )


def build_world() -> SimpleNamespace:
    bureau_org = OrganisationFactory(name="Programmabureau", kind=OrganisationKind.PROGRAMME_BUREAU)
    return SimpleNamespace(
        ams=build_lvv("amsterdam"),
        rot=build_lvv("rotterdam"),
        bureau=UserFactory(username="bureau", organisation=bureau_org, roles=[Role.BUREAU]),
    )


def _transactional(item: pytest.Item) -> bool:
    """As pytest-django tells a transactional test (it runs them after the others)."""
    marker = item.get_closest_marker("django_db")
    fixtures = getattr(item, "fixturenames", ())
    return bool(marker and marker.kwargs.get("transaction")) or not {"transactional_db", "live_server"}.isdisjoint(
        fixtures
    )


def _long(item: pytest.Item) -> bool:
    """Tests of seconds each: real browsers (``e2e``), real Celery workers (``worker``) and the
    others marked ``long`` (the API fuzzing)."""
    return any(item.get_closest_marker(name) for name in ("e2e", "worker", "long"))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first among the transactional ones (after pytest-django has put those
    after the others): under pytest-xdist a worker then ends the run with short tests, instead
    of the other one waiting for it on a browser journey or a killed worker."""
    slots = [index for index, item in enumerate(items) if _transactional(item)]
    ordered = sorted((items[index] for index in slots), key=lambda item: not _long(item))
    for index, item in zip(slots, ordered, strict=True):
        items[index] = item


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_modify_db_settings):
    """pytest-django's, with the test database copied from a migrated template
    (tests/dbtemplate.py) instead of migrated in every worker."""
    from django.test.utils import teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    from tests.dbtemplate import setup_test_databases

    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        config = setup_test_databases(verbosity, aliases=aliases, serialized_aliases=serialized_aliases)
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=verbosity)


@pytest.fixture
def world(db):
    """Two LVVs with their partners, users and cases, and the programme bureau
    (``build_world``): built by the factories the first time in a process, inserted again
    from that blueprint for the next tests (tests/world.py)."""
    return WORLD.get(build_world)


@pytest.fixture
def manager(world):
    """The Amsterdam case manager, who may see special-category data."""
    return with_special(world.ams.users[Role.CASEMANAGER])


@pytest.fixture
def ngo(world):
    """The NGO guide ``world.ams.assigned`` is assigned to: sees the case, not its
    special-category data."""
    return world.ams.users[Role.NGO]


@pytest.fixture
def dutch():
    """Texts built outside a request follow the active language: Dutch, whatever ran before
    (for modules that compare texts: ``pytest.mark.usefixtures("dutch")``)."""
    with translation.override("nl"):
        yield


@pytest.fixture
def ams():
    """The Amsterdam location alone (360 places), for the monitor's figures."""
    return LocationFactory(slug="amsterdam", places=360)


@pytest.fixture
def rot():
    """The Rotterdam location alone (117 places), for the monitor's figures."""
    return LocationFactory(slug="rotterdam", places=117)


@pytest.fixture
def locations(db):
    """Amsterdam (10 places) and Rotterdam (5) alone, for the monitor's property tests."""
    return [LocationFactory(slug="amsterdam", places=10), LocationFactory(slug="rotterdam", places=5)]


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded and generated files go to this test's own folder (for modules that make files:
    ``pytest.mark.usefixtures("media")``)."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def api_client():
    return APIClient()
