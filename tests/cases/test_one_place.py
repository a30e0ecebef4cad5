"""One place per person, nationally: a second shelter is refused (revealing nothing), the
import rejects overlapping lines naming both external ids, a move the next day is fine,
and ``present`` summed over the LVVs counts distinct persons."""

from __future__ import annotations

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cases import importer, services
from cases.models import Case
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from monitor.figures import figures
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

KW = {"acting_user": SYSTEM, "origin": COMMAND}
D = datetime.date(2020, 1, 10)


def sheltered_elsewhere(world) -> Case:
    """The person is in shelter in Rotterdam (a case Amsterdam cannot see)."""
    return CaseFactory(location=world.rot.location, sheltered=True)


def second_case(world, person) -> Case:
    case = services.register_case(
        acting_user=SYSTEM, origin=COMMAND, location=world.ams.location, person=person, registered_on=D
    )
    return services.admit(**KW, case=case, on=D, require_check=False)


def test_a_second_shelter_is_refused_through_the_service(world):
    rot = sheltered_elsewhere(world)
    case = second_case(world, rot.person)
    with pytest.raises(ValidationError) as exc:
        services.start_shelter(**KW, case=case, on=D + datetime.timedelta(days=1))
    assert exc.value.message_dict["on"] == [str(services.ONE_PLACE)]
    case.refresh_from_db()
    assert case.shelter_started_on is None


def test_the_page_refuses_and_reveals_nothing(client, world):
    rot = sheltered_elsewhere(world)
    case = second_case(world, rot.person)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    response = client.post(
        reverse("cases:step", args=[case.pk, "start_shelter"]),
        {"version": case.version, "on": (D + datetime.timedelta(days=1)).isoformat(), "shelter_form": "24h"},
    )
    assert response.status_code == 400  # the page again, with the error at the field (ADR 0025)
    html = response.content.decode()
    assert str(services.ONE_PLACE) in html
    assert rot.reference not in html  # the other case is not named


def test_the_api_refuses_and_reveals_nothing(api_client, world):
    rot = sheltered_elsewhere(world)
    case = second_case(world, rot.person)
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    response = api_client.post(
        f"/api/v1/cases/{case.pk}/start-shelter/",
        {"version": case.version, "on": (D + datetime.timedelta(days=1)).isoformat()},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"on": [str(services.ONE_PLACE)]}
    assert rot.reference not in response.content.decode() and "Rotterdam" not in response.content.decode()


def test_a_move_is_the_outflow_then_a_new_case_the_next_day(world):
    rot = sheltered_elsewhere(world)
    out = rot.shelter_started_on + datetime.timedelta(days=30)
    services.record_outflow(**KW, case=rot, category="other", on=out)
    case = second_case(world, rot.person)
    with pytest.raises(ValidationError):
        services.start_shelter(**KW, case=case, on=out)  # the outflow's day is still the place there
    case = services.start_shelter(**KW, case=case, on=out + datetime.timedelta(days=1))
    assert case.shelter_started_on == out + datetime.timedelta(days=1)
    # present on any date counts the person once, nationally.
    for day in (out, out + datetime.timedelta(days=1)):
        total = figures(day)["total"]["present"]
        independent = (
            Case.objects.filter(within_covenant=True, shelter_started_on__lte=day)
            .filter(Q(outflow__isnull=True) | Q(outflow__outflow_on__gt=day))
            .values("person")
            .distinct()
            .count()
        )
        assert total == independent


def test_correcting_an_outflow_later_cannot_create_an_overlap(world):
    rot = sheltered_elsewhere(world)
    out = rot.shelter_started_on + datetime.timedelta(days=30)
    rot = services.record_outflow(**KW, case=rot, category="other", on=out)
    case = services.start_shelter(**KW, case=second_case(world, rot.person), on=out + datetime.timedelta(days=1))
    with pytest.raises(ValidationError) as exc:
        services.correct_outflow(
            **KW, case=rot, reason="Later vertrokken", category="other", on=out + datetime.timedelta(days=5)
        )
    assert exc.value.message_dict["on"] == [str(services.ONE_PLACE)]
    assert case.shelter_started_on == out + datetime.timedelta(days=1)


# --- The import ---------------------------------------------------------------------------------


def line(external_id, lvv, events, v_number="7777777777"):
    return {
        "schema": "lvv-case/1",
        "external_id": external_id,
        "lvv": lvv,
        "person": {"v_number": v_number, "family_name": "Tesfay", "given_names": "Abel"},
        "events": events,
    }


def shelter(start, end=None):
    events = [{"type": "admitted", "date": start}, {"type": "shelter_started", "date": start}]
    if end:
        events.append({"type": "outflow", "date": end, "category": "other"})
    return events


def run(*lines):
    data = "\n".join(json.dumps(item) for item in lines).encode()
    return importer.run_import(data, acting_user=SYSTEM, origin=COMMAND)


def test_import_rejects_an_overlap_in_the_file_naming_both_external_ids(world):
    with pytest.raises(importer.ImportInvalid) as exc:
        run(
            line("AMS-1", "amsterdam", shelter("2019-04-01", "2019-06-01")),
            line("RTM-1", "rotterdam", shelter("2019-06-01")),  # the outflow's day: still a place
        )
    errors = [e.as_dict() for e in exc.value.errors]
    assert {e["line"] for e in errors} == {1, 2}
    assert all("AMS-1" in e["message"] and "RTM-1" in e["message"] for e in errors)
    assert errors[0]["field"] == "events[1].date"
    assert not Case.objects.filter(external_id__in=["AMS-1", "RTM-1"]).exists()


def test_import_accepts_a_move_the_next_day_in_any_order(world):
    summary = run(
        line("RTM-1", "rotterdam", shelter("2019-06-02")),
        line("AMS-1", "amsterdam", shelter("2019-04-01", "2019-06-01")),
    )
    assert summary.created == 2


def test_import_rejects_an_overlap_with_a_stored_case(world):
    run(line("AMS-1", "amsterdam", shelter("2019-04-01")))
    with pytest.raises(importer.ImportInvalid) as exc:
        run(line("RTM-1", "rotterdam", shelter("2020-01-01")))
    (error,) = exc.value.errors
    assert "AMS-1" in error.message and "RTM-1" in error.message  # the system sees both


def test_import_by_a_user_does_not_name_a_case_it_cannot_see(world):
    run(line("RTM-1", "rotterdam", shelter("2019-04-01")))
    user = world.ams.users[Role.CASEMANAGER]
    data = json.dumps(line("AMS-1", "amsterdam", shelter("2020-01-01"))).encode()
    with pytest.raises(importer.ImportInvalid) as exc:
        importer.run_import(data, acting_user=user, origin=COMMAND)
    (error,) = exc.value.errors
    assert "RTM-1" not in error.message and "AMS-1" in error.message
    assert error.message == str(importer.PLACE_OVERLAP_HIDDEN % {"this": "AMS-1"})


def test_history_without_overlap_keeps_today_figures_honest(world):
    run(
        line("AMS-1", "amsterdam", shelter("2019-04-01", "2019-06-01")),
        line("RTM-1", "rotterdam", shelter("2019-06-02")),
    )
    today = timezone.localdate()
    data = figures(today)
    assert data["locations"]["rotterdam"]["present"] - data["locations"]["amsterdam"]["present"] >= 1
    assert data["total"]["ever_sheltered"] <= sum(loc["ever_sheltered"] for loc in data["locations"].values())
