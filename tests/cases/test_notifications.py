"""Notifications about due and overdue deadlines: who gets them (and who never does), the
"Meldingen" page, and the daily digest e-mail."""

from __future__ import annotations

import datetime
import smtplib

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases import notifications, services, tasks
from cases.models import DeadlineKind, Notification
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.factories import CaseFactory, UserFactory
from tests.queries import assert_queries_stay_fixed

pytestmark = pytest.mark.django_db

REGISTERED = datetime.date(2020, 1, 6)
COOP_DUE = REGISTERED + datetime.timedelta(weeks=6)  # 17 February 2020
DOSSIER_DUE = REGISTERED + datetime.timedelta(days=14)  # 20 January 2020
LIST = reverse("cases:notifications:list")


@pytest.fixture
def due(world):
    """Amsterdam: a sheltered case of ngo_a (cooperation check overdue) and an admitted case
    of ngo_a waiting for both dossier parts (both overdue)."""
    ams = world.ams
    coop = CaseFactory(location=ams.location, assigned_ngo=ams.ngo_a, sheltered=True)
    dossier = CaseFactory(location=ams.location, assigned_ngo=ams.ngo_a, admitted=True)
    services.request_dossier(acting_user=SYSTEM, origin=COMMAND, case=dossier, on=REGISTERED)
    world.coop, world.dossier = coop, dossier
    return world


def notices(user) -> set[tuple[int, str, str]]:
    return set(Notification.objects.filter(user=user).values_list("case_id", "deadline__kind", "kind"))


def test_notices_go_to_the_people_who_should_act(due):
    ams, users = due.ams, due.ams.users
    created = tasks.notify_deadlines.delay().get()
    overdue = Notification.Kind.OVERDUE
    coop = (due.coop.pk, DeadlineKind.COOPERATION_CHECK, overdue)
    ind = (due.dossier.pk, DeadlineKind.DOSSIER_IND, overdue)
    dtv = (due.dossier.pk, DeadlineKind.DOSSIER_DTV, overdue)
    assert notices(users[Role.CASEMANAGER]) == {coop, ind, dtv}  # every deadline of the LVV
    assert notices(users[Role.NGO]) == {coop}  # the assigned NGO: cooperation checks
    assert notices(users[Role.IND]) == {ind}
    assert notices(users[Role.DTV]) == {dtv}
    assert notices(users[Role.LSO_CHAIR]) == set()
    assert notices(users["ngo_b"]) == set()  # an NGO the case is not assigned to
    for user in (*due.rot.users.values(), due.bureau):  # another LVV, the programme bureau
        assert notices(user) == set()
    assert created == Notification.objects.count() == 6
    assert ams.location.pk == due.coop.location_id


def test_notify_is_idempotent_and_adds_overdue_after_due_soon(due):
    worker = due.ams.users[Role.CASEMANAGER]
    before = COOP_DUE - datetime.timedelta(days=3)
    first = notifications.notify_deadlines(today=before)
    assert first > 0
    assert notifications.notify_deadlines(today=before) == 0  # twice is once
    coop = Notification.objects.get(user=worker, deadline__kind=DeadlineKind.COOPERATION_CHECK)
    assert coop.kind == Notification.Kind.DUE_SOON
    assert coop.message == f"Medewerkingstoets van casus {due.coop.reference} verloopt op 17 februari 2020."

    after = COOP_DUE + datetime.timedelta(days=1)
    assert notifications.notify_deadlines(today=after) == 2  # the case worker and the NGO
    overdue = Notification.objects.get(user=worker, deadline__kind=DeadlineKind.COOPERATION_CHECK, kind="overdue")
    assert overdue.message == f"Medewerkingstoets van casus {due.coop.reference} is verlopen op 17 februari 2020."
    assert notifications.notify_deadlines(today=after) == 0
    assert tasks.notify_deadlines.delay().get() == 0  # today: the same notices


