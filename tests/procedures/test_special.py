"""An application for postponement of departure on medical grounds (``medical_art64``) is
special-category data (GDPR art. 9): it and its timeline events exist only for users who
may see special-category data of the case, on the page, in the API, in the IND's inbox and
in the step hint; only they record or decide it. The monitor counts it (aggregated)."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from guardian.shortcuts import assign_perm

from cases import inboxes
from cases import selectors as case_selectors
from cases.importer import run_import
from cases.models import Case
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from monitor.figures import figures
from procedures import selectors, services
from procedures.models import Application
from tests.procedures.helpers import decide, submit, today
from tests.users import fresh, with_special

pytestmark = pytest.mark.django_db


@pytest.fixture
def medical(world, case):
    """A medical application and a regular one, recorded by a case worker with the permission."""
    worker = with_special(world.ams.users[Role.CASEMANAGER])
    regular = submit(worker, case, "regular")
    return submit(worker, case, "medical_art64"), regular


def test_it_exists_only_for_who_may_see_special_category_data(world, case, medical):
    application, regular = medical
    ngo = world.ams.users[Role.NGO]  # sees the case, not its special-category data
    assert list(selectors.case_applications(ngo, case)) == [regular]
    with pytest.raises(Application.DoesNotExist):
        selectors.get_visible_application(ngo, case, application.pk)
    types = [event.data.get("kind") for event in case_selectors.visible_timeline(ngo, case)]
    assert "medical_art64" not in types and "regular" in types
    worker = fresh(world.ams.users[Role.CASEMANAGER])
    assert set(selectors.case_applications(worker, case)) == {application, regular}
    assert "medical_art64" in [e.data.get("kind") for e in case_selectors.visible_timeline(worker, case)]
    # Aggregated in the monitor for everyone who reads figures.
    assert figures(today())["total"]["procedures_pending"]["medical_art64"] == 1


def test_only_who_may_see_it_records_or_decides_it(world, case, medical):
    application, _regular = medical
    with pytest.raises(PermissionDenied) as refused:
        submit(world.ams.users[Role.NGO], case, "medical_art64")
    assert str(refused.value) == str(services.NOT_ALLOWED_SPECIAL)
    ind = world.ams.users[Role.IND]
    with pytest.raises(services.NotVisibleError):  # it does not exist for this IND officer
        decide(ind, application, "granted")
    assign_perm("cases.view_special_category", ind, case)  # a grant on this one case
    decide(fresh(ind), application, "granted")
    assert Application.objects.get(pk=application.pk).outcome == "granted"


def test_the_pages_and_the_api_hide_it(client, api_client, world, case, medical):
    application, regular = medical
    ngo = world.ams.users[Role.NGO]
    client.force_login(ngo)
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "Reguliere verblijfsaanvraag" in html and "medische redenen" not in html
    assert client.get(reverse("procedures:application", args=[case.pk, application.pk])).status_code == 404
    form = client.get(reverse("procedures:application-new", args=[case.pk]))
    assert "medical_art64" not in form.content.decode()
    posted = client.post(
        reverse("procedures:application-new", args=[case.pk]),
        {"kind": "medical_art64", "submitted_on": today().isoformat()},
    )
    assert posted.status_code == 400 and Application.objects.count() == 2
    api_client.force_authenticate(ngo)
    base = f"/api/v1/cases/{case.pk}/applications/"
    assert [row["kind"] for row in api_client.get(base).json()["results"]] == ["regular"]
    assert api_client.get(f"{base}{application.pk}/").status_code == 404
    created = api_client.post(base, {"kind": "medical_art64", "submitted_on": today().isoformat()}, format="json")
    assert created.status_code == 403 and Application.objects.count() == 2
    timeline = api_client.get(f"/api/v1/cases/{case.pk}/timeline/")
    assert timeline.status_code == 200 and "application_submitted" in timeline.content.decode()
    assert "medical_art64" not in timeline.content.decode()
    assert AccessLogEntry.objects.filter(result="denied", object_type="procedures.application").exists()


def test_the_ind_inbox_shows_it_only_with_the_permission(world, case, medical):
    application, regular = medical
    ind = world.ams.users[Role.IND]
    decide(ind, regular, "rejected")  # only the medical one waits now
    assert inboxes.counts(ind)["ind_decision"] == 0
    with_grant = fresh(ind)
    assign_perm("cases.view_special_category", with_grant, case)
    items = list(inboxes.get_for_user(with_grant, "ind_decision").items(with_grant))
    assert [c.pk for c in items] == [case.pk]
    assert inboxes.get("ind_decision").what(items[0]) == "uitstel van vertrek om medische redenen (art. 64 Vw2000)"
    assert inboxes.counts(with_special(world.ams.users[Role.IND]))["ind_decision"] == 1


def test_a_case_in_the_inbox_for_another_application_never_shows_the_medical_one(world, case, medical):
    application, regular = medical
    ind = world.ams.users[Role.IND]
    [item] = inboxes.get_for_user(ind, "ind_decision").items(ind)
    assert inboxes.get("ind_decision").what(item) == "reguliere verblijfsaanvraag"
    assert item.inbox_application == regular.pk


def test_a_granted_medical_application_hints_only_for_who_may_see_it(client, world, case, medical):
    application, _regular = medical
    decide(with_special(world.ams.users[Role.IND]), application, "granted")
    worker = fresh(world.ams.users[Role.CASEMANAGER])
    worker.user_permissions.clear()  # the fixture gave this case worker the permission
    worker = fresh(worker)
    client.force_login(worker)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert not any(entry.get("hinted") for entry in response.context["step_forms"])
    assert "medische redenen" not in response.content.decode()
    client.force_login(with_special(worker))
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.context["step_forms"][0]["form"].initial["category"] == "postponement_art64"


def test_an_import_by_a_case_worker_without_the_permission_writes_it_as_the_system(world):
    worker = world.ams.users[Role.CASEMANAGER]
    line = {
        "schema": "lvv-case/2",
        "external_id": "AMS-MED-1",
        "lvv": "amsterdam",
        "person": {"family_name": "Haile", "given_names": "Senait", "birth_date": "1988-08-08"},
        "events": [
            {"type": "admitted", "date": "2020-01-06"},
            {"type": "application_submitted", "date": "2020-01-07", "kind": "medical_art64"},
        ],
    }
    run_import((json.dumps(line) + "\n").encode(), acting_user=worker, origin=COMMAND)
    case = Case.objects.get(external_id="AMS-MED-1")
    application = Application.objects.get(case=case)
    assert application.recorded_by is None
    assert AccessLogEntry.objects.filter(
        actor=worker, detail__step="application_submitted", detail__performed_as="system"
    ).exists()
