"""The procedures on the pages: the case page's section (for everyone who sees the case,
with the forms' links only for whoever may write), the forms with Dutch errors, the page
per application with the decision form, the DT&V's list of departures; 404 for users who
may not see the case, 403 for those who see it but may not write; fixed query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lvv import errors
from lvv.accounts.models import Role
from lvv.audit.models import AccessLogEntry
from procedures import services
from procedures.models import Application, DeparturePlan, DepartureStep
from tests.factories import CaseFactory
from tests.procedures.helpers import (
    DAY,
    decide,
    plan,
    sheltered,
    special_everywhere,
    step,
    submit,
    today,
)
from tests.users import OUTSIDERS, outsiders

pytestmark = pytest.mark.django_db

REQUIRED = "Dit veld is vereist."


def detail_url(case) -> str:
    return reverse("cases:detail", args=[case.pk])


def urls(case, application) -> dict[str, str]:
    return {
        "application-new": reverse("procedures:application-new", args=[case.pk]),
        "application": reverse("procedures:application", args=[case.pk, application.pk]),
        "departure-step-new": reverse("procedures:departure-step-new", args=[case.pk]),
        "departure-plan-new": reverse("procedures:departure-plan-new", args=[case.pk]),
    }


def page(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


# --- Who gets in ------------------------------------------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
def test_every_page_is_404_for_who_may_not_see_the_case(client, world, case, who):
    application = submit(world.ams.users[Role.CASEMANAGER], case, "regular")
    client.force_login(outsiders(world)[who])
    for name, url in urls(case, application).items():
        assert client.get(url).status_code == 404, name
        assert client.post(url, {"kind": "regular"}).status_code == 404, name
    assert Application.objects.count() == 1 and not DepartureStep.objects.exists()
    assert AccessLogEntry.objects.filter(result="denied", object_type="cases.case").exists()


def test_an_application_of_another_case_is_404_under_this_one(client, world, case):
    other = sheltered(world.ams.unassigned)
    application = submit(world.ams.users[Role.CASEMANAGER], other, "regular")
    client.force_login(world.ams.users[Role.IND])
    assert client.get(reverse("procedures:application", args=[case.pk, application.pk])).status_code == 404
    assert client.get(reverse("procedures:application", args=[other.pk, application.pk])).status_code == 200


@pytest.mark.parametrize(
    ("role", "forbidden"),
    [
        (Role.CASEMANAGER, ["departure-step-new", "departure-plan-new"]),
        (Role.NGO, ["departure-step-new", "departure-plan-new"]),
        (Role.IND, ["departure-step-new", "departure-plan-new"]),
        (Role.LSO_CHAIR, ["application-new", "departure-step-new", "departure-plan-new"]),
        (Role.DTV, ["application-new"]),
    ],
)
def test_who_sees_but_may_not_write_gets_403(client, world, case, role, forbidden):
    application = submit(world.ams.users[Role.CASEMANAGER], case, "regular")
    client.force_login(world.ams.users[role])
    for name, url in urls(case, application).items():
        expected = 403 if name in forbidden else 200
        assert client.get(url).status_code == expected, name
    if role != Role.IND:  # the IND decides a regular application; no one else
        assert client.post(urls(case, application)["application"], {"outcome": "granted"}).status_code == 403
    assert Application.objects.get().is_pending and not DeparturePlan.objects.exists()


# --- The case page ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.NGO, Role.IND, Role.DTV, Role.LSO_CHAIR])
def test_the_section_shows_the_records_to_everyone_who_sees_the_case(client, world, case, role):
    worker, ind, dtv = (world.ams.users[r] for r in (Role.CASEMANAGER, Role.IND, Role.DTV))
    decide(ind, submit(worker, case, "no_fault", submitted_by="vluchtelingenwerk"), "rejected")
    step(dtv, case, "embassy_presentation", details="Erkend als onderdaan.", partner="iom")
    plan(dtv, case, planned_on=datetime.date(2099, 1, 4))
    html = page(client, world.ams.users[role], detail_url(case)).content.decode()
    assert 'id="procedures"' in html and 'href="#procedures"' in html
    for text in ("Buitenschuldvergunning", "door VluchtelingenWerk", "afgewezen op", "Presentatie bij de ambassade"):
        assert text in html, text
    assert "Erkend als onderdaan." in html and "4 januari 2099" in html and "IOM" in html
    assert ('data-testid="application-new"' in html) == (role in (Role.CASEMANAGER, Role.NGO, Role.IND))
    assert ('data-testid="departure-plan-new"' in html) == (role == Role.DTV)
    assert "Vertrek opnieuw plannen" in html if role == Role.DTV else "Vertrek opnieuw plannen" not in html


def test_empty_states(client, world, case):
    html = page(client, world.ams.users[Role.CASEMANAGER], detail_url(case)).content.decode()
    assert 'data-testid="no-applications"' in html and 'data-testid="no-departure"' in html


def test_a_granted_residence_application_makes_the_outflow_the_first_step(client, world, case):
    worker = world.ams.users[Role.CASEMANAGER]
    application = submit(worker, case, "regular", on=datetime.date(2020, 2, 3))
    decide(world.ams.users[Role.IND], application, "granted", on=datetime.date(2020, 3, 2))
    response = page(client, worker, detail_url(case))
    steps = response.context["step_forms"]
    assert steps[0]["name"] == "record_outflow" and steps[0]["open"] and steps[0]["hinted"]
    assert [entry["name"] for entry in steps if entry["open"]] == ["record_outflow"]
    assert steps[0]["form"].initial["category"] == "residence_granted"
    html = response.content.decode()
    assert 'value="residence_granted" selected' in html
    assert 'data-testid="grant-hint"' in html and "2 maart 2020 ingewilligd" in html
    # The API lists the step first too.
    from cases.api.trajectory import allowed_steps

    assert allowed_steps(worker, case)[0]["name"] == "record_outflow"
    # Asked for another step, that one opens.
    response = page(client, worker, detail_url(case), step="set_scenario")
    assert [entry["name"] for entry in response.context["step_forms"] if entry["open"]] == ["set_scenario"]


def test_a_granted_medical_postponement_suggests_that_outflow_and_a_rejection_nothing(client, world, case):
    special_everywhere(world.ams)
    worker, ind = world.ams.users[Role.CASEMANAGER], world.ams.users[Role.IND]
    decide(ind, submit(worker, case, "asylum_repeat"), "rejected")
    decide(worker, submit(worker, case, "appeal"), "granted")  # a court's ruling: no outflow yet
    response = page(client, worker, detail_url(case))
    assert not any(entry.get("hinted") for entry in response.context["step_forms"])
    decide(ind, submit(worker, case, "medical_art64"), "granted")
    response = page(client, worker, detail_url(case))
    first = response.context["step_forms"][0]
    assert first["name"] == "record_outflow" and first["form"].initial["category"] == "postponement_art64"


def test_a_pending_repeat_asylum_application_shows_among_the_case_types(client, world, case):
    worker = world.ams.users[Role.CASEMANAGER]
    application = submit(worker, case, "asylum_repeat", on=datetime.date(2020, 2, 3))
    response = page(client, world.ams.users[Role.NGO], detail_url(case))
    assert "opvolgende asielaanvraag in behandeling (sinds 3 februari 2020)" in response.context["case_type_labels"]
    assert "opvolgende asielaanvraag in behandeling" in response.content.decode()
    decide(world.ams.users[Role.IND], application, "rejected")
    response = page(client, worker, detail_url(case))
    assert not any("in behandeling" in label for label in response.context["case_type_labels"])


def test_a_decision_awaited_longer_than_the_setting_is_overdue(client, world, case, settings):
    submit(world.ams.users[Role.CASEMANAGER], case, "regular", on=today() - 10 * DAY)
    url = detail_url(case)
    assert 'data-testid="decision-overdue"' not in page(client, world.ams.users[Role.IND], url).content.decode()
    settings.LVV_DECISION_DUE_DAYS = 9
    html = page(client, world.ams.users[Role.IND], url).content.decode()
    assert 'data-testid="decision-overdue"' in html and "besluit uitgebleven" in html


# --- The forms --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.NGO, Role.IND])
def test_recording_an_application_on_the_page(client, world, case, role):
    client.force_login(world.ams.users[role])
    url = reverse("procedures:application-new", args=[case.pk])
    response = client.post(url, {"kind": "regular", "submitted_on": "2020-02-03", "submitted_by": "lawyer"})
    assert response.status_code == 302 and response["Location"] == detail_url(case) + "#procedures"
    application = Application.objects.get()
    assert (application.kind, application.submitted_on, application.submitted_by) == (
        "regular",
        datetime.date(2020, 2, 3),
        "lawyer",
    )


def test_the_forms_show_field_errors_in_dutch_and_write_nothing(client, world, case):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    url = reverse("procedures:application-new", args=[case.pk])
    html = client.post(url, {"kind": "", "submitted_on": ""}).content.decode()
    assert html.count(REQUIRED) >= 2 and 'aria-invalid="true"' in html
    html = client.post(url, {"kind": "regular", "submitted_on": (today() + DAY).isoformat()}).content.decode()
    assert str(services.DATE_IN_FUTURE) in html
    html = client.post(url, {"kind": "regular", "submitted_on": "2019-01-01"}).content.decode()
    assert "Deze datum ligt vóór de toelating" in html
    client.force_login(world.ams.users[Role.DTV])
    url = reverse("procedures:departure-plan-new", args=[case.pk])
    html = client.post(url, {"made_on": today().isoformat(), "planned_on": "2020-01-01", "support": "iom"}).content
    assert "De vertrekdatum ligt vóór de datum waarop het vertrek werd gepland" in html.decode()
    assert not Application.objects.exists() and not DeparturePlan.objects.exists()


def test_the_ind_decides_on_the_application_page(client, world, case):
    application = submit(world.ams.users[Role.CASEMANAGER], case, "no_fault")
    url = reverse("procedures:application", args=[case.pk, application.pk])
    html = page(client, world.ams.users[Role.CASEMANAGER], url).content.decode()
    assert 'id="decision"' not in html and "de IND" in html  # the case worker reads, without a form
    client.force_login(world.ams.users[Role.IND])
    assert 'id="decision"' in client.get(url).content.decode()
    stale = client.post(url, {"outcome": "granted", "decided_on": today().isoformat(), "version": 7})
    assert stale.status_code == 409 and str(errors.STALE_VERSION) in stale.content.decode()
    response = client.post(url, {"outcome": "granted", "decided_on": today().isoformat(), "version": 1})
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.outcome == "granted" and application.decided_by == world.ams.users[Role.IND]
    again = client.post(url, {"outcome": "rejected", "decided_on": today().isoformat(), "version": 2})
    assert again.status_code == 400 and str(services.ALREADY_DECIDED) in again.content.decode()
    assert Application.objects.get().outcome == "granted"


def test_the_case_worker_records_the_courts_decision_on_an_appeal(client, world, case):
    worker = world.ams.users[Role.CASEMANAGER]
    application = submit(worker, case, "appeal")
    client.force_login(worker)
    url = reverse("procedures:application", args=[case.pk, application.pk])
    response = client.post(url, {"outcome": "rejected", "decided_on": today().isoformat(), "version": 1})
    assert response.status_code == 302 and Application.objects.get().outcome == "rejected"


def test_the_dtv_records_steps_and_plans_on_the_pages(client, world, case):
    client.force_login(world.ams.users[Role.DTV])
    response = client.post(
        reverse("procedures:departure-step-new", args=[case.pk]),
        {"kind": "nationality_established", "on": today().isoformat(), "partner": "iom", "details": "Taalanalyse."},
    )
    assert response.status_code == 302
    assert DepartureStep.objects.get().partner == "iom"
    url = reverse("procedures:departure-plan-new", args=[case.pk])
    client.post(url, {"made_on": today().isoformat(), "planned_on": "2099-01-04", "support": "iom"})
    first = DeparturePlan.objects.get()
    form = client.get(url)
    assert "4 januari 2099" in form.content.decode() and form.context["form"].initial["replaces"] == first.pk
    again = {"made_on": today().isoformat(), "planned_on": "2099-01-11", "support": "dtv", "replaces": first.pk}
    client.post(url, again)
    stale = client.post(
        url, {"made_on": today().isoformat(), "planned_on": "2099-01-18", "support": "dtv", "replaces": first.pk}
    )
    assert stale.status_code == 409 and str(errors.STALE_VERSION) in stale.content.decode()
    assert services.current_plan(case).planned_on == datetime.date(2099, 1, 11)
    assert DeparturePlan.objects.count() == 2


# --- The DT&V's list of departures ----------------------------------------------------------------


def test_the_list_of_departures_planned_in_the_coming_weeks(client, world, case):
    dtv = world.ams.users[Role.DTV]
    soon = sheltered(CaseFactory(location=world.ams.location))
    replanned = sheltered(CaseFactory(location=world.ams.location))
    plan(dtv, case, planned_on=today() + 10 * DAY)
    plan(dtv, soon, planned_on=today())
    first = plan(dtv, replanned, planned_on=today() + 3 * DAY)
    plan(dtv, replanned, planned_on=today() + 60 * DAY, made_on=today(), replaces=first.pk)  # outside six weeks
    plan(world.rot.users[Role.DTV], sheltered(world.rot.assigned), planned_on=today() + DAY)  # another LVV
    response = page(client, dtv, reverse("procedures:departures"))
    assert [row.case for row in response.context["page"].object_list] == [soon, case]
    assert "2 vertrekken gepland" in response.content.decode()
    response = page(client, dtv, reverse("procedures:departures"), weeks=10)
    assert [row.case for row in response.context["page"].object_list] == [soon, case, replanned]
    for odd in ("0", "abc", "99999999999999999999"):
        assert page(client, dtv, reverse("procedures:departures"), weeks=odd, page=odd).status_code == 200
    assert page(client, world.bureau, reverse("procedures:departures")).status_code == 404
    # The navigation leads the DT&V there.
    assert 'href="/procedures/departures/"' in response.content.decode()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_the_pages_take_a_fixed_number_of_queries(client, world, case):
    worker, ind, dtv = (world.ams.users[r] for r in (Role.CASEMANAGER, Role.IND, Role.DTV))
    application = submit(worker, case, "regular")
    decide(ind, application, "granted")
    step(dtv, case)
    plan(dtv, case)
    detail = detail_url(case)
    departures = reverse("procedures:departures")
    one = reverse("procedures:application", args=[case.pk, application.pk])
    client.force_login(worker)
    client.get(detail)  # warm the caches
    few = _queries(client, detail), _queries(client, one)
    client.force_login(dtv)
    few_list = _queries(client, departures)
    for n in range(12):
        other = sheltered(CaseFactory(location=world.ams.location))
        plan(dtv, other, planned_on=today() + n * DAY)
        submit(worker, case, "other", on=today() - n * DAY)
        step(dtv, case, "embassy_presentation")
        plan(dtv, case, planned_on=today() + 20 * DAY)
    client.force_login(worker)
    assert (_queries(client, detail), _queries(client, one)) == few
    client.force_login(dtv)
    assert _queries(client, departures) == few_list


@pytest.mark.parametrize("kind", ["asylum_repeat", "no_fault", "regular", "medical_art64", "appeal", "other"])
@pytest.mark.parametrize("outcome", ["granted", "rejected", "withdrawn"])
def test_each_kind_and_outcome_on_the_pages(client, world, case, kind, outcome):
    special_everywhere(world.ams)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    new = reverse("procedures:application-new", args=[case.pk])
    assert client.post(new, {"kind": kind, "submitted_on": "2020-02-03"}).status_code == 302
    application = Application.objects.get()
    decider = world.ams.users[Role.IND if application.decided_by_ind else Role.CASEMANAGER]
    client.force_login(decider)
    url = reverse("procedures:application", args=[case.pk, application.pk])
    response = client.post(url, {"outcome": outcome, "decided_on": "2020-03-02", "version": 1})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.outcome, application.decided_by) == (outcome, decider)
    html = client.get(detail_url(case)).content.decode()
    assert f"{application.get_outcome_display()} op 2 maart 2020" in html
