"""Partner inboxes: each fills when its event happens (through the services) and empties
when the work is recorded; the people who should act are told once, after the commit, and
no one else (not another LVV, not a user who cannot see the case, not the one who acted)."""

from __future__ import annotations

import datetime

import pytest
from guardian.shortcuts import assign_perm

from cases import inboxes, services
from cases.models import EventType, Notification
from lso import services as lso_services
from lso.models import Decision
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory, UserFactory
from tests.lso.helpers import chair, discussed, published, today
from tests.mrt.helpers import advise, escalate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dutch")]


REGISTERED = datetime.date(2020, 1, 6)
DAY = datetime.timedelta(days=1)
SYS = {"acting_user": SYSTEM, "origin": COMMAND}


def by(user) -> dict:
    """The service's keywords for a step ``user`` takes."""
    return {"acting_user": user, "origin": COMMAND}


def read_notices(user) -> None:
    Notification.objects.filter(user=user).update(read_at=datetime.datetime(2020, 2, 1, tzinfo=datetime.UTC))


# The inboxes of the cases, LSO and MRT apps (a later app may register more).
OUR_INBOXES = [
    "ind_dossier",
    "ind_confirm",
    "dtv_dossier",
    "dtv_confirm",
    "dtv_review",
    "lso_mrt_advice",
    "lso_prepare",
]


def ours(counts: dict) -> dict:
    return {key: n for key, n in counts.items() if key in OUR_INBOXES}


def keys(user, key) -> list[int]:
    """The case ids in ``user``'s inbox ``key``, in the inbox's order."""
    return list(inboxes.get_for_user(user, key).items(user).values_list("pk", flat=True))


def notices(user, key=None) -> list[tuple[int, str]]:
    rows = Notification.objects.filter(user=user, kind=Notification.Kind.INBOX)
    if key:
        rows = rows.filter(inbox=key)
    return sorted(rows.values_list("case_id", "inbox"))


def inbox_notices() -> list[tuple[str, int, str]]:
    rows = Notification.objects.filter(kind=Notification.Kind.INBOX).select_related("user")
    return sorted((n.user.username, n.case_id, n.inbox) for n in rows)


@pytest.fixture
def admitted(world):
    return CaseFactory(location=world.ams.location, assigned_ngo=world.ams.ngo_a, admitted=True)


def test_the_registry_names_every_partner_inbox(world):
    # (A later app may add more: the procedures app adds the IND's applications to decide.)
    assert [box.key for box in inboxes.all_inboxes() if box.key in OUR_INBOXES] == OUR_INBOXES
    users = world.ams.users
    assert [b.key for b in inboxes.for_user(users[Role.IND]) if b.key in OUR_INBOXES] == [
        "ind_dossier",
        "ind_confirm",
    ]
    assert [b.key for b in inboxes.for_user(users[Role.DTV]) if b.key in OUR_INBOXES] == [
        "dtv_dossier",
        "dtv_confirm",
        "dtv_review",
    ]
    assert [b.key for b in inboxes.for_user(users[Role.LSO_CHAIR]) if b.key in OUR_INBOXES] == [
        "lso_mrt_advice",
        "lso_prepare",
    ]
    for user in (users[Role.CASEMANAGER], users[Role.NGO], world.bureau, SYSTEM):
        assert inboxes.for_user(user) == []
    with pytest.raises(inboxes.InboxNotFound):
        inboxes.get_for_user(users[Role.IND], "dtv_dossier")
    with pytest.raises(inboxes.InboxNotFound):
        inboxes.get_for_user(world.bureau, "ind_dossier")


def test_a_later_app_registers_one_more_inbox_without_changes_here(world, admitted, django_capture_on_commit_callbacks):
    from cases.models import Case

    box = inboxes.Inbox(
        key="test_decision",
        title="Aanvragen wachtend op een besluit",
        roles=(Role.IND,),
        pending=lambda user: Case.objects.visible_to(user).filter(state="admitted"),
        annotations=lambda: {"inbox_since": inboxes.models.F("registered_on"), "inbox_due": inboxes.no_date()},
        item_label="aanvraag ingediend",
        done="Tot het besluit.",
        link=lambda case: f"/cases/{case.pk}/",
        arrives_on={EventType.NOTE: None},
        order=15,
    )
    inboxes.register(box)
    try:
        ind = world.ams.users[Role.IND]
        mine = [b.key for b in inboxes.for_user(ind) if b.key in (*OUR_INBOXES, "test_decision")]
        assert mine == ["ind_dossier", "test_decision", "ind_confirm"]
        assert inboxes.counts(ind)["test_decision"] == 1
        with django_capture_on_commit_callbacks(execute=True):
            services.add_note(
                acting_user=world.ams.users[Role.CASEMANAGER],
                origin=COMMAND,
                case=admitted,
                written_on=REGISTERED,
                kind="other",
                text="Aanvraag ingediend.",
            )
        assert notices(ind, "test_decision") == [(admitted.pk, "test_decision")]
    finally:
        inboxes._registry.pop("test_decision")


