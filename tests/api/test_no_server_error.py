"""No request answers 500: the causes the fuzzing found, each with its regression test, and
the limits that keep input within what the database and the pages take (free text, NUL
characters, numbers and dates in parameters)."""

from __future__ import annotations

import json
import re

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from cases import importer
from cases import services as case_services
from lso import services as lso_services
from lso.models import ReviewNote
from lvv.access.policy import SYSTEM
from lvv.accounts import tokens
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND, record
from lvv.audit.models import AccessAction, AccessLogEntry, Result
from lvv.forms import StyledFormMixin
from lvv.text import TEXT_MAX
from mrt import services as mrt_services
from tests.cases.test_import import jsonl, line
from tests.lso.helpers import meeting_for, sheltered_case
from tests.mrt.helpers import escalated

pytestmark = pytest.mark.django_db

HUGE = "9" * 30
NUL_MESSAGE = "Het verzoek bevat een ongeldig teken (NUL) en is geweigerd."


@pytest.fixture
def caseworker(world):
    return world.ams.users[Role.CASEMANAGER]


@pytest.fixture
def token_client(api_client, caseworker):
    _token, key = tokens.issue(caseworker, origin=COMMAND)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api_client


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Causes found by the fuzzing --------------------------------------------------------------


def test_creating_a_person_with_a_version_in_the_body(token_client):
    """The version of a new object is ignored (it was passed on to the service: TypeError)."""
    response = token_client.post(
        "/api/v1/persons/", {"family_name": "Haile", "given_names": "Senait", "version": 7}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 1


def test_a_huge_number_of_days_in_the_review_queue_is_a_field_error(api_client, world):
    dtv = world.ams.users[Role.DTV]
    api_client.force_authenticate(dtv)
    for value in (HUGE, "1e400", "1.5", "-1", "36501"):
        response = api_client.get("/api/v1/reviews/queue/", {"no_scenario_days": value})
        assert response.status_code == 400, (value, response.content)
        assert "no_scenario_days" in response.json()
    assert api_client.get("/api/v1/reviews/queue/", {"no_scenario_days": "36500"}).status_code == 200
    page = page_client(dtv).get("/lso/review/", {"no_scenario_days": HUGE})
    assert page.status_code == 200


@pytest.mark.parametrize("filter_name", ["case", "meeting"])
def test_id_filters_take_whole_numbers_within_bigint(api_client, caseworker, filter_name):
    api_client.force_authenticate(caseworker)
    for value in (HUGE, "1e99999999", "1.5", "0"):
        response = api_client.get("/api/v1/agenda-items/", {filter_name: value})
        assert response.status_code == 400, (value, response.content)


def test_the_meeting_start_time_matches_its_schema(api_client, world):
    """OpenAPI's "time" format needs a UTC offset; the schema now says HH:MM[:SS]."""
    meeting = meeting_for(world.ams)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    start_time = schema["components"]["schemas"]["Meeting"]["properties"]["start_time"]
    assert "format" not in start_time
    api_client.force_authenticate(world.ams.users[Role.LSO_CHAIR])
    given = api_client.get(f"/api/v1/meetings/{meeting.pk}/").json()["start_time"]
    assert re.match(start_time["pattern"], given)


def test_paginated_match_requests_and_meetingless_actions_match_the_schema():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    match_requests = schema["paths"]["/api/v1/match-requests/"]["get"]
    body = match_requests["responses"]["200"]["content"]["application/json"]["schema"]
    assert body["$ref"].endswith("/PaginatedMatchRequestList")
    assert match_requests["operationId"] == "match_requests_list"
    assert schema["components"]["schemas"]["Action"]["properties"]["meeting"]["nullable"] is True


def test_a_long_id_in_the_path_is_logged_shortened(api_client, caseworker):
    api_client.force_authenticate(caseworker)
    response = api_client.get(f"/api/v1/meetings/{'x' * 100}/")
    assert response.status_code == 404
    entry = AccessLogEntry.objects.filter(result=Result.DENIED, object_type="lso.meeting").latest("id")
    assert entry.object_id == "x" * 64


def test_the_access_log_stores_what_postgresql_cannot(caseworker):
    entry = record(
        actor=caseworker,
        action=AccessAction.LIST,
        origin=COMMAND,
        object_type="cases.case",
        object_id="a\x00b",
        detail={"filters": {"q\x00": ["x\x00y"]}},
    )
    entry.refresh_from_db()
    assert entry.object_id == "a\ufffdb"
    assert entry.detail == {"filters": {"q\ufffd": ["x\ufffdy"]}}


# --- NUL characters -----------------------------------------------------------------------


def _refusal():
    return AccessLogEntry.objects.filter(result=Result.INVALID, detail__refused="nul").latest("id")


def test_a_nul_in_a_query_parameter_answers_400_and_is_logged(token_client, caseworker):
    response = token_client.get("/api/v1/cases/", {"q": "Ha\x00ile"})
    assert response.status_code == 400
    assert response.json() == {"detail": NUL_MESSAGE}
    entry = _refusal()
    assert entry.actor == caseworker and entry.channel == "api" and entry.action == AccessAction.VIEW
    assert entry.detail["in"] == "query" and entry.detail["path"] == "/api/v1/cases/"
    # Not a single row of the listing is logged: the view never ran.
    assert not AccessLogEntry.objects.filter(action=AccessAction.LIST, object_type="cases.case").exists()


def test_a_nul_in_the_path_or_the_body_answers_400(token_client):
    assert token_client.get("/api/v1/cases/%00/").status_code == 400
    assert _refusal().detail["in"] == "path"
    response = token_client.post("/api/v1/persons/", {"family_name": "Ha\x00ile", "given_names": "S"}, format="json")
    assert response.status_code == 400 and response.json() == {"detail": NUL_MESSAGE}
    assert _refusal().detail["in"] == "body" and _refusal().action == AccessAction.UPDATE
    body = json.dumps({"schema": "lvv-case/1", "external_id": "A\u0000"}).encode()
    response = token_client.post("/api/v1/imports/", body, content_type="application/x-ndjson")
    assert response.status_code == 400


def test_a_nul_on_a_page_answers_a_dutch_page(caseworker):
    client = page_client(caseworker)
    response = client.get("/cases/", {"q": "\x00"})
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()
    assert _refusal().actor == caseworker and _refusal().channel == "web"
    anonymous = Client()
    response = anonymous.post("/accounts/login/", {"username": "a\x00", "password": "x"})
    assert response.status_code == 400
    assert _refusal().actor is None


def test_a_request_without_nul_passes(token_client):
    assert token_client.get("/api/v1/cases/", {"q": "Haile"}).status_code == 200
    assert not AccessLogEntry.objects.filter(detail__refused="nul").exists()


# --- Free text: limits in the API, the pages and the services ----------------------------------------


def test_every_free_text_field_of_a_request_body_has_a_maximum_length():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    unlimited = []

    def walk(name, node, path):
        if "$ref" in node:
            return
        if (
            node.get("type") == "string"
            and not node.get("readOnly")
            and not {"enum", "format", "maxLength", "pattern"} & set(node)
        ):
            unlimited.append(f"{name}{path}")
        for key, child in node.get("properties", {}).items():
            walk(name, child, f"{path}.{key}")
        if "items" in node:
            walk(name, node["items"], f"{path}[]")
        for key in ("allOf", "oneOf", "anyOf"):
            for child in node.get(key, []):
                walk(name, child, path)

    for name, component in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            walk(name, component, "")
    # Slugs of LVVs (looked up, never stored as text) and output shapes that drf-spectacular
    # also lists as request components.
    allowed = {"location", "code", "label", "name", "requested_by", "resolution_note"}
    assert [path for path in unlimited if path.rsplit(".", 1)[-1] not in allowed] == []


def test_a_long_text_is_a_field_error_in_the_api(api_client, world):
    ams = world.ams
    _case, escalation = escalated(ams)
    api_client.force_authenticate(ams.users[Role.NGO])
    too_long = "x" * (TEXT_MAX + 1)
    response = api_client.post(f"/api/v1/escalations/{escalation.pk}/positions/", {"text": too_long}, format="json")
    assert response.status_code == 400 and "text" in response.json()
    response = api_client.post(
        f"/api/v1/escalations/{escalation.pk}/positions/", {"text": "x" * TEXT_MAX}, format="json"
    )
    assert response.status_code == 200


def test_the_services_refuse_long_text_and_nul_whoever_calls_them(world):
    ams = world.ams
    case = sheltered_case(ams)
    dtv = ams.users[Role.DTV]
    with pytest.raises(ValidationError) as error:
        lso_services.add_review_note(acting_user=dtv, origin=COMMAND, case=case, text="x" * 100_000)
    assert list(error.value.message_dict) == ["text"]
    with pytest.raises(ValidationError):
        lso_services.add_review_note(acting_user=dtv, origin=COMMAND, case=case, text="a\x00b")
    assert not ReviewNote.objects.exists()
    with pytest.raises(ValidationError) as error:
        lso_services.create_meeting(
            acting_user=ams.users[Role.LSO_CHAIR],
            origin=COMMAND,
            location=ams.location,
            date=case.registered_on,
            start_time="09:30",
            place="x" * 201,
        )
    assert "place" in error.value.message_dict
    _case, escalation = escalated(ams)
    with pytest.raises(ValidationError) as error:
        mrt_services.save_position(
            acting_user=ams.users[Role.NGO], origin=COMMAND, escalation=escalation, text="x" * (TEXT_MAX + 1)
        )
    assert list(error.value.message_dict) == ["text"]


def test_a_long_text_is_a_field_error_on_a_page(world):
    ams = world.ams
    case = sheltered_case(ams)
    client = page_client(ams.users[Role.DTV])
    response = client.post(f"/lso/review/case/{case.pk}/", {"text": "x" * 100_000})
    assert response.status_code == 400
    assert 'maxlength="5000"' in response.content.decode()
    assert "5000" in str(response.context["form"].errors["text"])
    assert not ReviewNote.objects.exists()


def test_every_text_field_of_a_page_form_has_a_maximum_length():
    class Example(StyledFormMixin, forms.Form):
        free = forms.CharField(widget=forms.Textarea)
        short = forms.CharField(max_length=300)

    form = Example(data={"free": "x" * (TEXT_MAX + 1), "short": "ok"})
    assert form.fields["free"].max_length == TEXT_MAX
    assert form.fields["free"].widget.attrs["maxlength"] == str(TEXT_MAX)
    assert form.fields["short"].max_length == 300
    assert not form.is_valid() and list(form.errors) == ["free"]


# --- Parameters and dates of pages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/monitor/", {"date": "0001-01-01"}),
        ("/monitor/", {"date": "2020-01-01", "trends_end": "0001-01-15"}),
        ("/monitor/snapshots/compare/", {"old": "²", "new": HUGE}),
    ],
)
def test_monitor_pages_check_their_parameters(world, path, params):
    response = page_client(world.bureau).get(path, params)
    assert response.status_code == 200


