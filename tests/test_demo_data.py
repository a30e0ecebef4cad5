"""The demo data (``manage.py seed_demo``, contracts in each app's demo part): what the demo
shows per app, that twice is the same as once, and that it is deterministic.

Seeding takes seconds, so the module seeds ONE demo and its tests share it: a module-scoped
fixture seeds it in an outer transaction (with the on-commit callbacks run: the inbox notices
are made on commit), each test's own transaction is a savepoint inside it (what a test changes
is undone), and at the module's end the transaction is rolled back and the documents the seed
stored are removed. Under xdist each worker that runs tests of this module seeds once.
The cheap seeds without cases (the default password, DEBUG off) are in tests/core/test_seed_demo.py.
"""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone, translation

from cases import demo, inboxes, tasks
from cases.models import (
    Case,
    CaseOwnerChange,
    CooperationCheck,
    Deadline,
    DeadlineKind,
    Document,
    DocumentKind,
    EventType,
    Note,
    NoteKind,
    Notification,
    Outflow,
    Person,
    Scenario,
    TimelineEvent,
)
from cases.workflow import State
from lso import selectors as lso_selectors
from lso.demo_inboxes import LATE_REQUEST
from lso.models import Action, AgendaItem, ItemOutcome, Meeting, MeetingStatus, PreparationNote, ReviewNote
from lvv.access import policy
from lvv.accounts.models import User
from lvv.demo import PILOT_START, seed_core
from lvv.partners.models import Location, Organisation, OrganisationKind
from mrt import selectors as mrt_selectors
from mrt.models import Advice, Escalation, MrtSession
from procedures.models import Application, DeparturePlan, DepartureStep
from tests.cases.document_helpers import documents_root, empty_documents_root, stored_files
from tests.cases.test_inboxes import OUR_INBOXES
from tests.cases.test_special_case_types import case_types_event_details
from tests.cases.test_special_case_types import page as case_page

# Cases per LVV: enough for every app's part to show each of its kinds somewhere (the
# procedures need 12 for every kind and outcome of application).
CASES = 12
SEED = ("seed_demo", "--cases", str(CASES), "--password", "pw-demo")

pytestmark = pytest.mark.django_db  # each test in a savepoint inside the module's transaction

LVVS = {"amsterdam": 360, "rotterdam": 117, "utrecht": 235, "eindhoven": 130, "groningen": 300}
ROLES = ["casemanager", "ngo", "lsochair", "dtv", "ind", "privacy_officer"]
CONVERSION = "bekering of lhbti"
SPECIAL_LABELS = ("medische problematiek", "psychische problematiek", CONVERSION)


def seed() -> None:
    """``seed_demo`` as a developer runs it, with the callbacks run on commit."""
    with override_settings(DEBUG=True), translation.override("nl"):
        with TestCase.captureOnCommitCallbacks(execute=True):
            call_command(*SEED)


@pytest.fixture(scope="module", autouse=True)
def demo_seeded(django_db_setup, django_db_blocker):
    """One demo for the module's tests, rolled back (and its stored files removed) at the end."""
    with django_db_blocker.unblock():
        empty_documents_root()  # the documents test counts the files in the store
        with transaction.atomic():
            seed()
            yield
            transaction.set_rollback(True)
        empty_documents_root()


@pytest.fixture(autouse=True)
def files_of_the_test(db):
    """Files a test's seed stores are removed with the test's transaction: the next tests see
    the module's demo and its files only."""
    before = set(stored_files())
    yield
    for path in set(stored_files()) - before:
        (documents_root() / path).unlink()


def demo_context():
    """What the core seeded, for calling one app's seeder again."""
    return seed_core("pw-demo", CASES)


# --- Snapshots: what twice-is-once and determinism compare -----------------------------------------


def core_snapshot():
    return (
        sorted(Location.objects.values_list("slug", flat=True)),
        sorted(Organisation.objects.values_list("name", "kind")),
        sorted(User.objects.values_list("username", "organisation__name", "roles")),
        sorted(Case.objects.values_list("external_id", "location__slug", "assigned_ngo__name", "person__v_number")),
        Person.objects.count(),
    )


