"""Special case types: medical, psychological and conversion or LGBTI reveal health, belief or
sexual orientation (``cases.models.SPECIAL_CASE_TYPES``). Only readers with the special-category
permission (everywhere, or on the one case) see them, in every channel: the case page and its
case-types form, the case list's filter, the API (trajectory, timeline, steps, registration,
import), the timeline's events, the quality panel; the agenda pack, the meeting page and the
digest never name them. A user without the permission cannot set them, and keeps those already
set when saving. The queries stay fixed. The subject-access file keeps them. The demo shows
both sides: tests/test_demo_data.py."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import notifications, services, special_types
from cases.models import SPECIAL_CASE_TYPES, Case, CaseType, EventType
from lso import pdf
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role, User
from lvv.audit.log import COMMAND
from monitor import quality
from privacy import subject_access
from tests.factories import CaseFactory, UserFactory
from tests.lso.helpers import published
from tests.notices import assert_notices_do_not_quote
from tests.users import fresh, with_special

pytestmark = pytest.mark.django_db

API = "/api/v1"
# The Dutch labels (the interface's default language).
MEDICAL = "medische problematiek"
PSYCHOLOGICAL = "psychische problematiek"
CONVERSION = "bekering of lhbti"
SPECIAL_LABELS = (MEDICAL, PSYCHOLOGICAL, CONVERSION)
REPEAT = "herhaalde asielaanvraag"
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "import" / "cases.jsonl"


def typed_case(lvv, case_types, **kwargs) -> Case:
    """A sheltered case of ``lvv``'s first NGO whose case types were set (as the system)."""
    case = CaseFactory(location=lvv.location, assigned_ngo=lvv.ngo_a, sheltered=True, **kwargs)
    return services.set_case_types(
        acting_user=SYSTEM, origin=COMMAND, case=case, case_types=case_types, prior_departure_procedures=2
    )


def readers_without(lvv) -> dict[str, User]:
    """Readers of an NGO-A case without the special-category permission."""
    return {role: lvv.users[role] for role in (Role.CASEMANAGER, Role.NGO, Role.IND, Role.DTV, Role.LSO_CHAIR)}


def page(client, user, case):
    """The case page with the case-types step open (its form drawn)."""
    client.force_login(user)
    response = client.get(reverse("cases:detail", args=[case.pk]), {"step": "set_case_types"})
    assert response.status_code == 200
    return response


def case_types_event_details(response) -> list[str]:
    return [row["details"] for row in response.context["timeline"] if row["event"].type == EventType.CASE_TYPES_SET]


def step_form(response, name="set_case_types"):
    return next(entry["form"] for entry in response.context["step_forms"] if entry["name"] == name)


def post_case_types(client, case, **data):
    case.refresh_from_db()
    payload = {"version": case.version, "on": timezone.localdate().isoformat(), **data}
    return client.post(reverse("cases:step", args=[case.pk, "set_case_types"]), payload)


def stored(case) -> list[str]:
    return Case.objects.get(pk=case.pk).case_types


# --- The definition --------------------------------------------------------------------------------


def test_the_special_types_are_health_belief_and_orientation():
    assert SPECIAL_CASE_TYPES == {CaseType.MEDICAL, CaseType.PSYCHOLOGICAL, CaseType.CONVERSION_OR_LGBTI}
    for value in ("repeat_asylum", "pending_procedure", "identity_unclear", "no_fault", "family", "safe_country"):
        assert not special_types.is_special(value)
    assert special_types.visible(["medical", "repeat_asylum"], special=False) == ["repeat_asylum"]
    assert special_types.kept(["no_fault"], ["medical", "repeat_asylum"], special=False) == ["medical", "no_fault"]
    assert special_types.kept(["no_fault"], ["medical", "repeat_asylum"], special=True) == ["no_fault"]
    assert [value for value, _label in special_types.choices(special=False)] == [
        value for value in CaseType.values if value not in SPECIAL_CASE_TYPES
    ]


# --- The case page and its timeline ----------------------------------------------------------------


def test_the_case_page_shows_special_types_only_with_the_permission(client, world):
    ams = world.ams
    case = typed_case(ams, ["medical", "repeat_asylum"])
    for reader in (with_special(ams.users[Role.CASEMANAGER]), with_special(ams.users[Role.DTV], case)):
        response = page(client, reader, case)
        assert response.context["case_type_labels"] == [MEDICAL, REPEAT]
        assert case_types_event_details(response) == [f"{MEDICAL}, {REPEAT}; eerdere vertrekprocedures: 2"]
        assert f"{MEDICAL}, {REPEAT}" in response.content.decode()


