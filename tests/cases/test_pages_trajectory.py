"""The case worker's pages for the trajectory: intake, the case page and one form per step.

Every step posts to its own URL and goes through the service; errors come back as field
errors with the user's input kept, a stale version and a forbidden step as a form error.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services, workflow
from cases.forms import STEP_DONE, STEP_FORMS
from cases.models import Case, DeadlineKind, EventType
from cases.workflow import State
from lvv import errors
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.cases.registration_helpers import registration_form
from tests.factories import CaseFactory, LocationFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


def step_url(case, step) -> str:
    return reverse("cases:step", args=[case.pk, step])


def post_step(client, case, step, *, version=None, **data):
    """Post a step's form as the browser would: the hidden version, today's date, the fields."""
    case.refresh_from_db()
    payload = {"version": case.version if version is None else version, "on": today().isoformat(), **data}
    return client.post(step_url(case, step), payload)


def assert_done(response, case, step):
    assert response.status_code == 302, _errors(response)
    assert response["Location"].startswith(reverse("cases:detail", args=[case.pk]))


def _errors(response):
    form = response.context and response.context.get("step_forms")
    return [entry["form"].errors for entry in form or [] if entry["form"] and entry["form"].is_bound]


def page(client, case):
    response = client.get(reverse("cases:detail", args=[case.pk]))
    assert response.status_code == 200
    return response


def offered(response) -> list[str]:
    return [entry["name"] for entry in response.context["step_forms"]]


def posted_form(response):
    return next(entry["form"] for entry in response.context["step_forms"] if entry["form"] and entry["form"].is_bound)


def intake_post(location, **case):
    """The registration form with the trajectory's case fields: registered today, two case
    types, two earlier departure procedures."""
    fields = {
        "registered_on": today().isoformat(),
        "external_id": "AMS-2020-0001",
        "case_types": ["identity_unclear", "no_fault"],
        "prior_departure_procedures": "2",
    }
    return registration_form(location, case={**fields, **case})


# --- The whole trajectory through the pages -----------------------------------------------


def test_case_worker_takes_a_case_from_registration_to_a_confirmed_outflow(client, world):
    ams = world.ams
    worker, ind, dtv = ams.users[Role.CASEMANAGER], ams.users[Role.IND], ams.users[Role.DTV]
    client.force_login(worker)

    # Intake: the new fields reach the case; then on to the admission check.
    response = client.post(reverse("cases:create"), intake_post(ams.location))
    case = Case.objects.get(external_id="AMS-2020-0001")
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk]) + "#step-record_admission_check"
    assert (case.registered_on, case.registration_source) == (today(), "ngo")
    assert (sorted(case.case_types), case.prior_departure_procedures) == (["identity_unclear", "no_fault"], 2)
    response = page(client, case)
    assert offered(response) == ["record_admission_check", "admit", "reject", "waitlist", "set_case_types"]
    check = next(e for e in response.context["step_forms"] if e["name"] == "record_admission_check")
    assert check["open"]
    html = response.content.decode()
    assert "aantoonbare regiobinding (vereist in deze LVV)" in html  # the LVV's local rule
    assert 'id="step-record_admission_check"' in html

    # Admission check, admission, shelter, dossier request.
    assert_done(
        post_step(client, case, "record_admission_check", regional_ties="on", notes="Woont al jaren hier."), case, ""
    )
    assert_done(post_step(client, case, "admit"), case, "")
    case.refresh_from_db()
    assert case.state == State.ADMITTED
    assert_done(post_step(client, case, "start_shelter", shelter_form="night"), case, "")
    assert_done(post_step(client, case, "request_dossier"), case, "")
    case.refresh_from_db()
    assert (case.state, case.shelter_form) == (State.SHELTERED, "night")
    assert case.dossier_parts.filter(requested_on=today()).count() == 2

    # The IND and the DT&V each see only their own part's form, and deliver it.
    for user, step, other in (
        (ind, "deliver_dossier_ind", "deliver_dossier_dtv"),
        (dtv, "deliver_dossier_dtv", "deliver_dossier_ind"),
    ):
        client.force_login(user)
        response = page(client, case)
        assert step in offered(response) and other not in offered(response)
        assert "request_dossier" not in offered(response)
        assert_done(post_step(client, case, step), case, "")
        assert step not in offered(page(client, case))  # delivered: not offered again

    # The case worker sees the rest period: 14 days after the later delivery.
    client.force_login(worker)
    response = page(client, case)
    rest = next(row for row in response.context["deadlines"] if row["deadline"].kind == DeadlineKind.REST_PERIOD_END)
    assert rest["deadline"].due_on == today() + datetime.timedelta(days=14)
    assert "einde rusttermijn" in response.content.decode()

    # Scenario, cooperation check, MRT, case types, a paused and resumed deadline.
    assert_done(
        post_step(client, case, "set_scenario", direction="departure", route="return_to_origin", notes="Terugkeer."),
        case,
        "",
    )
    assert_done(post_step(client, case, "record_cooperation_check", result="sufficient"), case, "")
    assert_done(
        post_step(client, case, "set_case_types", case_types=["no_fault"], prior_departure_procedures="3"), case, ""
    )
    assert_done(
        post_step(client, case, "pause_deadline", kind=DeadlineKind.COOPERATION_CHECK, reason="Ziekenhuisopname"),
        case,
        "",
    )
    response = page(client, case)
    assert ("resume_deadline") in offered(response)
    assert_done(post_step(client, case, "resume_deadline", kind=DeadlineKind.COOPERATION_CHECK), case, "")

    # Outflow: a departure needs a country; the DT&V confirms it.
    assert_done(post_step(client, case, "record_outflow", category="departure_origin", country="ER"), case, "")
    case.refresh_from_db()
    assert case.state == State.CLOSED
    assert "confirm_outflow" not in offered(page(client, case))  # not the case worker's to confirm
    client.force_login(ind)
    assert "confirm_outflow" not in offered(page(client, case))  # a departure is the DT&V's
    client.force_login(dtv)
    assert "confirm_outflow" in offered(page(client, case))
    response = post_step(client, case, "confirm_outflow")
    assert_done(response, case, "")
    case.refresh_from_db()
    assert case.outflow.confirmed_on == today() and case.outflow.confirmed_by == dtv

    # The page tells the story, in Dutch.
    client.force_login(worker)
    response = client.get(reverse("cases:detail", args=[case.pk]))
    html = response.content.decode()
    for text in (
        "Uitgestroomd",
        "richting: vertrek",
        "route: terugkeer naar land van herkomst",
        "vertrek naar land van herkomst",
        "land: Eritrea",
        "door: DT&amp;V",
        "nachtopvang",
        "deel: IND",
        "voldoende",
        "buitenschuld",
        "bevestigd op",
        "Ziekenhuisopname",
    ):
        assert text in html, text
    types = {row["event"].type for row in response.context["timeline"]}
    assert {EventType.REGISTERED, EventType.OUTFLOW_CONFIRMED, EventType.DEADLINE_RESUMED} <= types
    dates = [row["event"].occurred_on for row in response.context["timeline"]]
    assert dates == sorted(dates, reverse=True)  # newest first
    assert response.context["step_forms"] == [
        e for e in response.context["step_forms"] if e["name"] in ("set_case_types", "correct_outflow")
    ]  # closed: only the case types stay open to change


def test_success_shows_a_message_and_opens_the_next_step(client, world):
    case = CaseFactory(location=world.ams.location, registered_on=today())
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = post_step(client, case, "record_admission_check", regional_ties="on")
    assert response["Location"].endswith("?step=admit#step-admit")
    response = client.get(response["Location"])
    step = workflow.STEPS["record_admission_check"]
    assert str(STEP_DONE % {"step": step.label}) in response.content.decode()
    assert next(e for e in response.context["step_forms"] if e["name"] == "admit")["open"]


def test_get_on_a_step_url_goes_back_to_the_case_page(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    case = world.ams.assigned
    response = client.get(step_url(case, "admit"))
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:detail", args=[case.pk]) + "?step=admit#step-admit"
    assert client.post(step_url(case, "no_such_step"), {}).status_code == 404


def test_an_exception_admits_outside_the_covenant(client, world):
    case = CaseFactory(location=world.ams.location, registered_on=today())
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert_done(post_step(client, case, "record_admission_check", eu_citizen="on", regional_ties="on"), case, "")
    response = post_step(client, case, "admit")
    assert services.CRITERIA_UNMET % {"criteria": "EU-burger"} in posted_form(response).errors["exception"]
    response = post_step(client, case, "admit", exception="humanitarian", exception_reason="Ernstig ziek.")
    assert_done(response, case, "")
    case.refresh_from_db()
    assert (case.within_covenant, case.exception_ground, case.exception_reason) == (
        False,
        "humanitarian",
        "Ernstig ziek.",
    )
    assert "humanitaire redenen" in page(client, case).content.decode()


def test_reject_ends_the_case(client, world):
    case = CaseFactory(location=world.ams.location, registered_on=today())
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert_done(post_step(client, case, "reject", reason="Dublinclaimant."), case, "")
    case.refresh_from_db()
    assert (case.state, case.rejection_reason) == (State.REJECTED, "Dublinclaimant.")
    response = page(client, case)
    assert offered(response) == ["set_case_types"]
    assert "Dublinclaimant." in response.content.decode()


def test_waitlist_and_full_lvv(client, world):
    full = LocationFactory(slug="vol", places=1)
    full.municipality = world.ams.location.municipality
    full.save()
    occupant = CaseFactory(location=full, sheltered=True)
    assert occupant.state == State.SHELTERED
    case = CaseFactory(location=full, registered_on=today())
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert_done(post_step(client, case, "admit", exception="public_order", exception_reason="Overlast."), case, "")
    case.refresh_from_db()
    assert case.state == State.WAITLISTED  # no free place: on the waiting list
    response = post_step(client, case, "start_shelter", shelter_form="24h")
    assert response.status_code == 400
    assert "geen vrije plek" in " ".join(posted_form(response).errors["on"])


# --- Errors: forbidden step, field errors, stale version ---------------------------------


def test_a_forbidden_step_gives_the_dutch_message_and_changes_nothing(client, world):
    case = CaseFactory(location=world.ams.location, sheltered=True)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    version, events = case.version, case.timeline.count()
    response = post_step(client, case, "admit")
    assert response.status_code == 409  # the state does not allow it (docs/adr/0024)
    message = workflow.STEP_NOT_ALLOWED % {"step": "Toelaten", "state": "in de opvang"}
    assert str(message) == "“Toelaten” kan niet bij een casus die in de opvang is."
    assert str(message) in posted_form(response).non_field_errors()
    assert str(message) in response.content.decode().replace("&ldquo;", "“").replace("&rdquo;", "”")
    case.refresh_from_db()
    assert (case.state, case.version, case.timeline.count()) == (State.SHELTERED, version, events)
    assert AccessLogEntry.objects.filter(
        object_id=str(case.pk), result="conflict", action="update", detail__reason="step_not_allowed"
    ).exists()


def test_a_step_of_another_role_is_refused(client, world):
    case = world.ams.assigned
    client.force_login(world.ams.users[Role.NGO])  # may see the case, may not admit
    response = post_step(client, case, "admit")
    assert response.status_code == 403
    message = workflow.STEP_ROLE_MISSING % {"step": workflow.STEPS["admit"].label}
    assert str(message) in posted_form(response).non_field_errors()
    case.refresh_from_db()
    assert case.state == State.REGISTERED


def test_field_errors_keep_the_input(client, world):
    case = CaseFactory(location=world.ams.location, sheltered=True)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    version = Case.objects.get(pk=case.pk).version

    response = post_step(client, case, "record_outflow", category="departure_origin", notes="Vertrekt met IOM.")
    assert response.status_code == 400
    form = posted_form(response)
    assert str(services.COUNTRY_REQUIRED) in form.errors["country"]
    html = response.content.decode()
    assert "Vertrekt met IOM." in html  # what the user typed is still there
    assert 'value="departure_origin" selected' in html
    assert 'aria-invalid="true"' in html
    entry = next(e for e in response.context["step_forms"] if e["form"] is form)
    assert entry["open"]

    response = post_step(client, case, "record_outflow", category="departure_origin", country="ER", on="2999-01-01")
    assert str(services.DATE_IN_FUTURE) in posted_form(response).errors["on"]
    assert 'value="2999-01-01"' in response.content.decode()

    response = post_step(client, case, "set_scenario", direction="", notes="Nog onduidelijk")
    assert "Dit veld is vereist." in posted_form(response).errors["direction"]
    assert "Nog onduidelijk" in response.content.decode()

    response = post_step(client, case, "set_scenario", direction="residence", route="return_to_origin")
    assert "Deze route hoort bij de richting vertrek." in posted_form(response).errors["route"]

    case.refresh_from_db()
    assert (case.state, case.version) == (State.SHELTERED, version)


def test_a_missing_version_is_a_form_error(client, world):
    case = CaseFactory(location=world.ams.location, registered_on=today())
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.post(step_url(case, "waitlist"), {"on": today().isoformat()})
    assert response.status_code == 400
    assert posted_form(response).non_field_errors()
    case.refresh_from_db()
    assert case.state == State.REGISTERED


def test_a_stale_version_is_a_form_error_and_changes_nothing(client, world):
    case = CaseFactory(location=world.ams.location, registered_on=today())
    client.force_login(world.ams.users[Role.CASEMANAGER])
    seen = case.version
    services.record_admission_check(acting_user=SYSTEM, origin=COMMAND, case=case, regional_ties=True)
    response = post_step(client, case, "reject", version=seen, reason="Geen regiobinding.")
    assert response.status_code == 409
    form = posted_form(response)
    assert str(errors.STALE_VERSION) in form.non_field_errors()
    assert "Geen regiobinding." in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.REGISTERED
    assert AccessLogEntry.objects.filter(object_id=str(case.pk), result="conflict").exists()
    # The form now carries the newest version: sending it again works.
    assert form.data["version"] == case.version
    assert_done(post_step(client, case, "reject", reason="Geen regiobinding."), case, "")


# --- Intake --------------------------------------------------------------------------------


def test_intake_validates_the_new_fields_and_keeps_the_input(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.post(
        reverse("cases:create"),
        intake_post(world.ams.location, registered_on="2999-01-01", prior_departure_procedures="-1"),
    )
    assert response.status_code == 200
    form = response.context["case_form"]
    assert str(services.DATE_IN_FUTURE) in form.errors["registered_on"]
    assert "prior_departure_procedures" in form.errors
    html = response.content.decode()
    assert 'value="Abel"' in html and 'value="no_fault"' in html
    assert not Case.objects.filter(external_id="AMS-2020-0001").exists()


# --- Access: 404 for everyone who may not see the case -----------------------------------

NEW_URLS = ["detail", *STEP_FORMS]


@pytest.mark.parametrize("step", NEW_URLS)
@pytest.mark.parametrize("who", ["other_lvv", "ngo_b", "bureau"])
def test_hidden_case_answers_404_on_every_page_and_step(client, world, step, who):
    user = {
        "other_lvv": world.rot.users[Role.CASEMANAGER],
        "ngo_b": world.ams.users["ngo_b"],
        "bureau": world.bureau,
    }[who]
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, sheltered=True)
    version = case.version
    client.force_login(user)
    if step == "detail":
        assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
        return
    assert client.get(step_url(case, step)).status_code == 404
    assert post_step(client, case, step, kind="cooperation_check", reason="x").status_code == 404
    case.refresh_from_db()
    assert case.version == version


def test_lso_chair_and_ngo_get_their_own_steps(client, world):
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, sheltered=True)
    client.force_login(world.ams.users[Role.LSO_CHAIR])
    assert offered(page(client, case)) == ["set_scenario"]  # an MRT discussion comes from the MRT's advice
    client.force_login(world.ams.users[Role.NGO])
    assert offered(page(client, case)) == ["record_cooperation_check"]
    assert_done(post_step(client, case, "record_cooperation_check", result="insufficient"), case, "")
    assert case.cooperation_checks.get().result == "insufficient"


# --- Query counts --------------------------------------------------------------------------


def _grow(case, n: int) -> None:
    """Give a sheltered case ``n`` scenarios, cooperation checks and MRT discussions."""
    kw = {"acting_user": SYSTEM, "origin": COMMAND}
    for i in range(n):
        day = case.shelter_started_on + datetime.timedelta(days=i + 1)
        case = services.set_scenario(**kw, case=case, direction="departure" if i % 2 else "residence", on=day)
        case = services.record_cooperation_check(**kw, case=case, result="sufficient", on=day)
        case = services.record_mrt_discussion(**kw, case=case, on=day)


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.IND])
def test_case_page_queries_constant_for_5_and_50_rows(client, world, role, django_assert_max_num_queries):
    small = CaseFactory(location=world.ams.location, dossier_complete=True)
    large = CaseFactory(location=world.ams.location, dossier_complete=True)
    _grow(small, 5)
    _grow(large, 50)
    client.force_login(world.ams.users[role])
    client.get(reverse("cases:detail", args=[small.pk]))  # warm the content-type cache
    n_small = count_queries(client, reverse("cases:detail", args=[small.pk]))
    n_large = count_queries(client, reverse("cases:detail", args=[large.pk]))
    assert n_small == n_large
    # 20, one for the journal, two for the owners (history, colleagues), two for the documents (a page,
    # and the files of the delivered dossier parts), three for procedures and departures (applications,
    # departure steps, plans)
    with django_assert_max_num_queries(28):
        client.get(reverse("cases:detail", args=[large.pk]))


def test_case_list_queries_constant_with_deadlines_and_filters(client, world):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    CaseFactory.create_batch(5, location=world.ams.location, sheltered=True)
    url = reverse("cases:list")
    params = "?state=sheltered&overdue=true&direction=&case_type="
    small = count_queries(client, url + params)
    CaseFactory.create_batch(45, location=world.ams.location, with_scenario=True)
    assert count_queries(client, url + params) == small
    assert count_queries(client, url + "?direction=departure") <= small


# --- The case list: filters (page and API) and columns -----------------------------------


def test_case_list_filters_on_the_page_and_in_the_api(client, api_client, world):
    ams = world.ams
    kw = {"acting_user": SYSTEM, "origin": COMMAND}
    departure = CaseFactory(location=ams.location, with_scenario=True, assigned_ngo=ams.ngo_b)  # overdue check
    residence = CaseFactory(location=ams.location, dossier_complete=True)
    residence = services.set_scenario(**kw, case=residence, direction="departure", on=datetime.date(2020, 2, 1))
    residence = services.set_scenario(**kw, case=residence, direction="residence", on=datetime.date(2020, 3, 1))
    for kind in (DeadlineKind.COOPERATION_CHECK, DeadlineKind.SCENARIO_REVIEW):
        residence = services.pause_deadline(**kw, case=residence, kind=kind, reason="Opname")
    typed = CaseFactory(location=ams.location, registered_on=today())
    services.set_case_types(**kw, case=typed, case_types=["safe_country", "medical"], prior_departure_procedures=6)
    registered = {ams.assigned.pk, ams.unassigned.pk, typed.pk}
    user = ams.users[Role.CASEMANAGER]
    client.force_login(user)
    api_client.force_authenticate(user)

    def found(**params):
        on_page = {c.pk for c in client.get(reverse("cases:list"), params).context["page"].object_list}
        in_api = {row["id"] for row in api_client.get("/api/v1/cases/", params).json()["results"]}
        assert on_page == in_api, params
        return on_page

    assert found(state="registered") == registered
    assert found(state="sheltered") == {departure.pk, residence.pk}
    assert found(direction="departure") == {departure.pk}  # the latest scenario counts
    assert found(direction="residence") == {residence.pk}
    assert found(overdue="true") == {departure.pk}  # a paused deadline is not overdue
    assert found(overdue="false") == registered | {residence.pk}
    assert found(assigned_ngo=ams.ngo_b.pk) == {departure.pk}
    assert found(case_type="safe_country") == {typed.pk}
    assert found(case_type="safe_country", state="sheltered") == set()
    assert found(location=ams.location.slug, state="sheltered", overdue="true") == {departure.pk}
    assert client.get(reverse("cases:list"), {"state": "nonsense"}).status_code == 200
    assert api_client.get("/api/v1/cases/", {"state": "nonsense"}).status_code == 400

    # Columns: state and next deadline.
    html = client.get(reverse("cases:list"), {"state": "sheltered"}).content.decode()
    assert "in de opvang" in html and "te laat" in html and "medewerkingstoets" in html