# --- IND and DT&V: dossier parts, from the moment of the request -----------------------------


def test_a_dossier_request_fills_both_partner_inboxes_and_delivery_empties_them(
    world, admitted, django_capture_on_commit_callbacks
):
    ams = world.ams
    ind, dtv = ams.users[Role.IND], ams.users[Role.DTV]
    assert keys(ind, "ind_dossier") == [] and keys(dtv, "dtv_dossier") == []
    worker = ams.users[Role.CASEMANAGER]
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.request_dossier(**by(worker), case=admitted, on=REGISTERED)
    assert len(callbacks) == 1
    # From the moment of the request, not only when the deadline comes near.
    assert keys(ind, "ind_dossier") == [admitted.pk]
    assert keys(dtv, "dtv_dossier") == [admitted.pk]
    item = inboxes.get_for_user(ind, "ind_dossier").items(ind).get()
    assert item.inbox_since == REGISTERED and item.inbox_due == REGISTERED + 14 * DAY
    # Told once: the IND and the DT&V of Amsterdam, not the case worker who asked, not Rotterdam.
    assert inbox_notices() == [
        ("dtv.amsterdam", admitted.pk, "dtv_dossier"),
        ("ind.amsterdam", admitted.pk, "ind_dossier"),
    ]
    notice = Notification.objects.get(user=ind)
    assert notice.due_on == REGISTERED + 14 * DAY and notice.deadline is None
    assert notice.message == (
        f"Nieuw in uw inbox “Dossier opgevraagd: IND-deel”: casus {admitted.reference}, uiterlijk 20 januari 2020."
    )
    assert admitted.person.family_name not in notice.message
    # Twice is once (a rerun, a second event before the notice is read).
    assert inboxes.notify_arrivals(case_id=admitted.pk, keys=["ind_dossier", "dtv_dossier"]) == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.request_dossier(**by(worker), case=admitted, on=REGISTERED)
    assert len(inbox_notices()) == 2

    services.deliver_dossier_part(**by(ind), case=admitted, kind="IND", on=REGISTERED)
    assert keys(ind, "ind_dossier") == [] and keys(dtv, "dtv_dossier") == [admitted.pk]
    services.deliver_dossier_part(**by(dtv), case=admitted, kind="DTV", on=REGISTERED)
    assert keys(dtv, "dtv_dossier") == []
    assert ours(inboxes.counts(ind)) == {"ind_dossier": 0, "ind_confirm": 0}


def test_a_closed_case_leaves_the_dossier_inbox(world, admitted):
    services.request_dossier(**SYS, case=admitted, on=REGISTERED)
    ind = world.ams.users[Role.IND]
    assert keys(ind, "ind_dossier") == [admitted.pk]
    services.record_outflow(**SYS, case=admitted, category="unknown_destination", on=REGISTERED)
    assert keys(ind, "ind_dossier") == []


def test_notices_only_to_users_who_can_see_the_case(world, admitted, django_capture_on_commit_callbacks):
    ams, rot = world.ams, world.rot
    # A Rotterdam IND officer with a grant on the case sees it, but does not work for the LVV.
    assign_perm("cases.view_case", rot.users[Role.IND], admitted)
    inactive = UserFactory(username="ind.weg", organisation=ams.ind, roles=[Role.IND], is_active=False)
    second = UserFactory(username="ind.tweede", organisation=ams.ind, roles=[Role.IND])
    with django_capture_on_commit_callbacks(execute=True):
        services.request_dossier(**SYS, case=admitted, on=REGISTERED)
    names = {name for name, _case, _key in inbox_notices()}
    assert names == {"ind.amsterdam", "ind.tweede", "dtv.amsterdam"}
    assert inactive.username not in names and second.username in names
    for user in (*rot.users.values(), world.bureau, ams.users[Role.NGO], ams.users["ngo_b"]):
        assert not Notification.objects.filter(user=user).exists()


