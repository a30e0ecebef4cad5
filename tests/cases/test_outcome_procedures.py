"""Procedures behind outcomes: a forced termination needs its basis and dates (and is not
possible where participation is voluntary), the MRT figures come from MRT records only,
an outflow can be corrected (history kept, figures follow) and disputed by the IND or the
DT&V, the reconciliation is signed off, and the data-quality panel finds what slipped."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from cases import deadlines, services
from cases.models import Case, DeadlineKind, EventType, Reconciliation
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.partners.models import Location, ProgrammeSettings, RestPeriodTrigger, SafeCountry
from monitor import quality
from monitor.figures import figures
from tests.factories import CaseFactory, PersonFactory

pytestmark = pytest.mark.django_db

KW = {"acting_user": SYSTEM, "origin": COMMAND}
DAY = datetime.timedelta(days=1)


def today() -> datetime.date:
    return timezone.localdate()


def sheltered(world, **kwargs) -> Case:
    case = CaseFactory(location=world.ams.location, registered_on=today() - 100 * DAY, assigned_ngo=world.ams.ngo_a)
    case = services.admit(**KW, case=case, on=today() - 100 * DAY, require_check=False)
    return services.start_shelter(**KW, case=case, on=today() - 99 * DAY)


PROCEDURE = {"warned_on": None, "heard_on": None, "termination_decided_on": None}


def procedure(days_before: int = 10) -> dict:
    base = today() - days_before * DAY
    return {"warned_on": base, "heard_on": base + 3 * DAY, "termination_decided_on": base + 6 * DAY}


# --- Forced termination -------------------------------------------------------------------------


def test_forced_termination_without_an_insufficient_check_is_refused(world):
    case = sheltered(world)
    with pytest.raises(ValidationError) as exc:
        services.record_outflow(**KW, case=case, category="forced_termination", **procedure())
    assert exc.value.message_dict["termination_basis"] == [str(services.TERMINATION_NEEDS_BASIS)]
    services.record_cooperation_check(**KW, case=case, result="sufficient", on=today() - 30 * DAY)
    with pytest.raises(ValidationError):
        services.record_outflow(**KW, case=case, category="forced_termination", **procedure())
    case.refresh_from_db()
    assert case.state == "sheltered"


def test_forced_termination_needs_warning_hearing_and_decision_in_order(world):
    case = services.record_cooperation_check(**KW, case=sheltered(world), result="insufficient", on=today() - 30 * DAY)
    with pytest.raises(ValidationError) as exc:
        services.record_outflow(**KW, case=case, category="forced_termination")
    assert set(exc.value.message_dict) == {"warned_on", "heard_on", "termination_decided_on"}
    wrong = {**procedure(), "heard_on": today() - 40 * DAY}
    with pytest.raises(ValidationError) as exc:
        services.record_outflow(**KW, case=case, category="forced_termination", **wrong)
    assert exc.value.message_dict["termination_decided_on"] == [str(services.TERMINATION_DATES_ORDER)]
    case = services.record_outflow(**KW, case=case, category="forced_termination", **procedure())
    assert case.outflow.termination_basis == "cooperation_check"
    assert case.outflow.warned_on == procedure()["warned_on"]


def test_forced_termination_on_an_lso_decision(world):
    case = sheltered(world)
    services.add_event(
        case, EventType.LSO_DISCUSSED, on=today() - 20 * DAY, actor=SYSTEM, data={"decision": "terminate"}
    )
    case = services.record_outflow(**KW, case=case, category="forced_termination", **procedure())
    assert case.outflow.termination_basis == "lso_decision"


def test_voluntary_participation_has_no_cooperation_deadline_and_no_forced_termination(world):
    Location.objects.filter(pk=world.ams.location.pk).update(voluntary_participation=True)
    case = sheltered(world)
    assert not case.deadlines.filter(kind=DeadlineKind.COOPERATION_CHECK, resolved_on__isnull=True).exists()
    services.record_cooperation_check(**KW, case=case, result="insufficient", on=today() - 30 * DAY)
    with pytest.raises(ValidationError) as exc:
        services.record_outflow(**KW, case=case, category="forced_termination", **procedure())
    assert "vrijwillig" in exc.value.message_dict["category"][0]


def test_forced_termination_through_the_page_and_the_api(client, api_client, world):
    case = services.record_cooperation_check(**KW, case=sheltered(world), result="insufficient", on=today() - 30 * DAY)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    url = reverse("cases:step", args=[case.pk, "record_outflow"])
    payload = {"version": case.version, "on": today().isoformat(), "category": "forced_termination"}
    response = client.post(url, payload)
    assert response.status_code == 400  # the page again, with the field error (ADR 0025)
    form = next(e["form"] for e in response.context["step_forms"] if e["form"] and e["form"].is_bound)
    assert form.errors["warned_on"]
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    body = {
        "version": case.version,
        "category": "forced_termination",
        **{k: v.isoformat() for k, v in procedure().items()},
    }
    response = api_client.post(f"/api/v1/cases/{case.pk}/record-outflow/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["outflow"]["termination_basis"]["code"] == "cooperation_check"


# --- MRT figures from MRT records only ----------------------------------------------------------


def test_the_bare_mrt_step_is_gone_from_pages_and_api(client, api_client, world):
    case = sheltered(world)
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert client.get(reverse("cases:step", args=[case.pk, "record_mrt_discussion"])).status_code == 404
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    assert api_client.post(f"/api/v1/cases/{case.pk}/record-mrt-discussion/", {}, format="json").status_code == 404


def test_a_bare_mrt_event_is_not_counted_and_is_flagged(world):
    case = services.record_mrt_discussion(**KW, case=sheltered(world), on=today() - 5 * DAY)
    assert figures(today(), [world.ams.location])["locations"]["amsterdam"]["mrt_cases"] == 0
    counts = quality.counts([world.ams.location], today())
    assert counts["locations"]["amsterdam"]["mrt_without_record"] == 1
    services.record_mrt_discussion(**KW, case=case, on=today() - 4 * DAY, imported=True)
    assert figures(today(), [world.ams.location])["locations"]["amsterdam"]["mrt_cases"] == 1


# --- Correcting and disputing an outflow ---------------------------------------------------------


def departed(world) -> Case:
    return services.record_outflow(
        **KW, case=sheltered(world), category="departure_origin", country="ER", on=today() - 10 * DAY
    )


def test_the_case_manager_corrects_an_outflow_and_the_figures_follow(world):
    case = departed(world)
    case = services.confirm_outflow(**KW, case=case)
    before = figures(today(), [world.ams.location])["locations"]["amsterdam"]
    assert before["outflow"]["departure_origin"] == 1 and before["durable_solutions"]["verified"] == 1
    worker = world.ams.users[Role.CASEMANAGER]
    case = services.correct_outflow(
        acting_user=worker,
        origin=COMMAND,
        case=case,
        reason="Niet vertrokken: onbekende bestemming",
        category="unknown_destination",
        on=today() - 8 * DAY,
    )
    assert case.closed_on == today() - 8 * DAY and case.outflow.confirmed_on is None
    event = case.timeline.get(type=EventType.OUTFLOW_CORRECTED)
    assert event.data["previous"]["category"] == "departure_origin" and event.summary.startswith("Niet vertrokken")
    after = figures(today(), [world.ams.location])["locations"]["amsterdam"]
    assert after["outflow"]["departure_origin"] == 0 and after["outflow"]["unknown_destination"] == 1
    assert after["durable_solutions"]["verified"] == 0
    with pytest.raises(ValidationError):
        services.correct_outflow(acting_user=worker, origin=COMMAND, case=case, reason="", category="other")
    with pytest.raises(PermissionDenied):
        services.correct_outflow(
            acting_user=world.ams.users[Role.DTV], origin=COMMAND, case=case, reason="x", category="other"
        )


def test_the_dtv_disputes_and_it_lands_in_the_case_managers_queue(client, world):
    case = departed(world)
    dtv = world.ams.users[Role.DTV]
    client.force_login(dtv)
    response = client.post(
        reverse("cases:step", args=[case.pk, "dispute_outflow"]),
        {"version": case.version, "on": today().isoformat(), "reason": "Geen vertrek vastgesteld bij de grens."},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.outflow.disputed_on == today() and case.outflow.disputed_by == dtv
    client.force_login(world.ams.users[Role.CASEMANAGER])
    html = client.get(reverse("home")).content.decode()
    assert 'data-testid="work-disputed"' in html and case.reference in html
    # The correction answers the dispute; the queue empties.
    services.correct_outflow(
        acting_user=world.ams.users[Role.CASEMANAGER],
        origin=COMMAND,
        case=case,
        reason="Bijgewerkt",
        category="onward_migration",
        country="DE",
    )
    assert 'data-testid="work-disputed"' not in client.get(reverse("home")).content.decode()


def test_dispute_over_the_api_and_404_for_others(api_client, world):
    case = departed(world)
    api_client.force_authenticate(world.ams.users[Role.IND])
    response = api_client.post(
        f"/api/v1/cases/{case.pk}/dispute-outflow/", {"version": case.version, "reason": "Klopt niet"}, format="json"
    )
    assert response.status_code == 200 and response.json()["outflow"]["disputed_on"] == today().isoformat()
    for user in (world.rot.users[Role.DTV], world.ams.users["ngo_b"], world.bureau):
        api_client.force_authenticate(user)
        response = api_client.post(
            f"/api/v1/cases/{case.pk}/correct-outflow/",
            {"version": 1, "reason": "x", "category": "other"},
            format="json",
        )
        assert response.status_code == 404


# --- Reconciliation ---------------------------------------------------------------------------


def test_reconciliation_lists_open_outflows_and_the_dtv_signs_off(client, world):
    case = departed(world)
    dtv = world.ams.users[Role.DTV]
    client.force_login(dtv)
    response = client.get(reverse("cases:reconciliation"), {"location": "amsterdam"})
    assert response.status_code == 200
    html = response.content.decode()
    assert case.reference in html and 'data-testid="reconciliation-ind"' not in html
    response = client.post(
        reverse("cases:reconciliation-sign-off"), {"location": "amsterdam", "up_to": today()}, follow=True
    )
    assert not Reconciliation.objects.exists()  # one is still open: the page again, with why
    assert response.redirect_chain[0][1] == 302
    assert [str(m) for m in response.context["messages"]] == [str(services.RECONCILIATION_OPEN % {"count": 1})]
    services.confirm_outflow(acting_user=dtv, origin=COMMAND, case=case)
    client.post(reverse("cases:reconciliation-sign-off"), {"location": "amsterdam", "up_to": today()})
    signed = Reconciliation.objects.get()
    assert (signed.partner, signed.up_to, signed.outflows, signed.signed_by) == ("dtv", today(), 1, dtv)
    assert 'data-testid="latest-sign-off"' in client.get(reverse("cases:reconciliation")).content.decode()


def test_reconciliation_api_and_404_for_other_lvvs(api_client, world):
    case = departed(world)
    api_client.force_authenticate(world.ams.users[Role.DTV])
    data = api_client.get("/api/v1/reconciliation/", {"location": "amsterdam"}).json()
    assert data["partners"]["dtv"]["open"] == 1 and data["partners"]["dtv"]["first_open"][0]["case"] == case.pk
    assert (
        api_client.post("/api/v1/reconciliation/sign-off/", {"location": "amsterdam"}, format="json").status_code == 400
    )
    api_client.force_authenticate(world.rot.users[Role.DTV])
    assert api_client.get("/api/v1/reconciliation/", {"location": "amsterdam"}).status_code == 404
    api_client.force_authenticate(world.bureau)
    assert api_client.get("/api/v1/reconciliation/", {"location": "amsterdam"}).status_code == 404


def test_reconciliation_page_is_404_for_the_bureau_and_ngo(client, world):
    for user in (world.bureau, world.ams.users[Role.NGO]):
        client.force_login(user)
        assert client.get(reverse("cases:reconciliation")).status_code == 404


# --- Data quality --------------------------------------------------------------------------------


def test_quality_finds_forced_termination_without_check_two_places_and_long_waits(world):
    forced = services.record_outflow(
        **KW, case=sheltered(world), category="forced_termination", enforce_procedure=False
    )
    person = PersonFactory()
    CaseFactory(location=world.rot.location, person=person, sheltered=True)
    # Imported history before the rule: two places at once (written around the service).
    double = CaseFactory(location=world.ams.location, person=person, registered_on=today() - 60 * DAY)
    Case.objects.filter(pk=double.pk).update(
        state="sheltered", decided_on=today() - 50 * DAY, shelter_started_on=today() - 50 * DAY
    )
    waiting = CaseFactory(location=world.ams.location, registered_on=today() - 90 * DAY)
    services.admit(**KW, case=waiting, on=today() - 60 * DAY, require_check=False)
    counts = quality.counts([world.ams.location, world.rot.location], today())
    assert counts["locations"]["amsterdam"]["forced_without_check"] == 1
    assert counts["locations"]["amsterdam"]["two_places"] == 1 and counts["locations"]["rotterdam"]["two_places"] == 1
    assert counts["locations"]["amsterdam"]["admitted_never_sheltered"] == 1
    assert forced.pk in {c.pk for c in quality.cases(world.ams.users[Role.CASEMANAGER], [world.ams.location], today())}


def test_quality_finds_a_waiting_order_breach_without_reason(world):
    first = CaseFactory(location=world.ams.location, registered_on=today() - 90 * DAY)
    services.admit(**KW, case=first, on=today() - 60 * DAY, require_check=False)
    later = CaseFactory(location=world.ams.location, registered_on=today() - 90 * DAY)
    later = services.admit(**KW, case=later, on=today() - 50 * DAY, require_check=False)
    services.start_shelter(**KW, case=later, on=today() - 40 * DAY, enforce_capacity=False)  # history
    assert quality.counts([world.ams.location], today())["total"]["waiting_order_breach"] == 1
    other = CaseFactory(location=world.ams.location, registered_on=today() - 90 * DAY)
    other = services.admit(**KW, case=other, on=today() - 45 * DAY, require_check=False)
    services.start_shelter(**KW, case=other, on=today() - 40 * DAY, skip_reason="Acuut medisch")
    assert quality.counts([world.ams.location], today())["total"]["waiting_order_breach"] == 1  # with a reason: fine


# --- Rest period and safe countries --------------------------------------------------------------


def test_rest_period_third_trigger_dossier_complete_and_scenario_set(world):
    ProgrammeSettings.objects.update_or_create(
        pk=1, defaults={"rest_period_trigger": RestPeriodTrigger.DOSSIER_AND_SCENARIO}
    )
    case = sheltered(world)
    case = services.request_dossier(**KW, case=case, on=today() - 20 * DAY)
    case = services.deliver_dossier_part(**KW, case=case, kind="IND", on=today() - 15 * DAY)
    case = services.deliver_dossier_part(**KW, case=case, kind="DTV", on=today() - 12 * DAY)
    assert not case.deadlines.filter(kind=DeadlineKind.REST_PERIOD_END, resolved_on__isnull=True).exists()
    case = services.set_scenario(**KW, case=case, direction="departure", on=today() - 5 * DAY)
    rest = case.deadlines.get(kind=DeadlineKind.REST_PERIOD_END)
    assert rest.due_on == today() - 5 * DAY + 14 * DAY and rest.resolved_on is None


def test_maximum_stay_follows_from_a_listed_nationality(world):
    Location.objects.filter(pk=world.ams.location.pk).update(safe_country_max_stay_days=90)
    SafeCountry.objects.create(country="MA", listed_from=datetime.date(2015, 1, 1))
    SafeCountry.objects.create(
        country="DZ", listed_from=datetime.date(2015, 1, 1), listed_until=datetime.date(2016, 1, 1)
    )
    listed = CaseFactory(location=world.ams.location, person=PersonFactory(nationality="MA"), sheltered=True)
    delisted = CaseFactory(location=world.ams.location, person=PersonFactory(nationality="DZ"), sheltered=True)
    other = CaseFactory(location=world.ams.location, person=PersonFactory(nationality="ER"), sheltered=True)
    assert listed.deadlines.get(kind=DeadlineKind.MAX_STAY).due_on == listed.shelter_started_on + 90 * DAY
    assert not delisted.deadlines.filter(kind=DeadlineKind.MAX_STAY).exists()
    assert not other.deadlines.filter(kind=DeadlineKind.MAX_STAY).exists()
    assert deadlines.safe_country_on(listed, listed.shelter_started_on)
