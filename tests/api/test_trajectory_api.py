"""The trajectory over the API: every step of the transition table, the roles, hidden cases,
stale versions, bad input, and a whole run from registration to a confirmed outflow."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import services, workflow
from cases.api.serializers import COUNTRY_INVALID, VERSION_REQUIRED
from cases.api.trajectory import API_STEPS, ENDPOINT_OF_STEP, TIMELINE_LIMIT
from cases.models import Case, Deadline, DeadlineKind, TimelineEvent
from cases.workflow import STEPS, State
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.api.common import STEP_NOT_ALLOWED_CODE
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry, Result
from lvv.partners.models import LocationCapacity
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

SYS = {"acting_user": SYSTEM, "origin": COMMAND}
ALL_STATES = list(State)


def url(case, slug: str) -> str:
    return f"/api/v1/cases/{case.pk}/{slug}/"


def case_in(world, state: str) -> Case:
    """A case of Amsterdam (assigned to ngo_a) in ``state``, brought there by the services."""
    location, ngo = world.ams.location, world.ams.ngo_a
    if state == State.REGISTERED:
        return CaseFactory(location=location, assigned_ngo=ngo)
    if state == State.ADMITTED:
        return CaseFactory(location=location, assigned_ngo=ngo, admitted=True)
    if state == State.SHELTERED:
        return CaseFactory(location=location, assigned_ngo=ngo, sheltered=True)
    if state == State.CLOSED:
        return CaseFactory(location=location, assigned_ngo=ngo, with_outflow="departure_origin")
    case = CaseFactory(location=location, assigned_ngo=ngo)
    if state == State.WAITLISTED:
        return services.waitlist(**SYS, case=case, on=case.registered_on, enforce_capacity=False)
    if state == State.REJECTED:
        return services.reject(**SYS, case=case, reason="Geen regiobinding", on=case.registered_on)
    raise AssertionError(state)


def open_deadline(case: Case, *, paused: bool = False) -> str:
    """Make sure ``case`` has an open deadline (paused if asked) and return its kind."""
    if case.state == State.REGISTERED:
        # No service gives a registered case a deadline (they start with the dossier or the
        # shelter); the row is seeded so the test proves the table lets the step through.
        Deadline.objects.create(
            case=case,
            kind=DeadlineKind.DOSSIER_IND,
            base_due_on=case.registered_on,
            due_on=case.registered_on,
            paused_since=case.registered_on if paused else None,
            pause_reason="Wacht op stukken" if paused else "",
        )
        return DeadlineKind.DOSSIER_IND
    if not case.deadlines.filter(resolved_on__isnull=True).exists():
        services.request_dossier(**SYS, case=case, on=case.registered_on)
    kind = case.deadlines.filter(resolved_on__isnull=True).order_by("kind").first().kind
    if paused:
        services.pause_deadline(**SYS, case=case, kind=kind, reason="Wacht op stukken", on=case.registered_on)
    return kind


def step_request(world, step_name: str, case: Case, *, prepare: bool = True) -> tuple:
    """(user, endpoint, body) for taking ``step_name`` on ``case`` with a valid body."""
    users = world.ams.users
    cm = users[Role.CASEMANAGER]
    kind = DeadlineKind.COOPERATION_CHECK
    if prepare and step_name in ("pause_deadline", "resume_deadline"):
        kind = open_deadline(case, paused=step_name == "resume_deadline")
    if prepare and step_name == "waitlist":  # only when no place is free
        LocationCapacity.objects.filter(location=case.location).update(places=0)
    user, body = {
        "record_admission_check": (cm, {"regional_ties": True, "notes": "Woont sinds 2015 in Amsterdam"}),
        "admit": (cm, {"exception": "humanitarian", "exception_reason": "Ernstig ziek"}),
        "reject": (cm, {"reason": "Geen regiobinding"}),
        "waitlist": (cm, {}),
        "start_shelter": (cm, {"form": "night"}),
        "request_dossier": (cm, {}),
        "deliver_dossier_ind": (users[Role.IND], {"kind": "IND"}),
        "deliver_dossier_dtv": (users[Role.DTV], {"kind": "DTV"}),
        "set_scenario": (users[Role.LSO_CHAIR], {"direction": "departure", "route": "return_to_origin"}),
        "record_cooperation_check": (users[Role.NGO], {"result": "sufficient"}),
        "set_case_types": (cm, {"case_types": ["identity_unclear", "repeat_asylum"], "prior_departure_procedures": 2}),
        "pause_deadline": (cm, {"deadline": kind, "reason": "Wacht op medisch rapport"}),
        "resume_deadline": (cm, {"deadline": kind}),
        "record_outflow": (cm, {"category": "departure_origin", "country": "ER"}),
        "confirm_outflow": (users[Role.DTV], {}),
        "dispute_outflow": (users[Role.DTV], {"reason": "Niet vertrokken volgens de DT&V."}),
        "correct_outflow": (cm, {"category": "onward_migration", "country": "DE", "reason": "Doorgereisd"}),
    }[step_name]
    return user, ENDPOINT_OF_STEP[step_name], {**body, "version": Case.objects.get(pk=case.pk).version}


def snapshot(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return case.state, case.version, TimelineEvent.objects.filter(case=case).count()


OFFERED = {name: step for name, step in STEPS.items() if step.offered}
ALLOWED = [(name, state) for name, step in OFFERED.items() for state in step.sources]
FORBIDDEN = [(name, state) for name, step in OFFERED.items() for state in ALL_STATES if state not in step.sources]


def test_every_step_has_an_endpoint():
    assert set(ENDPOINT_OF_STEP) == set(OFFERED)
    assert "record_mrt_discussion" not in ENDPOINT_OF_STEP  # the MRT's advice writes it
    assert len(ALLOWED) + len(FORBIDDEN) == len(OFFERED) * len(ALL_STATES)


@pytest.mark.parametrize(("step_name", "state"), ALLOWED)
def test_allowed_step(api_client, world, step_name, state):
    case = case_in(world, state)
    user, endpoint, body = step_request(world, step_name, case)
    before_state, before_version, before_events = snapshot(case)
    api_client.force_authenticate(user)
    response = api_client.post(url(case, endpoint), body, format="json")
    assert response.status_code == 200, response.content
    expected = STEPS[step_name].target or state
    data = response.json()
    assert data["state"]["code"] == expected
    assert data["state"]["label"] == str(State(expected).label)
    assert data["version"] == before_version + 1
    assert response["ETag"] == f'"{before_version + 1}"'
    assert snapshot(case) == (expected, before_version + 1, data["timeline_count"])
    assert data["timeline_count"] > before_events


@pytest.mark.parametrize(("step_name", "state"), FORBIDDEN)
def test_forbidden_step_is_409_and_changes_nothing(api_client, world, step_name, state):
    case = case_in(world, state)
    user, endpoint, body = step_request(world, step_name, case, prepare=False)
    before = snapshot(case)
    api_client.force_authenticate(user)
    response = api_client.post(url(case, endpoint), body, format="json")
    assert response.status_code == 409, response.content
    assert response.json() == {
        "detail": str(workflow.StepNotAllowed(STEPS[step_name], state)),
        "code": STEP_NOT_ALLOWED_CODE,
    }
    assert snapshot(case) == before
    assert AccessLogEntry.objects.filter(
        object_id=str(case.pk), result=Result.CONFLICT, detail__reason=STEP_NOT_ALLOWED_CODE
    ).exists()


# --- Reading -----------------------------------------------------------------------------


def test_trajectory_shows_every_record(api_client, world):
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, with_outflow="departure_origin")
    api_client.force_authenticate(world.ams.users[Role.DTV])
    response = api_client.get(url(case, "trajectory"))
    assert response.status_code == 200
    assert response["ETag"] == f'"{case.version}"'
    data = response.json()
    assert data["state"] == {"code": "closed", "label": str(State.CLOSED.label)}
    assert data["registered_on"] == "2020-01-06" and data["shelter_started_on"] == "2020-01-06"
    assert data["closed_on"] == "2020-03-16"
    assert [p["kind"]["code"] for p in data["dossier_parts"]] == ["IND", "DTV"]
    assert data["current_scenario"]["direction"]["code"] == "departure"
    assert data["outflow"]["category"]["code"] == "departure_origin"
    assert data["outflow"]["country"]["code"] == "ER"
    assert data["outflow"]["confirming_partner"]["code"] == "dtv"
    assert data["outflow"]["confirmed"] is False and data["outflow"]["is_durable"] is True
    assert {d["status"]["code"] for d in data["deadlines"]} == {"resolved"}
    occurred = [e["occurred_on"] for e in data["timeline"]]
    assert occurred == sorted(occurred, reverse=True)
    assert [s["name"] for s in data["allowed_steps"]] == ["confirm_outflow", "dispute_outflow"]
    assert data["allowed_steps"][0]["url"] == url(case, "confirm-outflow")
    assert AccessLogEntry.objects.filter(object_id=str(case.pk), action="view", detail__view="trajectory").exists()


@pytest.mark.parametrize(
    ("role", "state", "expected"),
    [
        (
            Role.CASEMANAGER,
            State.REGISTERED,
            ["record_admission_check", "admit", "reject", "waitlist", "set_case_types"],
        ),
        (Role.NGO, State.SHELTERED, ["record_cooperation_check"]),
        (Role.IND, State.SHELTERED, ["deliver_dossier_ind"]),
        (Role.LSO_CHAIR, State.ADMITTED, ["set_scenario"]),
        (Role.IND, State.CLOSED, ["dispute_outflow"]),  # a departure is confirmed by the DT&V
        (Role.CASEMANAGER, State.REJECTED, ["set_case_types"]),
    ],
)
def test_allowed_steps_follow_state_role_and_records(api_client, world, role, state, expected):
    case = case_in(world, state)
    api_client.force_authenticate(world.ams.users[role])
    response = api_client.get(url(case, "trajectory"))
    assert [s["name"] for s in response.json()["allowed_steps"]] == expected


def test_allowed_steps_leave_out_a_delivered_part_and_missing_deadlines(api_client, world):
    case = CaseFactory(location=world.ams.location, dossier_complete=True)
    api_client.force_authenticate(world.ams.users[Role.IND])
    assert api_client.get(url(case, "trajectory")).json()["allowed_steps"] == []
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    names = [s["name"] for s in api_client.get(url(case, "trajectory")).json()["allowed_steps"]]
    assert "pause_deadline" in names and "resume_deadline" not in names
    assert "request_dossier" in names and "confirm_outflow" not in names


def test_timeline_is_capped_and_paged_newest_first(api_client, world):
    case = CaseFactory(location=world.ams.location, sheltered=True)
    for day in range(30):
        services.record_mrt_discussion(**SYS, case=case, on=datetime.date(2020, 2, 1) + datetime.timedelta(days=day))
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    data = api_client.get(url(case, "trajectory")).json()
    total = TimelineEvent.objects.filter(case=case).count()
    assert data["timeline_count"] == total and len(data["timeline"]) == TIMELINE_LIMIT
    assert data["timeline"][0]["occurred_on"] == "2020-03-01"
    page = api_client.get(data["timeline_url"], {"page_size": 10}).json()
    assert page["count"] == total and len(page["results"]) == 10
    assert [e["id"] for e in page["results"]] == [e["id"] for e in data["timeline"][:10]]


def test_trajectory_query_count_is_constant(api_client, world):
    case = CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, dossier_complete=True)
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    api_client.get(url(case, "trajectory"))  # warm caches (content types, programme settings)
    with CaptureQueriesContext(connection) as few:
        assert api_client.get(url(case, "trajectory")).status_code == 200
    start = datetime.date(2020, 2, 1)
    for i in range(12):
        on = start + datetime.timedelta(days=7 * i)
        services.set_scenario(**SYS, case=case, direction="departure", on=on)
        services.record_cooperation_check(**SYS, case=case, result="sufficient", on=on)
        services.record_mrt_discussion(**SYS, case=case, on=on)
    # Events by real users too (their names are shown).
    services.set_scenario(acting_user=world.ams.users[Role.LSO_CHAIR], origin=COMMAND, case=case, direction="residence")
    services.record_mrt_discussion(acting_user=world.ams.users[Role.CASEMANAGER], origin=COMMAND, case=case)
    with CaptureQueriesContext(connection) as many:
        response = api_client.get(url(case, "trajectory"))
    assert response.json()["timeline_count"] > 40
    assert len(many.captured_queries) == len(few.captured_queries)
    # 10, and the check whether the user may see special notes (their events are left out)
    assert len(few.captured_queries) <= 11


# --- Who may ------------------------------------------------------------------------------


def test_ngo_cannot_admit(api_client, world):
    case = world.ams.assigned
    api_client.force_authenticate(world.ams.users[Role.NGO])
    assert api_client.get(url(case, "trajectory")).status_code == 200
    before = snapshot(case)
    response = api_client.post(
        url(case, "admit"), {"exception": "humanitarian", "exception_reason": "x", "version": case.version}
    )
    assert response.status_code == 403
    assert response.json()["detail"] == str(workflow.STEP_ROLE_MISSING % {"step": STEPS["admit"].label})
    assert snapshot(case) == before
    assert AccessLogEntry.objects.filter(object_id=str(case.pk), result=Result.DENIED, action="update").exists()


def test_ind_delivers_only_the_ind_part(api_client, world):
    case = CaseFactory(location=world.ams.location, sheltered=True)
    api_client.force_authenticate(world.ams.users[Role.IND])
    refused = api_client.post(url(case, "deliver-dossier"), {"kind": "DTV", "version": case.version}, format="json")
    assert refused.status_code == 403
    done = api_client.post(url(case, "deliver-dossier"), {"kind": "IND", "version": case.version}, format="json")
    assert done.status_code == 200
    parts = {p["kind"]["code"]: p["delivered_on"] for p in done.json()["dossier_parts"]}
    assert parts == {"IND": str(timezone.localdate())}
    api_client.force_authenticate(world.ams.users[Role.DTV])
    refused = api_client.post(url(case, "deliver-dossier"), {"kind": "IND", "version": case.version + 1})
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("role", "step_name", "state"),
    [
        (Role.CASEMANAGER, "deliver_dossier_ind", State.SHELTERED),
        (Role.LSO_CHAIR, "admit", State.REGISTERED),
        (Role.NGO, "set_scenario", State.SHELTERED),
        (Role.IND, "record_outflow", State.SHELTERED),
        (Role.DTV, "start_shelter", State.ADMITTED),
    ],
)
def test_role_without_the_step_gets_403(api_client, world, role, step_name, state):
    case = case_in(world, state)
    _user, endpoint, body = step_request(world, step_name, case)
    before = snapshot(case)
    api_client.force_authenticate(world.ams.users[role])
    assert api_client.post(url(case, endpoint), body, format="json").status_code == 403
    assert snapshot(case) == before


def test_ind_cannot_confirm_a_departure(api_client, world):
    case = case_in(world, State.CLOSED)
    api_client.force_authenticate(world.ams.users[Role.IND])
    response = api_client.post(url(case, "confirm-outflow"), {"version": case.version}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == str(services.WRONG_PARTNER % {"partner": "DT&V"})


ROLES_WITH_CASES = (Role.CASEMANAGER, Role.NGO, Role.IND, Role.DTV, Role.LSO_CHAIR)
HIDDEN_FROM = {
    **{f"{role}.rotterdam": (lambda w, r=role: w.rot.users[r]) for role in ROLES_WITH_CASES},
    "ngo-b.amsterdam (not assigned)": lambda w: w.ams.users["ngo_b"],
    "bureau": lambda w: w.bureau,
}


@pytest.mark.parametrize("who", list(HIDDEN_FROM))
def test_hidden_case_is_404_on_every_endpoint(api_client, world, who):
    user = HIDDEN_FROM[who](world)
    case = world.ams.assigned  # assigned to ngo_a: ngo_b does not see it
    before = snapshot(case)
    api_client.force_authenticate(user)
    assert api_client.get(url(case, "trajectory")).status_code == 404
    assert api_client.get(url(case, "timeline")).status_code == 404
    for slug in API_STEPS:
        response = api_client.post(url(case, slug), {"version": case.version}, format="json")
        assert response.status_code == 404, slug
    assert snapshot(case) == before
    denied = AccessLogEntry.objects.filter(object_id=str(case.pk), result=Result.DENIED, actor=user).count()
    assert denied == len(API_STEPS) + 2


def test_unassigned_ngo_gets_404_on_an_unassigned_case(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.NGO])
    case = world.ams.unassigned
    assert api_client.get(url(case, "trajectory")).status_code == 404
    response = api_client.post(url(case, "record-cooperation-check"), {"result": "sufficient", "version": 1})
    assert response.status_code == 404


def test_anonymous_is_refused(api_client, world):
    assert api_client.get(url(world.ams.assigned, "trajectory")).status_code in (401, 403)
    assert api_client.post(url(world.ams.assigned, "waitlist"), {"version": 1}).status_code in (401, 403)


# --- Versions -----------------------------------------------------------------------------


def test_stale_body_version_is_409_and_changes_nothing(api_client, world):
    case = world.ams.assigned
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    old = case.version
    first = api_client.post(url(case, "record-admission-check"), {"regional_ties": True, "version": old})
    assert first.status_code == 200 and first.json()["version"] == old + 1
    before = snapshot(case)
    stale = api_client.post(url(case, "reject"), {"reason": "Geen regiobinding", "version": old}, format="json")
    assert stale.status_code == 409
    assert stale.json().get("code") != STEP_NOT_ALLOWED_CODE
    assert snapshot(case) == before
    assert AccessLogEntry.objects.filter(
        object_id=str(case.pk), result=Result.CONFLICT, detail__reason="stale_version"
    ).exists()


def test_if_match(api_client, world):
    case = world.ams.assigned
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    etag = api_client.get(url(case, "trajectory"))["ETag"]
    ok = api_client.post(url(case, "record-admission-check"), {"regional_ties": True}, HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    assert ok["ETag"] != etag
    before = snapshot(case)
    stale = api_client.post(url(case, "reject"), {"reason": "Geen regiobinding"}, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert snapshot(case) == before
    # If-Match wins over a body version.
    both = api_client.post(url(case, "admit"), {"version": 99}, HTTP_IF_MATCH=ok["ETag"])
    assert both.status_code == 200 and both.json()["state"]["code"] == "admitted"


@pytest.mark.parametrize("header", ["abc", '"1.5"', "*", '"99999999999999999999"'])
def test_garbage_if_match_is_400(api_client, world, header):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    response = api_client.post(url(world.ams.assigned, "waitlist"), {}, HTTP_IF_MATCH=header)
    assert response.status_code == 400 and "If-Match" in response.json()


def test_missing_version_is_a_field_error(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    response = api_client.post(url(world.ams.assigned, "reject"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["version"] == [str(VERSION_REQUIRED)]
    assert response.json()["reason"] == [str(services.REJECTION_REASON_REQUIRED)]


# --- Bad input ----------------------------------------------------------------------------


def _tomorrow() -> str:
    return str(timezone.localdate() + datetime.timedelta(days=1))


@pytest.mark.parametrize(
    ("state", "slug", "body", "errors"),
    [
        (State.REGISTERED, "reject", {"on": "tomorrow"}, {"on", "reason"}),
        (State.REGISTERED, "reject", {"reason": "x", "on": _tomorrow()}, {"on": services.DATE_IN_FUTURE}),
        (State.REGISTERED, "reject", {"reason": "   "}, {"reason": services.REJECTION_REASON_REQUIRED}),
        (State.REGISTERED, "reject", {"reason": "x", "on": "2019-12-01"}, {"on"}),  # before registration
        (State.REGISTERED, "admit", {}, {"non_field_errors": services.ADMISSION_CHECK_MISSING}),
        (State.REGISTERED, "admit", {"exception": "humanitarian"}, {"exception_reason"}),
        (State.REGISTERED, "admit", {"exception": "mercy", "exception_reason": "x"}, {"exception"}),
        (State.SHELTERED, "record-outflow", {"category": "departure_origin"}, {"country": services.COUNTRY_REQUIRED}),
        (State.SHELTERED, "record-outflow", {"category": "onward_migration", "country": "XX"}, {"country"}),
        (State.SHELTERED, "record-outflow", {"category": "nowhere"}, {"category"}),
        (State.SHELTERED, "record-cooperation-check", {"result": "great"}, {"result"}),
        (State.SHELTERED, "set-scenario", {"direction": "residence", "route": "return_to_origin"}, {"route"}),
        (State.SHELTERED, "set-scenario", {}, {"direction"}),
        (State.SHELTERED, "set-case-types", {"case_types": ["alien"]}, {"case_types"}),
        (
            State.SHELTERED,
            "set-case-types",
            {"case_types": [], "prior_departure_procedures": -1},
            {"prior_departure_procedures"},
        ),
        (State.SHELTERED, "deliver-dossier", {"kind": "COA"}, {"kind"}),
        (
            State.SHELTERED,
            "pause-deadline",
            {"deadline": "max_stay", "reason": "x"},
            {"deadline": services.DEADLINE_NOT_OPEN},
        ),
        (
            State.SHELTERED,
            "pause-deadline",
            {"deadline": "cooperation_check"},
            {"reason": services.PAUSE_REASON_REQUIRED},
        ),
        (
            State.SHELTERED,
            "resume-deadline",
            {"deadline": "cooperation_check"},
            {"deadline": services.DEADLINE_NOT_PAUSED},
        ),
        (State.SHELTERED, "start-shelter", {"on": "1999-12-31"}, {"on"}),
        (State.ADMITTED, "start-shelter", {"form": "tent"}, {"form"}),
        (State.CLOSED, "confirm-outflow", {"on": "2020-01-01"}, {"on"}),  # before the outflow
    ],
)
def test_bad_input_is_400_with_field_errors(api_client, world, state, slug, body, errors):
    case = case_in(world, state)
    user = world.ams.users[Role.DTV if slug in ("deliver-dossier", "confirm-outflow") else Role.CASEMANAGER]
    api_client.force_authenticate(user)
    before = snapshot(case)
    response = api_client.post(url(case, slug), {**body, "version": before[1]}, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    if isinstance(errors, dict):
        for field, message in errors.items():
            assert str(message) in data[field], data
    else:
        assert set(data) == errors, data
    assert snapshot(case) == before


def test_unknown_country_message(api_client, world):
    case = case_in(world, State.SHELTERED)
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    response = api_client.post(
        url(case, "record-outflow"), {"category": "departure_origin", "country": "zz", "version": case.version}
    )
    assert response.json() == {"country": [str(COUNTRY_INVALID)]}


GARBAGE = [
    b"not json",
    b"[1,2,3]",
    b"5",
    b"null",
    b'"text"',
    b'{"version": "abc"}',
    b'{"version": 99999999999999999999999}',
    b'{"version": 1, "on": {"a": 1}}',
    b'{"version": 1, "on": "2020-13-45"}',
    b'{"version": [1], "case_types": "medical", "deadline": [1], "kind": {}, "reason": 5, "country": ["ER"]}',
    b'{"version": 1, "prior_departure_procedures": 1e100, "result": null, "direction": {"x": 1}}',
    b'{"version": 1, "category": "departure_origin", "country": "\\u0000\\u0000", "notes": "' + b"x" * 6000 + b'"}',
]


@pytest.mark.parametrize("body", GARBAGE)
def test_garbage_never_gives_500(api_client, world, body):
    case = case_in(world, State.SHELTERED)
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    before = snapshot(case)
    for slug in API_STEPS:
        response = api_client.post(url(case, slug), body, content_type="application/json")
        assert 400 <= response.status_code < 500, (slug, response.status_code)
    assert snapshot(case) == before


# --- A whole run over the API -------------------------------------------------------------


def test_registration_to_confirmed_outflow_over_the_api_only(api_client, world):
    users = world.ams.users

    def as_(role):
        api_client.force_authenticate(users[role])

    def step(role, slug, body=None, *, etag=None):
        """POST one step with the version of the last answer (or an If-Match header)."""
        as_(role)
        headers = {"HTTP_IF_MATCH": etag} if etag else {}
        payload = {**(body or {}), **({} if etag else {"version": state["version"]})}
        response = api_client.post(f"{base}{slug}/", payload, format="json", **headers)
        assert response.status_code == 200, (slug, response.content)
        state.update(response.json())
        return response

    as_(Role.CASEMANAGER)
    person = api_client.post(
        "/api/v1/persons/",
        {"family_name": "Tesfay", "given_names": "Abel", "birth_date": "1981-05-02", "nationality": "ER"},
        format="json",
    )
    assert person.status_code == 201
    case = api_client.post(
        "/api/v1/cases/",
        {"person": person.json()["id"], "location": "amsterdam", "assigned_ngo": world.ams.ngo_a.pk},
        format="json",
    )
    assert case.status_code == 201 and case.json()["state"] == "registered"
    base = f"/api/v1/cases/{case.json()['id']}/"
    state = api_client.get(f"{base}trajectory/").json()
    assert state["state"]["code"] == "registered"

    step(Role.CASEMANAGER, "record-admission-check", {"regional_ties": True})
    assert state["admission_check"]["unmet_criteria"] == []
    step(Role.CASEMANAGER, "admit")
    assert state["state"]["code"] == "admitted" and state["within_covenant"] is True
    response = step(Role.CASEMANAGER, "start-shelter", {"form": "24h"})
    step(Role.CASEMANAGER, "request-dossier", etag=response["ETag"])
    step(Role.IND, "deliver-dossier", {"kind": "IND"})
    step(Role.DTV, "deliver-dossier", {"kind": "DTV"})
    assert {d["kind"]["code"] for d in state["deadlines"] if d["resolved_on"] is None} >= {"rest_period_end"}
    step(Role.LSO_CHAIR, "set-scenario", {"direction": "departure", "route": "return_to_origin"})
    step(Role.NGO, "record-cooperation-check", {"result": "sufficient", "notes": "Komt afspraken na"})
    step(Role.CASEMANAGER, "set-case-types", {"case_types": ["identity_unclear"]})
    step(Role.CASEMANAGER, "pause-deadline", {"deadline": "cooperation_check", "reason": "Ziekenhuisopname"})
    step(Role.CASEMANAGER, "resume-deadline", {"deadline": "cooperation_check"})
    step(Role.CASEMANAGER, "record-outflow", {"category": "departure_origin", "country": "ER"})
    assert state["state"]["code"] == "closed"
    assert [s["name"] for s in state["allowed_steps"]] == ["set_case_types", "correct_outflow"]
    step(Role.DTV, "confirm-outflow")

    as_(Role.CASEMANAGER)
    final = api_client.get(f"{base}trajectory/").json()
    assert final["state"]["code"] == "closed"
    assert final["outflow"]["confirmed"] is True
    assert final["outflow"]["confirmed_on"] == str(timezone.localdate())
    assert [s["direction"]["code"] for s in final["scenarios"]] == ["departure"]
    assert final["cooperation_checks"][0]["result"]["code"] == "sufficient"
    assert [c["code"] for c in final["case_types"]] == ["identity_unclear"]
    assert final["timeline"][0]["type"]["code"] == "outflow_confirmed"
    assert final["timeline_count"] == 14
    assert {d["status"]["code"] for d in final["deadlines"]} == {"resolved"}
    assert final["version"] == 14


@pytest.mark.parametrize("body", [b"5", b"null", b'"x"', b"[1]"])
def test_case_update_with_a_body_that_is_not_an_object_is_400(api_client, world, body):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    response = api_client.patch(f"/api/v1/cases/{world.ams.assigned.pk}/", body, content_type="application/json")
    assert response.status_code == 400
