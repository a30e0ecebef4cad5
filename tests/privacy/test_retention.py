"""Retention (contracts/privacy.md): due cases lose what identifies the person and keep what
the figures read; the monitor gives the same JSON at every date before and after; legal
holds, dry runs, idempotence, the command and the nightly job."""

from __future__ import annotations

import datetime
import io
import json
import os

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from cases import services
from cases.importer import run_import
from cases.models import Case, Document, Note, Person, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from monitor.figures import figures
from privacy.models import LegalHold, RetentionPeriod, RetentionRecord
from privacy.retention import apply_retention, due_cases
from tests.monitor.test_properties import (
    BASE,
    PROPERTY_SETTINGS,
    build_all,
    case_spec,
)

pytestmark = pytest.mark.django_db

OUTCOMES = [
    ("departure_origin", "ER", True),
    ("residence_granted", None, True),
    ("onward_migration", "DE", False),
    ("asylum_centre", None, False),
    ("back_to_bbb", None, False),
    ("forced_termination", None, False),
    ("unknown_destination", None, False),
    (None, None, False),  # still open
]


def _lines() -> bytes:
    """Twenty cases over two LVVs from 2019: every outcome, scenarios, MRT discussions with
    and without conclusion, a rejection, the waiting list, one person in both LVVs."""
    lines = []
    start = datetime.date(2019, 4, 1)
    for n in range(20):
        lvv = "amsterdam" if n % 2 else "rotterdam"
        day = start + datetime.timedelta(days=37 * n)
        events = [{"type": "registered", "date": day.isoformat()}]
        v_number = f"{4000000000 + n}"
        if n == 7:
            events.append(
                {
                    "type": "rejected",
                    "date": (day + datetime.timedelta(days=3)).isoformat(),
                    "reason": "Geen regiobinding",
                }
            )
        else:
            events.append({"type": "admitted", "date": (day + datetime.timedelta(days=3)).isoformat()})
            if n % 5 != 4:
                events.append({"type": "shelter_started", "date": (day + datetime.timedelta(days=10)).isoformat()})
                events.append(
                    {
                        "type": "scenario_set",
                        "date": (day + datetime.timedelta(days=40)).isoformat(),
                        "direction": "departure" if n % 3 else "residence",
                    }
                )
                if n % 4 == 0:
                    events.append(
                        {
                            "type": "mrt_discussed",
                            "date": (day + datetime.timedelta(days=90)).isoformat(),
                            "outcome": "no_durable_solution_possible" if n % 8 == 0 else None,
                        }
                    )
                category, country, verified = OUTCOMES[n % len(OUTCOMES)]
                if category:
                    outflow = {
                        "type": "outflow",
                        "date": (day + datetime.timedelta(days=200)).isoformat(),
                        "category": category,
                        "verified": verified,
                    }
                    if country:
                        outflow["country"] = country
                    events.append(outflow)
        lines.append(
            {
                "schema": "lvv-case/1",
                "external_id": f"RET-{n:03d}",
                "lvv": lvv,
                "person": {
                    "v_number": v_number,
                    "family_name": f"Achternaam{n}",
                    "given_names": f"Voornaam{n}",
                    "birth_date": f"1985-06-0{1 + n % 9}",
                    "sex": "mfx"[n % 3],
                    "nationality": "ER",
                },
                "case_types": ["medical"] if n % 3 == 0 else [],
                "events": events,
            }
        )
    # The person of line 0 (departed from Rotterdam) comes back later in Amsterdam.
    lines.append(
        {
            "schema": "lvv-case/1",
            "external_id": "RET-100",
            "lvv": "amsterdam",
            "person": {"v_number": "4000000000", "family_name": "Achternaam0", "given_names": "Voornaam0"},
            "events": [
                {"type": "registered", "date": "2021-06-01"},
                {"type": "admitted", "date": "2021-06-02"},
                {"type": "shelter_started", "date": "2021-06-03"},
            ],
        }
    )
    return "\n".join(json.dumps(line) for line in lines).encode()