def test_readers_without_the_permission_never_see_a_special_type(client, world):
    ams = world.ams
    mixed = typed_case(ams, ["conversion_or_lgbti", "medical", "psychological", "repeat_asylum"])
    only_special = typed_case(ams, ["medical"])
    without_types = typed_case(ams, [])
    other_case = typed_case(ams, ["medical"])
    for role, reader in readers_without(ams).items():
        if role == Role.DTV:
            reader = with_special(reader, other_case)  # a grant on another case does not help
        response = page(client, reader, mixed)
        html = response.content.decode()
        assert response.context["case_type_labels"] == [REPEAT], role
        assert case_types_event_details(response) == [f"{REPEAT}; eerdere vertrekprocedures: 2"], role
        assert not [label for label in SPECIAL_LABELS if label in html], role
        # A case with only special types reads exactly like a case without types: no row, no
        # "none" in the timeline that a reader could compare.
        hidden, empty = page(client, reader, only_special), page(client, reader, without_types)
        assert hidden.context["case_type_labels"] == empty.context["case_type_labels"] == [], role
        assert case_types_event_details(hidden) == case_types_event_details(empty) == ["eerdere vertrekprocedures: 2"]
        assert "geen casustypen" not in hidden.content.decode() + empty.content.decode()
    # With the permission "none" is said.
    response = page(client, with_special(ams.users[Role.CASEMANAGER]), without_types)
    assert case_types_event_details(response) == ["geen casustypen; eerdere vertrekprocedures: 2"]


def test_the_case_types_form_without_the_permission_keeps_the_hidden_types(client, world):
    ams = world.ams
    case = typed_case(ams, ["medical", "repeat_asylum"])
    worker = ams.users[Role.CASEMANAGER]
    response = page(client, worker, case)
    form = step_form(response)
    assert [value for value, _label in form.fields["case_types"].choices] == [
        value for value in CaseType.values if value not in SPECIAL_CASE_TYPES
    ]
    assert form.initial["case_types"] == ["repeat_asylum"]
    html = response.content.decode()
    assert str(special_types.KEPT_HELP) in html
    # Saving what the user sees keeps what the user does not see.
    response = post_case_types(client, case, case_types=["no_fault"], prior_departure_procedures="3")
    assert response.status_code == 302
    assert stored(case) == ["medical", "no_fault"]
    response = post_case_types(client, case, prior_departure_procedures="")  # nothing ticked
    assert response.status_code == 302 and stored(case) == ["medical"]
    # A special type cannot be posted: a Dutch field error, nothing changes.
    response = post_case_types(client, case, case_types=["psychological"], prior_departure_procedures="")
    assert response.status_code == 400  # bad input: the form again (ADR 0025)
    assert "case_types" in step_form(response).errors
    assert stored(case) == ["medical"]
    event = case.timeline.filter(type=EventType.CASE_TYPES_SET).order_by("-pk").first()
    assert event.data["case_types"] == ["medical"]  # the event records the case's types


def test_the_case_types_form_with_the_permission_shows_and_changes_them(client, world):
    ams = world.ams
    case = typed_case(ams, ["medical", "repeat_asylum"])
    worker = with_special(ams.users[Role.CASEMANAGER])
    form = step_form(page(client, worker, case))
    assert [value for value, _label in form.fields["case_types"].choices] == list(CaseType.values)
    assert form.initial["case_types"] == ["medical", "repeat_asylum"]
    assert not form.fields["case_types"].help_text
    assert post_case_types(client, case, case_types=["psychological"], prior_departure_procedures="").status_code == 302
    assert stored(case) == ["psychological"]
    # With a grant on the one case as well.
    case = typed_case(ams, ["medical"])
    worker = with_special(world.rot.users[Role.CASEMANAGER], case)  # another LVV's worker still gets 404
    client.force_login(worker)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404


def test_the_intake_offers_special_types_only_with_the_permission(client, world):
    ams = world.ams
    client.force_login(ams.users[Role.CASEMANAGER])
    html = client.get(reverse("cases:create")).content.decode()
    assert 'value="repeat_asylum"' in html and 'value="medical"' not in html
    client.force_login(with_special(ams.users[Role.CASEMANAGER]))
    html = client.get(reverse("cases:create")).content.decode()
    assert 'value="medical"' in html and 'value="conversion_or_lgbti"' in html