def test_paused_resolved_and_far_deadlines_give_no_notice(due):
    services.pause_deadline(
        acting_user=SYSTEM,
        origin=COMMAND,
        case=due.coop,
        kind=DeadlineKind.COOPERATION_CHECK,
        reason="Ziekenhuisopname",
        on=datetime.date(2020, 2, 1),
    )
    services.deliver_dossier_part(acting_user=SYSTEM, origin=COMMAND, case=due.dossier, kind="IND", on=REGISTERED)
    far = REGISTERED - datetime.timedelta(days=30)  # every deadline is weeks away
    assert notifications.notify_deadlines(today=far) == 0
    notifications.notify_deadlines()
    kinds = set(Notification.objects.values_list("deadline__kind", flat=True))
    assert kinds == {DeadlineKind.DOSSIER_DTV}


def test_never_a_notice_about_a_case_the_user_cannot_see(due, monkeypatch):
    # Even if the rule of who acts were wrong, the access policy keeps hidden cases out.
    monkeypatch.setattr(notifications, "should_act", lambda user, deadline, locations: True)
    notifications.notify_deadlines()
    assert notices(due.ams.users["ngo_b"]) == set()
    assert not Notification.objects.filter(user__in=list(due.rot.users.values())).exists()
    assert not Notification.objects.filter(user=due.bureau).exists()
    for notice in Notification.objects.select_related("user", "case"):
        assert notice.case in type(notice.case).objects.visible_to(notice.user)


def test_an_inactive_user_and_a_grant_elsewhere_get_nothing(due):
    worker = due.ams.users[Role.CASEMANAGER]
    worker.is_active = False
    worker.save()
    other = due.rot.users[Role.CASEMANAGER]
    assign_perm("cases.view_case", other, due.coop)  # sees the case, but does not work in that LVV
    notifications.notify_deadlines()
    assert notices(worker) == set()
    assert notices(other) == set()


def test_reassigned_case_moves_the_ngo_notice(due):
    ams = due.ams
    notifications.notify_deadlines()
    ngo_a, ngo_b = ams.users[Role.NGO], ams.users["ngo_b"]
    assert notices(ngo_a)
    services.update_case(
        acting_user=SYSTEM, origin=COMMAND, case=due.coop, expected_version=None, assigned_ngo=ams.ngo_b
    )
    notifications.notify_deadlines()
    assert notices(ngo_b) == {(due.coop.pk, DeadlineKind.COOPERATION_CHECK, "overdue")}
    # ngo_a's old notice stays in the table but is no longer shown: the case is hidden now.
    assert not notifications.user_notifications(ngo_a).exists()


# --- The "Meldingen" page ----------------------------------------------------------------


def test_page_lists_newest_first_with_unread_marked_and_links(client, due):
    notifications.notify_deadlines()
    worker = due.ams.users[Role.CASEMANAGER]
    newest = Notification.objects.filter(user=worker).order_by("-created_at", "-id").first()
    read = Notification.objects.filter(user=worker).exclude(pk=newest.pk).first()
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    client.force_login(worker)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    rows = list(response.context["page"].object_list)
    assert rows[0] == newest and len(rows) == 3
    assert html.count('data-unread="true"') == 2
    assert response.context["unread"] == 2
    assert reverse("cases:detail", args=[due.coop.pk]) in html
    assert "is verlopen op 17 februari 2020" in html
    assert "Gelezen op" in html
    assert 'aria-current="page"' in html and ">Meldingen</a>" in html
    assert AccessLogEntry.objects.filter(actor=worker, action="list", object_type="cases.notification").exists()


def test_empty_state(client, due):
    client.force_login(due.ams.users[Role.LSO_CHAIR])
    response = client.get(LIST)
    assert response.status_code == 200
    assert 'data-testid="empty-state"' in response.content.decode()