def trajectory_snapshot():
    """The demo's trajectory: states, records, timeline, deadlines and notifications."""
    return (
        sorted(Case.objects.values_list("external_id", "state", "registered_on", "shelter_started_on", "closed_on")),
        sorted(Deadline.objects.values_list("case__external_id", "kind", "due_on", "resolved_on")),
        sorted(TimelineEvent.objects.values_list("case__external_id", "type", "occurred_on")),
        sorted(Outflow.objects.values_list("case__external_id", "category", "confirmed_on")),
        Notification.objects.count(),
    )


def lso_snapshot():
    return (
        sorted(Meeting.objects.values_list("location__slug", "date", "start_time", "status")),
        sorted(AgendaItem.objects.values_list("meeting__date", "case__external_id", "reason", "order")),
        sorted(ItemOutcome.objects.values_list("item__case__external_id", "decision", "advice_followed")),
        sorted(Action.objects.values_list("case__external_id", "description", "due_on", "done_on")),
        sorted(Escalation.objects.values_list("case__external_id", "reason", "status", "escalated_on")),
        sorted(Advice.objects.values_list("escalation__case__external_id", "direction", "given_on")),
        sorted(MrtSession.objects.values_list("location__slug", "date")),
        sorted(ReviewNote.objects.values_list("case__external_id", "flagged", "reviewed_on")),
        sorted(TimelineEvent.objects.values_list("case__external_id", "type", "occurred_on")),
    )


def procedures_snapshot():
    return (
        sorted(
            Application.objects.values_list(
                "case__external_id", "kind", "submitted_on", "submitted_by", "decided_on", "outcome"
            )
        ),
        sorted(DepartureStep.objects.values_list("case__external_id", "kind", "on", "partner")),
        sorted(DeparturePlan.objects.values_list("case__external_id", "made_on", "planned_on", "support")),
    )


def demo_cases():
    return Case.objects.filter(external_id__contains="-DEMO-")


def notes_snapshot():
    notes = Note.objects.filter(case__external_id__contains="-DEMO-")
    return sorted(notes.values_list("case__external_id", "written_on", "kind", "confidentiality", "text"))


def owner_changes():
    return list(CaseOwnerChange.objects.order_by("pk").values_list("case_id", "role", "from_user", "to_user", "reason"))


def inbox_notices():
    ours = Notification.objects.filter(kind=Notification.Kind.INBOX, inbox__in=OUR_INBOXES)
    return sorted(ours.values_list("user__username", "inbox", "case_id"))


def everything():
    """All that the demo's tests compare between two seeds."""
    return {
        "core": core_snapshot(),
        "trajectory": trajectory_snapshot(),
        "lso": lso_snapshot(),
        "procedures": procedures_snapshot(),
        "inbox notices": inbox_notices(),
        "conversion cases": demo_cases().filter(case_types__contains=["conversion_or_lgbti"]).count(),
        "notes": notes_snapshot(),
        "owner changes": owner_changes(),
        "documents": sorted(Document.objects.values_list("case__external_id", "kind", "title", "sha256")),
    }


def test_twice_is_the_same_as_once():
    first = everything()
    seed()
    second = everything()
    for key, value in first.items():
        assert second[key] == value, key


def test_the_demo_is_deterministic():
    first = trajectory_snapshot(), core_snapshot()
    Notification.objects.all().delete()
    Case.objects.all().delete()
    Person.objects.all().delete()
    seed()
    assert (trajectory_snapshot(), core_snapshot()) == first


# --- The core: LVVs, partners, accounts ----------------------------------------------------------


def test_the_core_per_contract():
    for slug, places in LVVS.items():
        location = Location.objects.get(slug=slug)
        assert location.capacity_on(datetime.date(2019, 4, 1)) == places
        assert Organisation.objects.filter(kind=OrganisationKind.NGO, service_links__location=location).exists()
        assert Case.objects.filter(location=location).count() == CASES
        for role in ROLES:
            user = User.objects.get(username=f"{role}.{slug}")
            assert user.roles == [role]
            assert user.check_password("pw-demo")
    assert User.objects.get(username="bureau").roles == ["bureau"]
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    for kind in (OrganisationKind.IND, OrganisationKind.DTV, OrganisationKind.PROGRAMME_BUREAU):
        assert Organisation.objects.filter(kind=kind).exists()