# --- The case list and its filter -----------------------------------------------------------------


def listed(client, params) -> set[int]:
    response = client.get(reverse("cases:list"), {"mine": "false", **params})
    assert response.status_code == 200
    return {case.pk for case in response.context["page"].object_list}


def test_the_case_list_filter_finds_special_types_only_with_the_permission(client, api_client, world):
    ams = world.ams
    medical = typed_case(ams, ["medical", "family"])
    conversion = typed_case(ams, ["conversion_or_lgbti"])
    family = typed_case(ams, ["family"])
    for role, reader in readers_without(ams).items():
        client.force_login(reader)
        everything = listed(client, {})
        assert {medical.pk, conversion.pk, family.pk} <= everything, role
        # The choice is not offered and, typed in, ignored on the page, refused in the API.
        html = client.get(reverse("cases:list"), {"mine": "false"}).content.decode()
        assert 'value="medical"' not in html and 'value="family"' in html, role
        for value in SPECIAL_CASE_TYPES:
            assert listed(client, {"case_type": value}) == everything, role
        api_client.force_authenticate(reader)
        response = api_client.get(f"{API}/cases/", {"case_type": "medical"})
        assert response.status_code == 400 and "case_type" in response.json(), role
        assert listed(client, {"case_type": "family"}) == {medical.pk, family.pk}, role
        rows = api_client.get(f"{API}/cases/", {"case_type": "family"}).json()["results"]
        assert {row["id"] for row in rows} == {medical.pk, family.pk}, role
        assert not [label for label in SPECIAL_LABELS if label in html], role
    reader = with_special(ams.users[Role.NGO])
    client.force_login(reader)
    api_client.force_authenticate(reader)
    assert 'value="medical"' in client.get(reverse("cases:list"), {"mine": "false"}).content.decode()
    assert listed(client, {"case_type": "medical"}) == {medical.pk}
    assert listed(client, {"case_type": "conversion_or_lgbti"}) == {conversion.pk}
    rows = api_client.get(f"{API}/cases/", {"case_type": "medical"}).json()["results"]
    assert [row["id"] for row in rows] == [medical.pk]


def test_the_filtered_case_list_runs_a_fixed_number_of_queries(client, world):
    ams = world.ams
    client.force_login(ams.users[Role.NGO])
    typed_case(ams, ["medical", "family"])

    def count(params):
        with CaptureQueriesContext(connection) as queries:
            listed(client, params)
        return len(queries.captured_queries)

    small = count({"case_type": "medical"}), count({"case_type": "family"})
    for _n in range(8):
        typed_case(ams, ["medical", "family"])
    assert (count({"case_type": "medical"}), count({"case_type": "family"})) == small


# --- The API -------------------------------------------------------------------------------------


def trajectory_codes(api_client, user, case) -> list[str]:
    api_client.force_authenticate(user)
    response = api_client.get(f"{API}/cases/{case.pk}/trajectory/")
    assert response.status_code == 200
    data = response.json()
    event = next(e for e in data["timeline"] if e["type"]["code"] == EventType.CASE_TYPES_SET)  # the newest
    assert event["data"]["case_types"] == [c["code"] for c in data["case_types"]]
    return [c["code"] for c in data["case_types"]]


def timeline_case_types(api_client, user, case) -> list[list[str]]:
    api_client.force_authenticate(user)
    response = api_client.get(f"{API}/cases/{case.pk}/timeline/")
    assert response.status_code == 200
    return [e["data"]["case_types"] for e in response.json()["results"] if e["type"]["code"] == "case_types_set"]


def test_the_api_reads_special_types_only_with_the_permission(api_client, world):
    ams = world.ams
    case = typed_case(ams, ["medical", "psychological", "repeat_asylum"])
    for role, reader in readers_without(ams).items():
        assert trajectory_codes(api_client, reader, case) == ["repeat_asylum"], role
        assert timeline_case_types(api_client, reader, case) == [["repeat_asylum"]], role
        body = api_client.get(f"{API}/cases/{case.pk}/trajectory/").content.decode()
        assert "medical" not in body and "psychological" not in body, role
    for reader in (with_special(ams.users[Role.CASEMANAGER]), with_special(ams.users[Role.DTV], case)):
        assert trajectory_codes(api_client, reader, case) == ["medical", "psychological", "repeat_asylum"]
        assert timeline_case_types(api_client, reader, case) == [["medical", "psychological", "repeat_asylum"]]
    # Who may not see the case gets 404, as ever.
    for reader in (world.rot.users[Role.CASEMANAGER], ams.users["ngo_b"], world.bureau):
        api_client.force_authenticate(reader)
        assert api_client.get(f"{API}/cases/{case.pk}/trajectory/").status_code == 404
        assert api_client.get(f"{API}/cases/{case.pk}/timeline/").status_code == 404