@pytest.fixture
def history(world, tmp_path, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    run_import(_lines(), acting_user=SYSTEM, origin=COMMAND)
    case = Case.objects.get(external_id="RET-001")
    services.add_note(
        acting_user=SYSTEM,
        origin=COMMAND,
        case=case,
        written_on=datetime.date(2020, 1, 2),
        kind="conversation",
        text="Gesprek over terugkeer",
    )
    document = Document(
        case=case,
        title="Brief",
        kind="correspondence",
        content_type="application/pdf",
        size=4,
        sha256="0" * 64,
        original_name="brief.pdf",
    )
    document.file.save("x", ContentFile(b"%PDF"), save=False)
    document.save()
    Case.objects.filter(pk=case.pk).update(health_notes="Diabetes", exception_reason="")
    return {"case": case, "document": document, "tmp": tmp_path}


def _monitor_at_many_dates() -> dict:
    days = [datetime.date(2019, 3, 1) + datetime.timedelta(days=45 * k) for k in range(40)]
    return {day.isoformat(): figures(day) for day in days}


def test_the_monitor_is_the_same_at_every_date_before_and_after(history):
    before = _monitor_at_many_dates()
    far = timezone.localdate() + datetime.timedelta(days=365 * 20)
    report = apply_retention(today=far)
    closed = Case.objects.exclude(state__in=["registered", "admitted", "waitlisted", "sheltered"]).count()
    assert report.total == closed > 10
    assert _monitor_at_many_dates() == before


def test_retained_cases_keep_no_identifying_data(history, django_capture_on_commit_callbacks):
    case, document = history["case"], history["document"]
    path = document.file.path
    with django_capture_on_commit_callbacks(execute=True):  # the files go after the commit
        apply_retention(today=timezone.localdate() + datetime.timedelta(days=365 * 20))
    case.refresh_from_db()
    assert case.external_id == "" and case.health_notes == "" and case.case_types == []
    assert not Note.objects.filter(case=case).exists()
    assert not Document.objects.filter(case=case).exists()
    assert not os.path.exists(path)
    assert not TimelineEvent.objects.filter(case=case).exclude(summary="").exists()
    rejected = Case.objects.get(retention__isnull=False, state="rejected")
    assert rejected.rejection_reason == ""
    person = case.person
    person.refresh_from_db()
    assert (person.family_name, person.given_names, person.v_number, person.birth_date) == ("", "", None, None)
    # The person of the re-entry still has a kept (open) case: identity stays.
    returning = Person.objects.get(cases__external_id="RET-100")
    assert returning.v_number == "4000000000" and returning.family_name == "Achternaam0"
    assert AccessLogEntry.objects.filter(action="retention", about_case=case.pk).count() == 1


def test_only_cases_past_their_period_go_and_holds_stop_it(history):
    RetentionPeriod.objects.update(years=5)
    day = datetime.date(2025, 12, 1)
    due = set(due_cases(day).values_list("external_id", flat=True))
    expected = {
        c.external_id
        for c in Case.objects.select_related("outflow")
        if (c.state == "rejected" and c.decided_on < datetime.date(2020, 12, 1))
        or (hasattr(c, "outflow") and c.outflow.outflow_on < datetime.date(2020, 12, 1))
    }
    assert due == expected and due
    held_case = Case.objects.get(external_id=sorted(due)[0])
    LegalHold.objects.create(case=held_case, reason="Lopende klacht")
    held_person = Case.objects.get(external_id=sorted(due)[1]).person
    LegalHold.objects.create(person=held_person, reason="Verzoek archivaris")
    apply_retention(today=day)
    assert not RetentionRecord.objects.filter(case=held_case).exists()
    assert not RetentionRecord.objects.filter(case__person=held_person).exists()
    assert RetentionRecord.objects.count() == len(due) - 2


def test_dry_run_reports_per_lvv_and_outcome_and_changes_nothing(history):
    far = timezone.localdate() + datetime.timedelta(days=365 * 20)
    out = io.StringIO()
    call_command("apply_retention", "--today", far.isoformat(), "--dry-run", stdout=out)
    assert "LVV Amsterdam\tdeparture_origin" in out.getvalue() or "LVV Rotterdam\tdeparture_origin" in out.getvalue()
    assert "would be retained" in out.getvalue()
    assert not RetentionRecord.objects.exists() and Note.objects.exists()
    assert not AccessLogEntry.objects.filter(action="retention").exists()


def test_running_twice_changes_nothing_the_second_time(history):
    far = timezone.localdate() + datetime.timedelta(days=365 * 20)
    out = io.StringIO()
    call_command("apply_retention", "--today", far.isoformat(), stdout=out)
    first = RetentionRecord.objects.count()
    rows = AccessLogEntry.objects.count()
    second = apply_retention(today=far)
    assert second.total == 0 and RetentionRecord.objects.count() == first
    assert AccessLogEntry.objects.count() == rows


def test_the_nightly_job_is_scheduled():
    assert django_settings.CELERY_BEAT_SCHEDULE["privacy-apply-retention"]["task"] == "privacy.apply_retention"


def test_every_outcome_has_a_default_period_with_its_source(db):
    from privacy.models import RetentionOutcome

    periods = {period.outcome: period for period in RetentionPeriod.objects.all()}
    assert set(periods) == set(RetentionOutcome.values)
    assert all(period.years >= 1 and period.source for period in periods.values())


# --- The invariant over generated histories (hypothesis, derandomized) -------------------------


@settings(PROPERTY_SETTINGS, max_examples=12)
@given(specs=st.lists(case_spec, min_size=1, max_size=4))
def test_retention_never_changes_the_monitor_at_any_date(locations, specs):
    days = [BASE + datetime.timedelta(days=offset) for offset in range(0, 200, 30)]
    with transaction.atomic():
        build_all(specs, locations)
        before = [figures(day, locations) for day in days]
        apply_retention(today=timezone.localdate() + datetime.timedelta(days=365 * 30))
        after = [figures(day, locations) for day in days]
        transaction.set_rollback(True)
    assert after == before