def test_the_monitor_api_refuses_dates_before_2000(api_client, world):
    api_client.force_authenticate(world.bureau)
    response = api_client.get("/api/v1/monitor/", {"date": "0001-01-01"})
    assert response.status_code == 400 and "date" in response.json()


def test_planned_dates_stay_within_this_century(api_client, world):
    chair = world.ams.users[Role.LSO_CHAIR]
    api_client.force_authenticate(chair)
    for date in ("9999-12-31", "0001-01-01"):
        response = api_client.post(
            "/api/v1/meetings/",
            {"location": "amsterdam", "date": date, "start_time": "09:30", "place": "Stadhuis"},
            format="json",
        )
        assert response.status_code == 400 and "date" in response.json(), response.content


def test_the_import_limits_the_reasons_in_events(world):
    events = [
        {"type": "registered", "date": "2019-03-20"},
        {"type": "rejected", "date": "2019-04-01", "reason": "x" * (TEXT_MAX + 1)},
    ]
    with pytest.raises(importer.ImportInvalid) as caught:
        importer.run_import(jsonl(line(events=events)), acting_user=SYSTEM, origin=COMMAND)
    [error] = caught.value.errors
    assert error.field == "events[1].reason"


def test_the_case_services_refuse_long_text_and_nul(world, caseworker):
    case = sheltered_case(world.ams)
    with pytest.raises(ValidationError) as error:
        case_services.set_scenario(
            acting_user=caseworker, origin=COMMAND, case=case, direction="departure", notes="x" * (TEXT_MAX + 1)
        )
    assert list(error.value.message_dict) == ["notes"]
    with pytest.raises(ValidationError) as error:
        case_services.create_person(acting_user=caseworker, origin=COMMAND, family_name="Ha\x00ile", given_names="S")
    assert list(error.value.message_dict) == ["family_name"]
    with pytest.raises(ValidationError) as error:
        case_services.update_case(
            acting_user=caseworker, origin=COMMAND, case=case, expected_version=None, health_notes="x" * 5001
        )
    assert list(error.value.message_dict) == ["health_notes"]