# --- Cases: every stage, notes, owners, documents, special case types, inboxes --------------------


def test_the_cases_spread_over_every_stage():
    today = timezone.localdate()
    # Every state but "waitlisted", which means no place is left: the demo's LVVs have room,
    # so the admitted wait in the one queue as "admitted" until a place is offered.
    assert set(Case.objects.values_list("state", flat=True)) == set(State.values) - {State.WAITLISTED}
    queue = Case.objects.filter(state=State.ADMITTED, shelter_started_on__isnull=True, closed_on__isnull=True)
    assert queue.exists() and not queue.filter(waitlisted_on__isnull=True).exists()
    assert Deadline.objects.filter(resolved_on__isnull=True, due_on__lt=today).exists()  # overdue items
    # Dates are in the past (the services refuse future dates), from the pilots' start on.
    assert not TimelineEvent.objects.filter(occurred_on__gt=today).exists()
    assert not TimelineEvent.objects.filter(occurred_on__lt=PILOT_START).exists()
    # The stages between the states: dossiers, rest period, scenarios, checks, MRT, outflow.
    sheltered = Case.objects.filter(state=State.SHELTERED)
    assert sheltered.filter(dossier_parts__delivered_on__isnull=True, dossier_parts__requested_on__isnull=False)
    assert Deadline.objects.filter(kind=DeadlineKind.REST_PERIOD_END, resolved_on__isnull=True, due_on__gte=today)
    assert Deadline.objects.filter(kind=DeadlineKind.REST_PERIOD_END, resolved_on__isnull=True, due_on__lt=today)
    assert set(Scenario.objects.values_list("direction", flat=True)) == {"departure", "residence"}
    assert CooperationCheck.objects.filter(result="insufficient").exists()
    assert TimelineEvent.objects.filter(type="mrt_discussed").exists()
    assert Outflow.objects.values("category").distinct().count() >= 5
    assert Outflow.objects.filter(confirmed_on__isnull=False).exists()
    assert Notification.objects.exists()
    # The nightly job finds nothing to change: the services computed every deadline.
    assert tasks.recompute_cases() == 0


def test_notes_of_every_kind_and_both_confidentialities():
    notes = Note.objects.filter(case__external_id__contains="-DEMO-")
    assert set(notes.values_list("kind", flat=True)) == set(NoteKind.values)
    assert set(notes.values_list("confidentiality", flat=True)) == {"normal", "special"}
    assert notes.filter(corrects__isnull=False).exists()
    assert not notes.filter(written_on__gt=timezone.localdate()).exists()
    assert TimelineEvent.objects.filter(type=EventType.NOTE).count() == notes.count()
    before = notes_snapshot()
    assert demo.seed_notes(demo_context()) == 0  # idempotent
    assert notes_snapshot() == before


def test_owners():
    cases = demo_cases().select_related("location", "assigned_ngo")
    users = {user.username: user for user in User.objects.all()}
    for case in cases:
        assert case.case_manager == users[f"casemanager.{case.location.slug}"], case
        ngo_user = users[f"ngo.{case.location.slug}"]
        if case.assigned_ngo_id == ngo_user.organisation_id:
            assert case.ngo_guide == ngo_user, case
        else:
            assert case.ngo_guide is None, case
    handed = CaseOwnerChange.objects.filter(case__in=cases, from_user__isnull=False, reason__gt="")
    assert handed.exists()
    assert Notification.objects.filter(kind="handed_over", case__in=cases).exists()
    before = owner_changes()
    assert demo.seed_owners(demo_context()) == 0  # idempotent
    assert owner_changes() == before


def read_back(document: Document) -> bytes:
    with document.file.open("rb") as handle:
        return handle.read()