def test_an_import_tells_no_one(world, admitted, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, services.history_batch():
        services.request_dossier(**SYS, case=admitted, on=REGISTERED)
    assert callbacks == [] and inbox_notices() == []
    assert keys(world.ams.users[Role.IND], "ind_dossier") == [admitted.pk]  # the inbox shows it


# --- IND and DT&V: outflows to confirm --------------------------------------------------------


def test_outflows_wait_for_their_partner_until_confirmed_or_disputed(world, django_capture_on_commit_callbacks):
    ams = world.ams
    ind, dtv = ams.users[Role.IND], ams.users[Role.DTV]
    grant = CaseFactory(location=ams.location, dossier_complete=True)
    departure = CaseFactory(location=ams.location, dossier_complete=True)
    other = CaseFactory(location=ams.location, dossier_complete=True)
    worker = ams.users[Role.CASEMANAGER]
    with django_capture_on_commit_callbacks(execute=True):
        services.record_outflow(**by(worker), case=grant, category="residence_granted", on=REGISTERED)
        services.record_outflow(**by(worker), case=departure, category="departure_origin", country="ER", on=REGISTERED)
        services.record_outflow(**by(worker), case=other, category="unknown_destination", on=REGISTERED)
    assert keys(ind, "ind_confirm") == [grant.pk]
    assert keys(dtv, "dtv_confirm") == [departure.pk]
    assert inbox_notices() == sorted(
        [("ind.amsterdam", grant.pk, "ind_confirm"), ("dtv.amsterdam", departure.pk, "dtv_confirm")]
    )
    box = inboxes.get_for_user(dtv, "dtv_confirm")
    row = box.items(dtv).get()
    assert box.what(row) == "vertrek naar land van herkomst" and row.inbox_since == REGISTERED
    assert row.inbox_due is None
    assert Notification.objects.get(user=dtv).due_on is None

    services.confirm_outflow(**by(ind), case=grant, on=REGISTERED)
    services.dispute_outflow(**by(dtv), case=departure, reason="Niet vertrokken.")
    assert keys(ind, "ind_confirm") == [] and keys(dtv, "dtv_confirm") == []

    # The case manager corrects it: a changed outflow asks for confirmation again, and a new
    # notice once the DT&V read the first.
    read_notices(dtv)
    with django_capture_on_commit_callbacks(execute=True):
        services.correct_outflow(
            **by(worker),
            case=departure,
            reason="Datum klopte niet.",
            category="departure_origin",
            country="ER",
            on=REGISTERED + 2 * DAY,
        )
    assert keys(dtv, "dtv_confirm") == [departure.pk]
    assert Notification.objects.filter(user=dtv, case=departure, read_at__isnull=True).count() == 1


# --- DT&V: trajectories to review ---------------------------------------------------------------


def test_a_new_scenario_or_an_advice_flags_the_trajectory_until_the_dtv_reviews(
    world, django_capture_on_commit_callbacks
):
    ams = world.ams
    dtv, worker = ams.users[Role.DTV], ams.users[Role.CASEMANAGER]
    case = CaseFactory(location=ams.location, dossier_complete=True)
    assert keys(dtv, "dtv_review") == []
    with django_capture_on_commit_callbacks(execute=True):
        services.set_scenario(**by(worker), case=case, direction="residence", route="medical", on=REGISTERED)
    assert keys(dtv, "dtv_review") == [case.pk]
    assert inbox_notices() == [("dtv.amsterdam", case.pk, "dtv_review")]
    lso_services.add_review_note(**by(dtv), case=case, text="Loopt.", on=REGISTERED + DAY)
    assert keys(dtv, "dtv_review") == []  # reviewed: done
    read_notices(dtv)
    with django_capture_on_commit_callbacks(execute=True):
        services.set_scenario(
            **by(worker), case=case, direction="departure", route="return_to_origin", on=REGISTERED + 3 * DAY
        )
    assert keys(dtv, "dtv_review") == [case.pk]  # changed since the review: back
    box = inboxes.get_for_user(dtv, "dtv_review")
    row = box.items(dtv).get()
    assert box.what(row) == "scenario vastgesteld of gewijzigd"
    assert row.inbox_since == REGISTERED + 3 * DAY
    assert Notification.objects.filter(user=dtv, inbox="dtv_review", read_at__isnull=True).count() == 1
    lso_services.add_review_note(**by(dtv), case=case, text="Vertrek loopt.", on=today())
    assert keys(dtv, "dtv_review") == []
    assert keys(world.rot.users[Role.DTV], "dtv_review") == []


# --- The LSO chair: requests and flags to prepare, MRT advice -----------------------------------


def test_a_request_or_a_dtv_flag_waits_for_the_chair_until_on_the_agenda(world, django_capture_on_commit_callbacks):
    ams = world.ams
    lso_chair = chair(ams)
    case = CaseFactory(location=ams.location, assigned_ngo=ams.ngo_a, sheltered=True)
    flagged = CaseFactory(location=ams.location, sheltered=True)
    with django_capture_on_commit_callbacks(execute=True):
        lso_services.request_lso_discussion(
            acting_user=ams.users[Role.NGO], origin=COMMAND, case=case, reason="Gezondheid verslechtert."
        )
        lso_services.add_review_note(
            acting_user=ams.users[Role.DTV], origin=COMMAND, case=flagged, text="Geen voortgang.", flagged=True
        )
        lso_services.add_review_note(
            acting_user=ams.users[Role.DTV], origin=COMMAND, case=case, text="Loopt.", flagged=False
        )
    assert sorted(keys(lso_chair, "lso_prepare")) == sorted([case.pk, flagged.pk])
    assert notices(lso_chair) == sorted([(case.pk, "lso_prepare"), (flagged.pk, "lso_prepare")])
    assert not Notification.objects.filter(user=ams.users[Role.CASEMANAGER]).exists()
    box = inboxes.get_for_user(lso_chair, "lso_prepare")
    what = {row.pk: box.what(row) for row in box.items(lso_chair)}
    assert what == {case.pk: "bespreking aangevraagd door een partner", flagged.pk: "gemarkeerd door de DT&V"}
    assert keys(world.rot.users[Role.LSO_CHAIR], "lso_prepare") == []

    meeting = published(ams, [case])  # on an agenda: prepared
    assert keys(lso_chair, "lso_prepare") == [flagged.pk]
    lso_services.record_outcome(
        acting_user=lso_chair, origin=COMMAND, item=meeting.items.get(), decision=Decision.POSTPONE
    )
    assert sorted(keys(lso_chair, "lso_prepare")) == sorted([case.pk, flagged.pk])  # postponed: back
    discussed(
        ams,
        case,
        Decision.ACTIONS,
        date=today(),
        actions=[{"description": "Bellen.", "owner_organisation": ams.ngo_a, "due_on": today()}],
    )
    assert keys(lso_chair, "lso_prepare") == [flagged.pk]  # discussed: done


def test_mrt_advice_waits_for_the_lso_until_it_is_dealt_with(world, django_capture_on_commit_callbacks):
    ams = world.ams
    lso_chair, dtv = chair(ams), ams.users[Role.DTV]
    case = CaseFactory(location=ams.location, assigned_ngo=ams.ngo_a, sheltered=True)
    escalation = escalate(ams, case)
    assert keys(lso_chair, "lso_mrt_advice") == []
    with django_capture_on_commit_callbacks(execute=True):
        advise(ams, escalation)
    assert keys(lso_chair, "lso_mrt_advice") == [case.pk]
    box = inboxes.get_for_user(lso_chair, "lso_mrt_advice")
    row = box.items(lso_chair).get()
    assert box.what(row) == "vertrek, terugkeer naar land van herkomst"
    assert row.inbox_since == today() and row.inbox_due == today() + 28 * DAY
    assert box.link(row) == f"/mrt/{escalation.pk}/"
    # The LSO chair of Amsterdam and the DT&V (an advice asks for its review) are told.
    assert inbox_notices() == sorted(
        [("lsochair.amsterdam", case.pk, "lso_mrt_advice"), ("dtv.amsterdam", case.pk, "dtv_review")]
    )
    assert Notification.objects.get(user=lso_chair).due_on == today() + 28 * DAY
    assert keys(dtv, "dtv_review") == [case.pk]
    assert keys(world.rot.users[Role.LSO_CHAIR], "lso_mrt_advice") == []

    # Putting it on the agenda, or postponing it, does not deal with it; the outcome does.
    discussed(ams, case, Decision.POSTPONE)
    assert keys(lso_chair, "lso_mrt_advice") == [case.pk]
    discussed(ams, case, Decision.SCENARIO, direction="departure", route="return_to_origin", advice_followed=True)
    assert keys(lso_chair, "lso_mrt_advice") == []


def test_counts_in_one_query(world, admitted, django_assert_num_queries):
    services.request_dossier(**SYS, case=admitted, on=REGISTERED)
    CaseFactory(location=world.ams.location, with_outflow="departure_origin")
    dtv = world.ams.users[Role.DTV]
    inboxes.counts(dtv)  # the access policy may resolve the user's scope once per user object
    with django_assert_num_queries(1):
        counts = inboxes.counts(dtv)
    assert ours(counts) == {"dtv_dossier": 1, "dtv_confirm": 1, "dtv_review": 0}
    assert not any(inboxes.counts(world.rot.users[Role.DTV]).values())
    assert inboxes.counts(world.bureau) == {}