def test_the_case_api_and_page_limit_their_text(token_client, world, caseworker):
    case = world.ams.assigned
    response = token_client.patch(
        f"/api/v1/cases/{case.pk}/", {"health_notes": "x" * (TEXT_MAX + 1), "version": case.version}, format="json"
    )
    assert response.status_code == 400 and "health_notes" in response.json()
    client = page_client(caseworker)
    assert client.get(f"/cases/{case.pk}/", {"timeline": HUGE}).status_code == 200
    assert client.get(f"/cases/{case.pk}/", {"timeline": "-3"}).status_code == 200
    response = client.get("/cases/", {"q": "x" * 201})
    assert response.status_code == 200 and "q" in response.context["filter"].form.errors


def test_django_s_own_bad_requests_use_the_400_page():
    response = Client().get("/", HTTP_HOST="elsewhere.example")
    assert response.status_code == 400
    assert "Ongeldig verzoek" in response.content.decode()


NASTY_PARAMETERS = {
    "page": HUGE,
    "deadlines_page": "-1",
    "timeline": HUGE,
    "q": "x" * 10_000,
    "step": "x" * 300,
    "date": "0001-01-01",
    "trends_start": "0001-01-01",
    "trends_end": "9999-12-31",
    "up_to": "0001-01-01",
    "old": "²",
    "new": HUGE,
    "no_scenario_days": HUGE,
    "location": "x" * 300,
    "state": "bogus",
    "status": "bogus",
    "kind": "bogus",
    "lvv": "bogus",
    "overdue": "maybe",
    "assigned_ngo": HUGE,
}