def test_documents():
    demo_documents = Document.objects.filter(case__external_id__contains="-DEMO-")
    assert set(demo_documents.values_list("kind", flat=True)) == set(DocumentKind.values)
    assert set(demo_documents.values_list("confidentiality", flat=True)) == {"normal", "special"}
    assert demo_documents.filter(dossier_part__isnull=False).exists()
    for document in demo_documents:
        assert read_back(document)[:4] in (b"%PDF", b"\x89PNG", b"PK\x03\x04")
        assert hashlib.sha256(read_back(document)).hexdigest() == document.sha256
    before = demo_documents.count()
    assert demo.seed_documents(demo_context()) == 0  # idempotent
    assert demo_documents.count() == before and len(stored_files()) == before


def test_special_case_types_shown_to_some_and_not_to_others(client):
    cases = demo_cases()
    assert cases.filter(case_types__overlap=["medical", "psychological"]).exists()
    conversion = list(cases.filter(case_types__contains=["conversion_or_lgbti"]).select_related("location"))
    assert conversion
    for case in conversion:
        slug = case.location.slug
        event = case.timeline.get(type=EventType.CASE_TYPES_SET)
        assert "conversion_or_lgbti" in event.data["case_types"]
        response = case_page(client, User.objects.get(username=f"casemanager.{slug}"), case)
        assert CONVERSION in response.context["case_type_labels"]
        assert any(CONVERSION in details for details in case_types_event_details(response))
        unseen = 0
        for role in ("ngo", "ind", "dtv"):
            reader = User.objects.get(username=f"{role}.{slug}")
            if policy.can_view_special_category(reader, case):
                continue  # another app's demo may open this case's special-category data to a partner
            response = case_page(client, reader, case)
            html = response.content.decode()
            assert CONVERSION not in html, role
            assert not [label for label in SPECIAL_LABELS if label in response.context["case_type_labels"]], role
            unseen += 1
        assert unseen  # at least the NGO's guide, who is never given that permission


def inbox_keys(user, key) -> list[int]:
    """The case ids in ``user``'s inbox ``key``, in the inbox's order."""
    return list(inboxes.get_for_user(user, key).items(user).values_list("pk", flat=True))


def inbox_notices_of(user, key) -> list[tuple[int, str]]:
    rows = Notification.objects.filter(user=user, kind=Notification.Kind.INBOX, inbox=key)
    return sorted(rows.values_list("case_id", "inbox"))


def test_every_partner_role_inbox_has_items_and_notices():
    slugs = tuple(LVVS)
    for role in ("ind", "dtv", "lsochair"):
        # A small demo spreads the stages over the LVVs: every role has items and notices
        # somewhere; the default demo (40 per LVV) fills every account's inboxes.
        users = [User.objects.get(username=f"{role}.{slug}") for slug in slugs]
        assert any(sum(inboxes.counts(user).values()) for user in users), role
        assert Notification.objects.filter(user__in=users, kind=Notification.Kind.INBOX).exists(), role
    # A request after the agendas were made, where an open case is on no agenda: the chair has
    # it to prepare, and was told.
    requested = TimelineEvent.objects.filter(summary=LATE_REQUEST).values_list("case__location__slug", "case")
    assert requested
    for slug, case_id in requested:
        chair_user = User.objects.get(username=f"lsochair.{slug}")
        assert case_id in inbox_keys(chair_user, "lso_prepare")
        assert (case_id, "lso_prepare") in inbox_notices_of(chair_user, "lso_prepare")
    for key in ("dtv_dossier", "dtv_confirm", "dtv_review", "lso_mrt_advice", "lso_prepare"):
        assert Notification.objects.filter(kind=Notification.Kind.INBOX, inbox=key).exists(), key


# --- LSO and MRT ---------------------------------------------------------------------------------