def test_page_shows_only_notices_of_cases_still_visible(client, due):
    notifications.notify_deadlines()
    ams = due.ams
    services.update_case(
        acting_user=SYSTEM, origin=COMMAND, case=due.coop, expected_version=None, assigned_ngo=ams.ngo_b
    )
    client.force_login(ams.users[Role.NGO])
    response = client.get(LIST)
    assert list(response.context["page"].object_list) == []


def test_mark_read_and_mark_all_read(client, due):
    notifications.notify_deadlines()
    worker = due.ams.users[Role.CASEMANAGER]
    notice = Notification.objects.filter(user=worker).first()
    client.force_login(worker)
    url = reverse("cases:notifications:read", args=[notice.pk])
    assert client.get(url).status_code == 405  # POST only
    response = client.post(url, {"page": "1"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?page=1"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert client.post(url).status_code == 302  # twice is fine
    client.post(reverse("cases:notifications:read-all"))
    assert not Notification.objects.filter(user=worker, read_at__isnull=True).exists()


@pytest.mark.parametrize("intruder", ["other_lvv", "unassigned_ngo", "bureau", "same_lvv_colleague"])
def test_others_get_404(client, due, intruder):
    notifications.notify_deadlines()
    owner = due.ams.users[Role.NGO]
    notice = Notification.objects.get(user=owner)
    user = {
        "other_lvv": due.rot.users[Role.CASEMANAGER],
        "unassigned_ngo": due.ams.users["ngo_b"],
        "bureau": due.bureau,
        "same_lvv_colleague": due.ams.users[Role.CASEMANAGER],  # sees the case, not this notice
    }[intruder]
    client.force_login(user)
    assert client.post(reverse("cases:notifications:read", args=[notice.pk])).status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None
    if intruder == "bureau":
        assert client.get(LIST).status_code == 404
        assert client.post(reverse("cases:notifications:read-all")).status_code == 404
        assert client.post(reverse("cases:notifications:digest")).status_code == 404
    else:
        page = client.get(LIST)
        assert notice not in page.context["page"].object_list


def test_the_programme_bureau_has_no_notifications_page(client, world):
    client.force_login(world.bureau)
    assert client.get(LIST).status_code == 404
    assert ">Meldingen</a>" not in client.get(reverse("home")).content.decode()


def test_daily_digest_toggle(client, due):
    worker = due.ams.users[Role.CASEMANAGER]
    client.force_login(worker)
    assert client.get(LIST).context["digest_form"]["daily_digest"].value() is True
    response = client.post(reverse("cases:notifications:digest"), {})
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.daily_digest is False
    assert AccessLogEntry.objects.filter(object_type="accounts.user", object_id=str(worker.pk)).exists()
    client.post(reverse("cases:notifications:digest"), {"daily_digest": "on"})
    worker.refresh_from_db()
    assert worker.daily_digest is True
    assert client.get(reverse("cases:notifications:digest")).status_code == 405


def test_page_query_count_is_fixed(client, world, django_assert_max_num_queries):
    worker = world.ams.users[Role.CASEMANAGER]
    client.force_login(worker)

    def add(n):
        for _ in range(n):
            case = CaseFactory(location=world.ams.location, sheltered=True)
            Notification.objects.create(
                user=worker,
                case=case,
                deadline=case.deadlines.first(),
                kind="overdue",
                due_on=COOP_DUE,
                message="Medewerkingstoets van casus X is verlopen op 17 februari 2020.",
            )

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST).status_code == 200
        return len(ctx.captured_queries)

    small = assert_queries_stay_fixed(add, count, 5, 25)
    with django_assert_max_num_queries(small):
        client.get(LIST, {"page": 2})


# --- The daily digest --------------------------------------------------------------------


def test_one_digest_per_user_after_commit_in_dutch_and_without_names(due, django_capture_on_commit_callbacks):
    notifications.notify_deadlines()
    users = due.ams.users
    users[Role.IND].daily_digest = False  # switched off: no e-mail
    users[Role.IND].save()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = tasks.send_daily_digests.delay().get()
    assert queued == 3 and len(callbacks) == 3  # case worker, NGO, DT&V
    assert mail.outbox == []  # nothing leaves before the commit
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_daily_digests.delay().get()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(users[r].email for r in (Role.CASEMANAGER, Role.NGO, Role.DTV))
    message = next(m for m in mail.outbox if m.to == [users[Role.CASEMANAGER].email])
    assert message.subject == "LVV Casussysteem: 3 termijnen vragen uw aandacht"
    assert "Verlopen:" in message.body
    assert f"Medewerkingstoets van casus {due.coop.reference} is verlopen op 17 februari 2020." in message.body
    assert due.coop.person.family_name not in message.body  # case references only
    assert message.alternatives and '<html lang="nl">' in message.alternatives[0][0]

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_daily_digests.delay().get() == 0  # today's digest went out already
        assert tasks.send_digest.delay(users[Role.CASEMANAGER].pk).get() is False
    assert mail.outbox == []


def test_read_items_and_resolved_deadlines_are_left_out(due, django_capture_on_commit_callbacks):
    notifications.notify_deadlines()
    worker = due.ams.users[Role.CASEMANAGER]
    Notification.objects.filter(user=worker, deadline__kind=DeadlineKind.DOSSIER_IND).update(read_at=timezone.now())
    services.deliver_dossier_part(acting_user=SYSTEM, origin=COMMAND, case=due.dossier, kind="DTV", on=REGISTERED)
    items = notifications.digest_items(worker)
    assert [n.deadline.kind for n in items] == [DeadlineKind.COOPERATION_CHECK]
    Notification.objects.filter(user=worker).update(read_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_digest(user_id=worker.pk) is False
    assert mail.outbox == []


def test_a_failed_send_is_retried(due, django_capture_on_commit_callbacks, monkeypatch):
    notifications.notify_deadlines()
    worker = due.ams.users[Role.CASEMANAGER]

    def fail(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", fail)
    with pytest.raises(smtplib.SMTPServerDisconnected), django_capture_on_commit_callbacks(execute=True):
        notifications.send_digest(user_id=worker.pk)
    assert not Notification.objects.filter(user=worker, digest_sent_on__isnull=False).exists()
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_digest(user_id=worker.pk) is True
    assert [m.to for m in mail.outbox] == [[worker.email]]


def test_users_without_e_mail_or_switched_off_get_none(due, django_capture_on_commit_callbacks):
    notifications.notify_deadlines()
    worker = due.ams.users[Role.CASEMANAGER]
    worker.email = ""
    worker.save()
    assert worker.pk not in set(notifications.digest_recipients(timezone.localdate()).values_list("pk", flat=True))
    off = UserFactory(username="uit", organisation=due.ams.location.municipality, roles=[Role.CASEMANAGER])
    off.daily_digest = False
    off.save()
    notifications.notify_deadlines()
    assert Notification.objects.filter(user=off).exists()  # in-app notices still come
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_daily_digests.delay().get()
        assert tasks.send_digest.delay(off.pk).get() is False
    assert off.email not in {m.to[0] for m in mail.outbox}
    assert worker.email not in {m.to[0] for m in mail.outbox}


def test_bad_input_never_a_500(client, due):
    notifications.notify_deadlines()
    client.force_login(due.ams.users[Role.CASEMANAGER])
    assert client.post(reverse("cases:notifications:read", args=[99999999999999999999])).status_code == 404
    assert client.get(LIST, {"page": "abc"}).status_code == 200
    assert client.get(LIST, {"page": "999999"}).status_code == 200
    response = client.post(reverse("cases:notifications:read-all"), {"page": "-1; drop"})
    assert response.status_code == 302 and response["Location"] == LIST
    assert client.post(reverse("cases:notifications:digest"), {"daily_digest": "misschien"}).status_code == 302