def test_no_page_answers_500_to_odd_parameters(world):
    """Every page a case worker or the programme bureau opens, with every parameter the
    pages read set to something odd: all at once, and one at a time those that a page reads
    itself (the others go through a form, which reports each field on its own)."""
    ams = world.ams
    case = sheltered_case(ams)
    meeting = meeting_for(ams)
    _case, escalation = escalated(ams)
    pages = [
        "/",
        "/cases/",
        "/cases/new/",
        "/cases/match-requests/",
        "/cases/reconciliation/",
        f"/cases/{case.pk}/",
        f"/cases/{case.pk}/notes/",
        "/cases/notifications/",
        "/lso/",
        f"/lso/{meeting.pk}/",
        "/lso/review/",
        "/mrt/",
        f"/mrt/{escalation.pk}/",
        "/monitor/",
        "/monitor/quality/",
        "/monitor/snapshots/",
        "/monitor/snapshots/compare/",
        "/monitor/exports/",
        f"/cases/{HUGE}/",
        f"/lso/{HUGE}/",
        f"/monitor/snapshots/{HUGE}/",
    ]
    read_by_pages = ("page", "deadlines_page", "timeline", "old", "new", "date", "trends_end")
    variants = [NASTY_PARAMETERS, *({name: NASTY_PARAMETERS[name]} for name in read_by_pages)]
    failed = []
    for user, paths in ((ams.users[Role.CASEMANAGER], pages), (world.bureau, ["/", *pages[13:18]])):
        client = page_client(user)
        client.raise_request_exception = False
        for path in paths:
            for params in variants:
                if client.get(path, params).status_code >= 500:
                    failed.append((user.username, path, sorted(params)))
    assert failed == []
