"""The partner inboxes on the pages: the home page's sections, the navigation's count, the
inbox pages (404 for what is not the user's), the notices on "Meldingen" and in the daily
digest, with a fixed number of queries."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import inboxes, notifications, services
from cases.models import Notification
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.cases.inbox_helpers import REGISTERED, requested
from tests.factories import CaseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dutch")]


HOME = reverse("home")
OVERVIEW = reverse("inbox:overview")


def detail(key: str) -> str:
    return reverse("inbox:detail", args=[key])


def test_home_shows_each_inbox_with_its_count_items_and_empty_state(client, world):
    ams = world.ams
    cases = requested(ams, 2)
    requested(world.rot, 1)  # another LVV: never here
    client.force_login(ams.users[Role.IND])
    response = client.get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    sections = {s.key: s for s in response.context["inbox_sections"]}
    assert [key for key in sections if key in ("ind_dossier", "ind_confirm")] == ["ind_dossier", "ind_confirm"]
    assert sections["ind_dossier"].count == 2 and sections["ind_confirm"].count == 0
    assert [c.pk for c in sections["ind_dossier"].items] == [c.pk for c in cases]
    assert 'id="inbox-ind_dossier"' in html and 'href="#inbox-ind_dossier"' in html
    assert html.count('data-testid="inbox-item"') == 2
    assert cases[0].reference in html and "20 januari 2020" in html  # the due date
    assert f'href="/cases/{cases[0].pk}/#step-deliver_dossier_ind"' in html
    assert 'data-testid="inbox-empty"' in html  # nothing to confirm
    assert "Dossier opgevraagd: IND-deel" in html


def test_home_caps_each_inbox_with_a_link_to_all(client, world):
    requested(world.ams, inboxes.SHOWN + 1)
    client.force_login(world.ams.users[Role.DTV])
    html = client.get(HOME).content.decode()
    section = html[html.index('id="inbox-dtv_dossier"') :]
    section = section[: section.index("</section>")]
    assert section.count('data-testid="inbox-item"') == inboxes.SHOWN
    assert f"Alle {inboxes.SHOWN + 1} tonen" in section and f'href="{detail("dtv_dossier")}"' in section


@pytest.mark.parametrize("role", [Role.CASEMANAGER, Role.NGO])
def test_roles_without_an_inbox_see_no_inbox(client, world, role):
    requested(world.ams, 1, assigned_ngo=world.ams.ngo_a)
    client.force_login(world.ams.users[role])
    response = client.get(HOME)
    assert response.context["inbox_sections"] == []
    assert 'data-testid="nav-inbox"' not in response.content.decode()
    page = client.get(OVERVIEW)
    assert page.status_code == 200 and 'data-testid="inbox-none"' in page.content.decode()
    for key in ("ind_dossier", "dtv_dossier", "lso_prepare"):
        assert client.get(detail(key)).status_code == 404


def test_navigation_counts_every_open_item_with_text_for_screen_readers(client, world):
    requested(world.ams, 3)
    CaseFactory(location=world.ams.location, with_outflow="onward_migration")
    client.force_login(world.ams.users[Role.DTV])
    html = client.get(reverse("cases:list")).content.decode()
    nav = html[html.index('data-testid="nav-inbox"') :]
    nav = nav[: nav.index("</a>")]
    total = sum(inboxes.counts(world.ams.users[Role.DTV]).values())
    assert total >= 4  # 3 dossier parts, 1 departure (and what a later app's inbox holds)
    assert f'aria-hidden="true">{total}</span>' in nav
    assert f"met {total} openstaande items" in nav and "Dossier opgevraagd: DT&amp;V-deel: 3" in nav
    assert "Vertrek te bevestigen: 1" in nav and "Te beoordelen trajecten: 0" in nav
    inbox_page = client.get(OVERVIEW).content.decode()
    assert 'aria-current="page" data-testid="nav-inbox"' in inbox_page


def test_the_programme_bureau_has_no_inbox_and_sees_no_person(client, world):
    cases = requested(world.ams, 1)
    client.force_login(world.bureau)
    response = client.get(HOME)
    assert 'data-testid="nav-inbox"' not in response.content.decode()
    assert cases[0].person.family_name not in response.content.decode()
    assert client.get(OVERVIEW).status_code == 404
    for box in inboxes.all_inboxes():
        assert client.get(detail(box.key)).status_code == 404


@pytest.mark.parametrize(
    "user_key,key,status",
    [
        ("ind", "ind_dossier", 200),
        ("ind", "ind_confirm", 200),
        ("ind", "dtv_dossier", 404),
        ("ind", "lso_prepare", 404),
        ("dtv", "dtv_review", 200),
        ("dtv", "ind_confirm", 404),
        ("lsochair", "lso_mrt_advice", 200),
        ("lsochair", "dtv_dossier", 404),
        ("ind", "nope", 404),
        ("ngo", "ind_dossier", 404),
        ("ngo_b", "dtv_dossier", 404),
    ],
)
def test_an_inbox_not_of_the_users_role_is_404(client, world, user_key, key, status):
    client.force_login(world.ams.users[user_key])
    assert client.get(detail(key)).status_code == status


def test_another_lvv_never_sees_the_items(client, world):
    cases = requested(world.ams, 2)
    for role in (Role.IND, Role.DTV):
        client.force_login(world.rot.users[role])
        html = client.get(OVERVIEW).content.decode() + client.get(detail(f"{role}_dossier")).content.decode()
        for case in cases:
            assert case.reference not in html and case.person.family_name not in html


def test_the_inbox_page_pages_and_logs(client, world):
    cases = requested(world.ams, 27)
    ind = world.ams.users[Role.IND]
    client.force_login(ind)
    response = client.get(detail("ind_dossier"))
    assert response.status_code == 200
    assert len(response.context["rows"]) == 25 and response.context["page"].paginator.count == 27
    html = response.content.decode()
    assert "27 zaken in deze inbox" in html and "?page=2" in html
    assert len(client.get(detail("ind_dossier"), {"page": 2}).context["rows"]) == 2
    assert client.get(detail("ind_dossier"), {"page": "x"}).status_code == 200
    assert client.get(detail("ind_dossier"), {"page": "99999999999999999999"}).status_code == 200
    assert cases[0].reference in html
    entry = AccessLogEntry.objects.filter(actor=ind, action="list", object_type="cases.case").latest("pk")
    assert entry.detail["inbox"] == "ind_dossier"
    assert client.post(detail("ind_dossier")).status_code == 405


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("role", [Role.IND, Role.DTV, Role.LSO_CHAIR])
def test_query_counts_are_fixed_whatever_the_number_of_items(client, world, role, django_assert_max_num_queries):
    client.force_login(world.ams.users[role])
    requested(world.ams, 2)
    CaseFactory(location=world.ams.location, with_outflow="residence_granted")
    CaseFactory(location=world.ams.location, with_outflow="departure_origin")
    key = inboxes.for_user(world.ams.users[role])[0].key
    urls = [HOME, OVERVIEW, detail(key)]
    small = [_count(client, url) for url in urls]
    requested(world.ams, 30)
    for _ in range(5):
        CaseFactory(location=world.ams.location, with_outflow="residence_granted")
        CaseFactory(location=world.ams.location, with_outflow="departure_origin")
    large = [_count(client, url) for url in urls]
    assert small == large
    for url, n in zip(urls, small, strict=True):
        with django_assert_max_num_queries(n):
            client.get(url)


# --- Notices without a deadline: "Meldingen" and the daily digest ------------------------------


def test_notification_page_shows_inbox_and_hand_over_notices(client, world, django_capture_on_commit_callbacks):
    ams = world.ams
    ind = ams.users[Role.IND]
    with django_capture_on_commit_callbacks(execute=True):
        (case,) = requested(ams, 1)
    Notification.objects.create(
        user=ind, case=case, kind=Notification.Kind.HANDED_OVER, due_on=None, message="Casus X is aan u overgedragen."
    )
    client.force_login(ind)
    response = client.get(reverse("cases:notifications:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="notification-row"') == 2
    assert "nieuw in uw inbox" in html and "casus aan u overgedragen" in html
    assert f'href="{detail("ind_dossier")}"' in html and "uiterlijk 20 januari 2020" in html
    assert response.context["unread"] == 2


def test_digest_lists_inbox_notices_once_while_the_item_is_open(world, django_capture_on_commit_callbacks):
    ams = world.ams
    ind, dtv = ams.users[Role.IND], ams.users[Role.DTV]
    with django_capture_on_commit_callbacks(execute=True):
        first, second = requested(ams, 2)
    services.deliver_dossier_part(acting_user=dtv, origin=COMMAND, case=second, kind="DTV", on=REGISTERED)
    today = timezone.localdate()
    assert ind.pk in set(notifications.digest_recipients(today).values_list("pk", flat=True))
    assert [n.case_id for n in notifications.digest_items(ind)] == [first.pk, second.pk]
    assert [n.case_id for n in notifications.digest_items(dtv)] == [first.pk]  # delivered: left out
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_digest(user_id=ind.pk) is True
    message = mail.outbox[0]
    assert message.subject == "LVV Casussysteem: 2 meldingen vragen uw aandacht"
    assert "Nieuw in uw inbox:" in message.body
    assert f"casus {first.reference}, uiterlijk 20 januari 2020." in message.body
    assert first.person.family_name not in message.body
    assert "Nieuw in uw inbox" in message.alternatives[0][0]
    # Mailed once: the next day's digest does not list them again (the inbox still shows them).
    tomorrow = today + datetime.timedelta(days=1)
    assert notifications.digest_items(ind) == []
    assert ind.pk not in set(notifications.digest_recipients(tomorrow).values_list("pk", flat=True))


def test_digest_with_deadlines_and_inbox_notices(world, django_capture_on_commit_callbacks):
    ams = world.ams
    dtv = ams.users[Role.DTV]
    with django_capture_on_commit_callbacks(execute=True):
        (case,) = requested(ams, 1)
    notifications.notify_deadlines()  # the dossier deadline is long overdue
    items = notifications.digest_items(dtv)
    assert [(n.kind, n.case_id) for n in items] == [("overdue", case.pk), ("inbox", case.pk)]
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_digest(user_id=dtv.pk) is True
    body = mail.outbox[0].body
    assert "Verlopen:" in body and "Nieuw in uw inbox:" in body
    assert "Dit zijn de termijnen van uw casussen" in body