def test_meetings_minutes_escalations_and_reviews():
    today = timezone.localdate()
    statuses = set(Meeting.objects.values_list("status", flat=True))
    assert statuses == {MeetingStatus.MINUTES_FINAL, MeetingStatus.HELD, MeetingStatus.PUBLISHED, MeetingStatus.DRAFT}
    assert Meeting.objects.filter(date__lt=today).exists() and Meeting.objects.filter(date__gt=today).exists()
    assert ItemOutcome.objects.filter(decision="scenario").exists()
    assert Action.objects.filter(done_on__isnull=True, due_on__lt=today).exists()  # open and overdue
    assert Action.objects.filter(done_on__isnull=False).exists()
    assert Escalation.objects.filter(advice__isnull=False).exists()
    assert Escalation.objects.filter(advice__isnull=True).exists()
    assert Advice.objects.filter(no_durable_solution_possible=True).exists()
    assert ReviewNote.objects.filter(flagged=True).exists()
    assert not TimelineEvent.objects.filter(occurred_on__gt=today).exists()
    assert tasks.recompute_cases() == 0
    # The work queues have something to show.
    assert lso_selectors.open_actions_for(User.objects.get(username="dtv.amsterdam")).exists()
    upcoming = Meeting.objects.filter(location__slug="amsterdam", status=MeetingStatus.PUBLISHED).get()
    assert upcoming.items.exists() and upcoming.items.filter(notes__isnull=False).exists()


def test_special_lso_and_mrt_texts_shown_to_some_and_withheld_from_others():
    manager = User.objects.get(username="casemanager.amsterdam")  # has the permission
    dtv = User.objects.get(username="dtv.amsterdam")  # has it on one case
    ngo = User.objects.get(username="ngo.amsterdam")
    special_review = ReviewNote.objects.get(case__location__slug="amsterdam", confidentiality="special")
    for user, sees in ((manager, True), (dtv, True), (User.objects.get(username="ind.amsterdam"), False)):
        [read] = list(lso_selectors.visible_review_notes(user).filter(pk=special_review.pk))
        assert read.text_withheld is not sees
    notes = PreparationNote.objects.filter(item__meeting__location__slug="amsterdam", confidentiality="special")
    assert notes.exists()
    for user, sees in ((manager, True), (ngo, False), (User.objects.get(username="lsochair.amsterdam"), False)):
        read = lso_selectors.preparation_notes(user).filter(pk__in=notes.values("pk"))
        assert {note.text_withheld for note in read} == {not sees}
    assert not TimelineEvent.objects.filter(summary__in=list(notes.values_list("text", flat=True))).exists()
    assert not TimelineEvent.objects.filter(summary=special_review.text).exists()
    # The MRT's reasoning (outside Groningen) speaks of health: marked, recorded by the case manager.
    advice = Advice.objects.filter(reasoning_confidentiality="special").select_related("escalation__case__location")
    assert advice.exists()
    for one in advice:
        slug = one.escalation.case.location.slug
        for username, sees in ((f"casemanager.{slug}", True), (f"lsochair.{slug}", False), (f"ind.{slug}", False)):
            [read] = list(mrt_selectors.visible_advice(User.objects.get(username=username)).filter(pk=one.pk))
            assert read.reasoning_withheld is not sees
        assert not TimelineEvent.objects.filter(summary=one.reasoning).exists()


# --- Procedures and departure preparation ----------------------------------------------------------


def test_procedures_and_departures():
    applications, steps, plans = procedures_snapshot()
    assert {row[1] for row in applications} == {
        "asylum_repeat",
        "no_fault",
        "regular",
        "medical_art64",
        "appeal",
    }
    assert {row[5] for row in applications} == {"", "granted", "rejected", "withdrawn"}
    assert Application.objects.filter(kind="asylum_repeat", decided_on__isnull=True).exists()
    assert Application.objects.filter(kind="regular", outcome="granted").exists()
    assert {row[1] for row in steps} >= {"identity_established", "embassy_presentation", "travel_document_received"}
    assert {row[3] for row in steps} == {"dtv", "iom"}
    assert {row[3] for row in plans} == {"iom", "independent"}
    # The IND recorded its decisions, the case worker the court's.
    deciders = Application.objects.exclude(decided_by=None).values_list("kind", "decided_by__roles")
    assert {(kind, tuple(roles)) for kind, roles in deciders} == {
        ("appeal", ("casemanager",)),
        ("regular", ("ind",)),
        ("asylum_repeat", ("ind",)),
        ("medical_art64", ("ind",)),
    }