def set_types(api_client, user, case, case_types):
    api_client.force_authenticate(user)
    body = {"case_types": case_types, "version": Case.objects.get(pk=case.pk).version}
    return api_client.post(f"{API}/cases/{case.pk}/set-case-types/", body, format="json")


def test_the_api_step_keeps_what_the_user_cannot_see(api_client, world):
    ams = world.ams
    case = typed_case(ams, ["medical", "repeat_asylum"])
    worker = ams.users[Role.CASEMANAGER]
    response = set_types(api_client, worker, case, ["no_fault"])
    assert response.status_code == 200, response.content
    assert [c["code"] for c in response.json()["case_types"]] == ["no_fault"]
    assert stored(case) == ["medical", "no_fault"]
    # A special type from a user without the permission: 400 on the field, nothing written.
    before = Case.objects.get(pk=case.pk).version
    response = set_types(api_client, worker, case, ["conversion_or_lgbti", "no_fault"])
    assert response.status_code == 400
    assert list(response.json()) == ["case_types"]
    assert "bijzonder persoonsgegeven" in response.json()["case_types"][0]
    assert Case.objects.get(pk=case.pk).version == before and stored(case) == ["medical", "no_fault"]
    # With the permission the list is the case's whole list.
    response = set_types(api_client, with_special(worker), case, ["repeat_asylum"])
    assert response.status_code == 200 and stored(case) == ["repeat_asylum"]
    # Who may see but not change: 403; who may not see: 404.
    assert set_types(api_client, ams.users[Role.IND], case, ["no_fault"]).status_code == 403
    for reader in (world.rot.users[Role.CASEMANAGER], ams.users["ngo_b"], world.bureau):
        assert set_types(api_client, reader, case, ["no_fault"]).status_code == 404
    assert stored(case) == ["repeat_asylum"]


def test_registration_and_import_need_the_permission_for_special_types(api_client, world):
    ams = world.ams
    worker = ams.users[Role.CASEMANAGER]
    body = {
        "person": {"family_name": "Tesfay", "given_names": "Abel", "birth_date": "1981-05-02"},
        "case": {"location": ams.location.slug, "external_id": "AMS-API", "case_types": ["medical", "family"]},
    }
    api_client.force_authenticate(worker)
    response = api_client.post(f"{API}/registrations/", body, format="json")
    assert response.status_code == 400 and "case_types" in response.json(), response.content
    assert not Case.objects.filter(external_id="AMS-API").exists()
    # A grant on one case is no permission for a new one.
    api_client.force_authenticate(with_special(worker, ams.assigned))
    assert api_client.post(f"{API}/registrations/", body, format="json").status_code == 400
    api_client.force_authenticate(with_special(worker))
    response = api_client.post(f"{API}/registrations/", body, format="json")
    assert response.status_code == 201, response.content
    assert sorted(stored(Case.objects.get(external_id="AMS-API"))) == ["family", "medical"]
    # The import: the first line of the sample holds medical; a worker without the permission
    # gets the line's error on case_types.
    line = FIXTURE.read_text(encoding="utf-8").splitlines()[0]
    other = UserFactory(
        username="casemanager3.amsterdam", organisation=ams.location.municipality, roles=[Role.CASEMANAGER]
    )
    api_client.force_authenticate(other)
    response = api_client.post(f"{API}/imports/", data=line.encode(), content_type="application/x-ndjson")
    assert response.status_code == 400, response.content
    [error] = response.json()["errors"]
    assert (error["line"], error["field"]) == (1, "case_types")
    assert not Case.objects.filter(external_id="AMS-2019-0001").exists()


def test_the_timeline_api_runs_a_fixed_number_of_queries(api_client, world):
    ams = world.ams
    case = typed_case(ams, ["medical"])
    reader = ams.users[Role.NGO]

    def count():
        user = fresh(reader)
        with CaptureQueriesContext(connection) as queries:
            timeline_case_types(api_client, user, case)
            trajectory_codes(api_client, fresh(reader), case)
        return len(queries.captured_queries)

    small = count()
    for types in (["family"], ["medical", "family"], ["psychological"], ["no_fault"]):
        case = services.set_case_types(
            acting_user=SYSTEM, origin=COMMAND, case=case, case_types=types, prior_departure_procedures=None
        )
    assert count() == small


def test_the_case_page_runs_the_same_queries_with_special_types(client, world):
    ams = world.ams
    plain, special = typed_case(ams, ["family"]), typed_case(ams, ["medical", "family"])
    for reader in (ams.users[Role.CASEMANAGER], with_special(ams.users[Role.DTV], special)):

        def count(case, reader=reader):
            client.force_login(fresh(reader))
            client.get(reverse("cases:detail", args=[case.pk]))  # warm the content-type cache
            with CaptureQueriesContext(connection) as queries:
                page(client, fresh(reader), case)
            return len(queries.captured_queries)

        assert count(plain) == count(special)


# --- The LSO, notifications and the digest -------------------------------------------------------------


def test_the_agenda_pack_and_the_meeting_page_never_name_special_types(client, world):
    ams = world.ams
    case = typed_case(ams, ["medical", "conversion_or_lgbti", "repeat_asylum"])
    meeting = published(ams, [case])
    for role, reader in readers_without(ams).items():
        html = pdf.render_pack_html(meeting, reader)
        assert not [label for label in SPECIAL_LABELS if label in html], role
        client.force_login(reader)
        response = client.get(reverse("lso:meeting-detail", args=[meeting.pk]))
        if response.status_code == 200:
            page_html = response.content.decode()
            assert not [label for label in SPECIAL_LABELS if label in page_html], role


def test_notices_and_the_digest_never_name_special_types(world, django_capture_on_commit_callbacks):
    ams = world.ams
    typed_case(ams, ["medical", "psychological", "conversion_or_lgbti"])
    notifications.notify_deadlines(today=timezone.localdate() + datetime.timedelta(days=400))
    assert_notices_do_not_quote(django_capture_on_commit_callbacks, *SPECIAL_LABELS)


# --- The quality panel, the figures and the subject-access file --------------------------------------


def test_the_quality_panel_lists_no_case_type_only_for_readers_of_special_types(world):
    ams = world.ams
    without_types = typed_case(ams, [])
    only_special = typed_case(ams, ["medical"])
    today = timezone.localdate()

    def flagged(user) -> set[int]:
        return {case.pk for case in quality.cases(user, [ams.location], today) if case.has_missing_case_types}

    # Without the permission neither case is flagged: the two read alike.
    assert flagged(ams.users[Role.CASEMANAGER]) == set()
    assert flagged(with_special(ams.users[Role.LSO_CHAIR], only_special)) == set()
    assert flagged(with_special(ams.users[Role.LSO_CHAIR], without_types)) == {without_types.pk}
    assert flagged(with_special(ams.users[Role.CASEMANAGER])) == {without_types.pk}
    # The figures count every case (aggregated, never a person).
    assert quality.counts([ams.location], today)["total"]["missing_case_types"] == 1


def test_the_subject_access_file_keeps_every_case_type(world):
    case = typed_case(world.ams, ["medical", "repeat_asylum"])
    data = subject_access.build(case.person)
    [entry] = data["cases"]
    assert entry["case"]["case_types"] == ["medical", "repeat_asylum"]


def test_the_filter_keeps_its_per_user_choices_after_the_schema_made_the_field(client, world):
    """The API schema builds the class-level filter's form field (with every choice); a later
    request of a user without the permission must still get the choices without special types."""
    from cases.selectors import CaseFilter

    CaseFilter.base_filters["case_type"].field  # noqa: B018 -- what the schema generation does
    ams = world.ams
    medical = typed_case(ams, ["medical"])
    reader = ams.users[Role.CASEMANAGER]
    client.force_login(reader)
    html = client.get(reverse("cases:list"), {"mine": "false"}).content.decode()
    assert 'value="medical"' not in html
    assert medical.pk in listed(client, {"case_type": "medical"})  # ignored: the whole list
    assert listed(client, {"case_type": "medical"}) == listed(client, {})
