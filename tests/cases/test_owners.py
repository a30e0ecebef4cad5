"""Case owners: the case manager and the NGO guide of a case, their hand-over (service, case
page and API) with its history, registration's first owner, a change of NGO that ends the
guide's role, "my cases" on the case list, the work queue and the API; who may hand over
what; 404 for users who may not see the case, 403 for users who may see but not hand over;
a fixed number of queries. The demo's owners: tests/test_demo_data.py."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import services
from cases.api.serializers import VERSION_REQUIRED
from cases.models import Case, CaseOwnerChange, EventType, Notification, OwnerRole, TimelineEvent
from lvv import errors
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.factories import CaseFactory, UserFactory
from tests.paging import assert_paged
from tests.queries import count_queries
from tests.users import OUTSIDERS, outsiders

pytestmark = pytest.mark.django_db

CM, GUIDE = OwnerRole.CASE_MANAGER, OwnerRole.NGO_GUIDE
READERS = [Role.LSO_CHAIR, Role.IND, Role.DTV]  # see the case, may not hand over


def hand_over(user, case, role, to_user, reason="", **kwargs) -> Case:
    return services.hand_over(
        acting_user=user, origin=COMMAND, case=case, role=role, to_user=to_user, reason=reason, **kwargs
    )


@pytest.fixture
def manager(world):
    return world.ams.users[Role.CASEMANAGER]


@pytest.fixture
def colleague(world):
    """A second case worker of the Amsterdam municipality."""
    return UserFactory(
        username="collega.amsterdam",
        first_name="Collega",
        last_name="Amsterdam",
        organisation=world.ams.location.municipality,
        roles=[Role.CASEMANAGER],
    )


@pytest.fixture
def guide(world):
    return world.ams.users[Role.NGO]


@pytest.fixture
def second_guide(world):
    """Another guide of the NGO the case is assigned to."""
    return UserFactory(username="ngo2.amsterdam", organisation=world.ams.ngo_a, roles=[Role.NGO])


def owners(case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return case.case_manager, case.ngo_guide


# --- The service ----------------------------------------------------------------------------


def test_a_case_worker_hands_over_the_case_manager_role(world, manager, colleague):
    case = world.ams.assigned
    first = hand_over(manager, case, CM, manager)  # takes the case: no reason needed, no notice to oneself
    assert owners(case) == (manager, None) and first.version == case.version + 1
    assert not Notification.objects.exists()
    second = hand_over(manager, first, CM, colleague.pk, "Verdeling van de caseload.", expected_version=first.version)
    assert owners(case) == (colleague, None) and second.version == first.version + 1
    changes = list(CaseOwnerChange.objects.filter(case=case))  # newest first
    assert [(c.role, c.from_user, c.to_user, c.changed_by, c.reason) for c in changes] == [
        (CM, manager, colleague, manager, "Verdeling van de caseload."),
        (CM, None, manager, manager, ""),
    ]
    event = TimelineEvent.objects.filter(case=case, type=EventType.OWNER_CHANGED).latest("id")
    assert event.actor == manager and event.summary == "Verdeling van de caseload."
    assert event.data == {
        "role": CM,
        "from": manager.pk,
        "from_name": manager.get_full_name() or manager.username,
        "to": colleague.pk,
        "to_name": "Collega Amsterdam",
    }
    notice = Notification.objects.get()
    assert (notice.user, notice.case_id, notice.kind, notice.due_on, notice.deadline) == (
        colleague,
        case.pk,
        "handed_over",
        None,
        None,
    )
    assert case.reference in notice.message and case.person.family_name not in notice.message
    assert notice.message == f"Casus {case.reference} is aan u overgedragen: u bent nu de casusregisseur."
    row = AccessLogEntry.objects.filter(object_type="cases.case", action="update").latest("id")
    assert (row.actor, row.result, row.object_id) == (manager, "allowed", str(case.pk))
    assert row.detail == {
        "step": "hand_over",
        "role": CM,
        "from": manager.pk,
        "to": colleague.pk,
        "change": changes[0].pk,
    }


def test_the_ngo_guide_role_by_the_guide_and_by_the_case_worker(world, manager, guide, second_guide):
    case = world.ams.assigned
    hand_over(guide, case, GUIDE, guide)
    hand_over(guide, case, GUIDE, second_guide, "Ik ben met verlof.")
    assert owners(case) == (None, second_guide)
    hand_over(manager, case, GUIDE, guide, "Terug van verlof.")
    assert owners(case) == (None, guide)
    assert Notification.objects.filter(kind="handed_over").count() == 2
    assert Notification.objects.filter(user=second_guide).get().message.endswith("u bent nu de begeleider ngo.")


def test_an_ngo_guide_may_not_hand_over_the_case_manager(world, guide, manager):
    with pytest.raises(PermissionDenied) as refused:
        hand_over(guide, world.ams.assigned, CM, manager)
    assert str(refused.value) == str(services.HAND_OVER_NOT_ALLOWED)
    assert owners(world.ams.assigned) == (None, None) and not CaseOwnerChange.objects.exists()


@pytest.mark.parametrize("role", READERS)
def test_users_who_see_but_may_not_change_are_refused(world, role, manager):
    for owner_role, to_user in ((CM, manager), (GUIDE, world.ams.users[Role.NGO])):
        with pytest.raises(PermissionDenied):
            hand_over(world.ams.users[role], world.ams.assigned, owner_role, to_user)
    assert not CaseOwnerChange.objects.exists()


def test_a_guide_of_another_ngo_sees_nothing(world):
    # ngo_b's guide sees the unassigned case no more than the assigned one.
    for case in (world.ams.assigned, world.ams.unassigned):
        with pytest.raises(services.NotVisibleError):
            hand_over(world.ams.users["ngo_b"], case, GUIDE, world.ams.users["ngo_b"])


@pytest.mark.parametrize("who", OUTSIDERS)
def test_users_who_may_not_see_the_case_change_nothing(world, who, manager):
    with pytest.raises(services.NotVisibleError):
        hand_over(outsiders(world)[who], world.ams.assigned, CM, manager)
    assert owners(world.ams.assigned) == (None, None)


def test_the_new_owner_must_be_eligible(world, manager, colleague, guide):
    case = world.ams.assigned
    inactive = UserFactory(username="weg.amsterdam", organisation=colleague.organisation, roles=[Role.CASEMANAGER])
    inactive.is_active = False
    inactive.save()
    not_eligible = {
        CM: [
            world.rot.users[Role.CASEMANAGER],  # another LVV's case worker
            world.ams.users[Role.LSO_CHAIR],  # the municipality, but not a case worker
            guide,  # the NGO guide
            inactive,
            10**12,
            "x",
        ],
        GUIDE: [
            world.ams.users["ngo_b"],  # a guide of an NGO the case is not assigned to
            world.rot.users[Role.NGO],
            manager,  # a case worker is not an NGO guide
        ],
    }
    for role, users in not_eligible.items():
        for user in users:
            with pytest.raises(ValidationError) as refused:
                hand_over(manager, case, role, user)
            assert refused.value.message_dict == {"to_user": [str(services.OWNER_NOT_ELIGIBLE[role])]}, user
    with pytest.raises(ValidationError) as refused:
        hand_over(manager, case, CM, None)
    assert refused.value.message_dict == {"to_user": [str(services.OWNER_REQUIRED)]}
    with pytest.raises(ValidationError) as refused:
        hand_over(manager, world.ams.unassigned, GUIDE, guide)
    assert refused.value.message_dict == {"to_user": [str(services.OWNER_NO_NGO)]}
    with pytest.raises(ValidationError) as refused:
        hand_over(manager, case, "chair", manager)
    assert refused.value.message_dict == {"role": [str(services.OWNER_ROLE_INVALID)]}
    assert owners(case) == (None, None) and not CaseOwnerChange.objects.exists()


def test_the_same_owner_a_missing_reason_and_a_stale_version(world, manager, colleague):
    case = hand_over(manager, world.ams.assigned, CM, manager)
    with pytest.raises(ValidationError) as refused:
        hand_over(manager, case, CM, manager, "Nog eens.")
    assert refused.value.message_dict == {"to_user": ["Deze collega is al de casusregisseur van deze casus."]}
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            hand_over(manager, case, CM, colleague, reason)
        assert refused.value.message_dict == {"reason": [str(services.OWNER_REASON_REQUIRED)]}
    with pytest.raises(ValidationError) as refused:
        hand_over(manager, case, CM, colleague, "x" * 1001)
    assert "reason" in refused.value.message_dict
    with pytest.raises(services.StaleVersionError):
        hand_over(manager, case, CM, colleague, "Overdracht.", expected_version=case.version - 1)
    assert owners(case) == (manager, None) and CaseOwnerChange.objects.count() == 1


def test_the_system_hands_over_too(world, manager):
    hand_over(SYSTEM, world.ams.assigned, CM, manager)
    change = CaseOwnerChange.objects.get()
    assert change.changed_by is None and Notification.objects.get().user == manager


def test_registration_makes_the_case_worker_the_case_manager(world, manager, colleague):
    location, person = world.ams.location, world.ams.unassigned.person
    kw = {"acting_user": manager, "origin": COMMAND, "location": location, "person": person}
    case = services.register_case(**kw)
    assert owners(case) == (manager, None)
    change = CaseOwnerChange.objects.get(case=case)
    assert (change.from_user, change.to_user, change.changed_by, change.reason) == (None, manager, manager, "")
    assert not Notification.objects.exists()  # no hand-over: registering is taking the case
    given = services.register_case(**kw, case_manager=colleague)
    assert owners(given) == (colleague, None)
    with pytest.raises(ValidationError) as refused:
        services.register_case(**kw, case_manager=world.rot.users[Role.CASEMANAGER])
    assert "case_manager" in refused.value.message_dict
    # The import, and the system, leave the owners empty.
    imported = services.register_case(**kw, registrar_owns=False)
    assert owners(imported) == (None, None)
    by_system = services.register_case(**{**kw, "acting_user": SYSTEM})
    assert owners(by_system) == (None, None)


def test_the_intake_makes_the_case_worker_the_case_manager(world, manager):
    case = services.register_intake(
        acting_user=manager,
        origin=COMMAND,
        location=world.ams.location,
        person_fields={"family_name": "Haile", "given_names": "Senait"},
        case_fields={},
    )
    assert owners(case) == (manager, None)


def test_another_ngo_ends_the_guide_role(world, manager, guide):
    case = hand_over(manager, world.ams.assigned, GUIDE, guide)
    case = services.update_case(
        acting_user=manager, origin=COMMAND, case=case, expected_version=case.version, assigned_ngo=world.ams.ngo_b
    )
    assert owners(case) == (None, None) and case.assigned_ngo == world.ams.ngo_b
    change = CaseOwnerChange.objects.filter(case=case).first()
    assert (change.role, change.from_user, change.to_user, change.changed_by) == (GUIDE, guide, None, manager)
    event = TimelineEvent.objects.filter(case=case, type=EventType.OWNER_CHANGED).latest("id")
    assert event.data["cause"] == "ngo_changed" and event.data["to"] is None
    row = AccessLogEntry.objects.filter(object_type="cases.case", action="update").latest("id")
    assert row.detail == {"fields": ["assigned_ngo", "ngo_guide"]}
    # Another change of the NGO without a guide writes no history.
    services.update_case(acting_user=manager, origin=COMMAND, case=case, expected_version=None, assigned_ngo=None)
    assert CaseOwnerChange.objects.filter(case=case).count() == 2


# --- The case page --------------------------------------------------------------------------


def detail(client, case, **params):
    return client.get(reverse("cases:detail", args=[case.pk]), params)


def post_hand_over(client, case, role, **data):
    version = data.pop("version", Case.objects.get(pk=case.pk).version)
    return client.post(reverse("cases:hand-over", args=[case.pk, role]), {"version": version, **data})


def test_the_case_page_shows_the_owners_and_hands_over(client, world, manager, colleague, guide):
    case = world.ams.assigned
    client.force_login(manager)
    html = detail(client, case).content.decode()
    owners_html = html[html.index('id="owners"') : html.index('id="steps"')]
    assert "Eigenaren" in owners_html and "nog niet toegewezen" in owners_html
    assert "Deze casus is nog niet overgedragen." in owners_html
    # One form per role, each offering the eligible colleagues only.
    assert 'id="hand-over-case_manager"' in owners_html and 'id="hand-over-ngo_guide"' in owners_html
    cm_form = owners_html[
        owners_html.index('id="hand-over-case_manager"') : owners_html.index('id="hand-over-ngo_guide"')
    ]
    assert f'value="{colleague.pk}"' in cm_form and f'value="{manager.pk}"' in cm_form
    for other in (guide, world.ams.users[Role.LSO_CHAIR], world.rot.users[Role.CASEMANAGER]):
        assert f'value="{other.pk}"' not in cm_form
    guide_form = owners_html[owners_html.index('id="hand-over-ngo_guide"') :]
    guide_form = guide_form[: guide_form.index("</details>")]
    assert f'value="{guide.pk}"' in guide_form and f'value="{world.ams.users["ngo_b"].pk}"' not in guide_form

    response = post_hand_over(client, case, CM, to_user=manager.pk)
    assert response.status_code == 302 and response["Location"] == reverse("cases:detail", args=[case.pk]) + "#owners"
    response = post_hand_over(client, case, CM, to_user=colleague.pk, reason="Verdeling van de caseload.")
    assert owners(case) == (colleague, None)
    html = client.get(response["Location"]).content.decode()
    assert "De casus is overgedragen: Collega Amsterdam" in html
    owners_html = html[html.index('id="owners"') : html.index('id="steps"')]
    rows = owners_html.split('data-testid="owner-change"')[1:]
    assert len(rows) == 2 and "Verdeling van de caseload." in rows[0] and "eerste toewijzing" in rows[1]
    # The current owner is no longer offered for the role.
    cm_form = owners_html[
        owners_html.index('id="hand-over-case_manager"') : owners_html.index('id="hand-over-ngo_guide"')
    ]
    assert f'value="{colleague.pk}"' not in cm_form and f'value="{manager.pk}"' in cm_form
    # The timeline names the role and the users.
    timeline = html[html.index('id="timeline"') : html.index('id="journal"')]
    assert "Casus overgedragen" in timeline and "van" in timeline and "naar Collega Amsterdam" in timeline


def test_the_ngo_guide_hands_over_the_guide_only(client, world, guide, second_guide):
    case = world.ams.assigned
    client.force_login(guide)
    html = detail(client, case).content.decode()
    assert 'id="hand-over-ngo_guide"' in html and 'id="hand-over-case_manager"' not in html
    assert post_hand_over(client, case, GUIDE, to_user=guide.pk).status_code == 302
    assert post_hand_over(client, case, GUIDE, to_user=second_guide.pk, reason="Verlof.").status_code == 302
    assert owners(case) == (None, second_guide)
    refused = post_hand_over(client, case, CM, to_user=world.ams.users[Role.CASEMANAGER].pk)
    assert refused.status_code == 403 and owners(case) == (None, second_guide)
    row = AccessLogEntry.objects.filter(object_type="cases.case", result="denied").latest("id")
    assert row.detail == {"step": "hand_over", "role": CM, "reason": "permission_denied"}


def test_the_page_shows_field_errors_in_dutch(client, world, manager, colleague):
    case = hand_over(manager, world.ams.assigned, CM, manager)
    client.force_login(manager)
    cases = [
        ({"to_user": ""}, str(services.OWNER_REQUIRED)),
        ({"to_user": colleague.pk}, str(services.OWNER_REASON_REQUIRED)),
        ({"to_user": manager.pk, "reason": "Nog eens."}, "Deze collega is al de casusregisseur van deze casus."),
        ({"to_user": world.rot.users[Role.CASEMANAGER].pk, "reason": "x"}, str(services.OWNER_NOT_ELIGIBLE[CM])),
        ({"to_user": "abc"}, str(services.OWNER_REQUIRED)),
        ({"to_user": colleague.pk, "reason": "x" * 1001}, "Zorg dat deze waarde niet meer dan 1000 tekens bevat"),
    ]
    for data, message in cases:
        response = post_hand_over(client, case, CM, **data)
        html = response.content.decode()
        assert response.status_code == 400 and message in html, data
        assert 'id="hand-over-case_manager" open' in html
    assert owners(case) == (manager, None) and CaseOwnerChange.objects.count() == 1
    # A stale form: the page says so and the next attempt is based on the new version.
    stale = post_hand_over(client, case, CM, to_user=colleague.pk, reason="Overdracht.", version=case.version - 1)
    assert stale.status_code == 409 and str(errors.STALE_VERSION) in stale.content.decode()
    assert owners(case) == (manager, None)
    assert AccessLogEntry.objects.filter(object_type="cases.case", result="conflict").exists()
    assert post_hand_over(client, case, "chair", to_user=colleague.pk).status_code == 404
    assert client.get(reverse("cases:hand-over", args=[case.pk, CM])).status_code == 405


@pytest.mark.parametrize("role", READERS)
def test_readers_see_the_owners_but_may_not_hand_over(client, world, role, manager):
    case = hand_over(manager, world.ams.assigned, CM, manager)
    client.force_login(world.ams.users[role])
    html = detail(client, case).content.decode()
    assert 'data-testid="owner-case_manager"' in html and 'id="hand-over-' not in html
    assert html.count('data-testid="owner-change"') == 1
    for owner_role, to_user in ((CM, manager), (GUIDE, world.ams.users[Role.NGO])):
        assert post_hand_over(client, case, owner_role, to_user=to_user.pk, reason="x").status_code == 403
    assert CaseOwnerChange.objects.count() == 1


@pytest.mark.parametrize("who", OUTSIDERS)
def test_pages_answer_404_to_users_who_may_not_see_the_case(client, world, who, manager):
    case = world.ams.assigned
    client.force_login(outsiders(world)[who])
    for role in (CM, GUIDE):
        assert post_hand_over(client, case, role, to_user=manager.pk, reason="x").status_code == 404
    assert owners(case) == (None, None)
    assert AccessLogEntry.objects.filter(object_type="cases.case", object_id=str(case.pk), result="denied").count() == 2


def test_the_history_pages(client, world, manager, colleague):
    case = world.ams.assigned
    current = hand_over(manager, case, CM, manager)
    for n in range(6):
        current = hand_over(manager, current, CM, colleague if n % 2 == 0 else manager, f"Wissel {n}.")
    client.force_login(manager)
    url = reverse("cases:detail", args=[case.pk])
    assert_paged(client, url, "owners_page", "owner-change", "overdrachten", (5, "Wissel 5."), (2, "eerste toewijzing"))


def test_no_colleague_to_hand_over_to(client, world, guide):
    case = hand_over(guide, world.ams.assigned, GUIDE, guide)
    client.force_login(guide)
    html = detail(client, case).content.decode()
    assert 'data-testid="hand-over-ngo_guide-none"' in html
    # Without an NGO there is no guide to hand over.
    client.force_login(world.ams.users[Role.CASEMANAGER])
    html = detail(client, world.ams.unassigned).content.decode()
    assert "geen ngo toegewezen" in html and 'id="hand-over-ngo_guide"' not in html


def test_the_case_page_takes_a_fixed_number_of_queries(
    client, world, manager, colleague, django_assert_max_num_queries
):
    case = world.ams.assigned
    client.force_login(manager)
    url = reverse("cases:detail", args=[case.pk])
    current = hand_over(manager, case, CM, manager)
    client.get(url)  # warm the caches
    few = count_queries(client, url)
    for n in range(3):
        UserFactory(username=f"extra{n}.amsterdam", organisation=colleague.organisation, roles=[Role.CASEMANAGER])
    for n in range(12):
        current = hand_over(manager, current, CM, colleague if n % 2 == 0 else manager, f"Wissel {n}.")
    assert count_queries(client, url) == few
    with django_assert_max_num_queries(few):
        client.get(url, {"owners_page": 2})


# --- "My cases": the case list and the work queue -------------------------------------------


def listed(client, **params) -> set[int]:
    return {case.pk for case in client.get(reverse("cases:list"), params).context["page"].object_list}


def test_my_cases_are_the_default_for_case_workers_and_guides(client, world, manager, colleague, guide):
    ams = world.ams
    hand_over(manager, ams.unassigned, CM, manager)
    hand_over(manager, ams.assigned, CM, colleague)
    hand_over(guide, ams.assigned, GUIDE, guide)
    client.force_login(manager)
    response = client.get(reverse("cases:list"))
    html = response.content.decode()
    assert {c.pk for c in response.context["page"].object_list} == {ams.unassigned.pk}
    assert 'data-testid="mine-switch"' in html and "Alle casussen tonen" in html and "?mine=false" in html
    assert '<option value="true" selected>Mijn casussen</option>' in html
    assert listed(client, mine="false") == {ams.assigned.pk, ams.unassigned.pk}
    assert "Alleen mijn casussen tonen" in client.get(reverse("cases:list"), {"mine": "false"}).content.decode()
    assert listed(client, mine="true") == {ams.unassigned.pk}
    assert listed(client, page=1) == {ams.unassigned.pk}  # paging stays on my cases
    # A link with filters of its own (the work queue's) shows all cases.
    assert listed(client, state="registered") == {ams.assigned.pk, ams.unassigned.pk}
    assert listed(client, state="registered", mine="true") == {ams.unassigned.pk}
    # The access log says which list was shown.
    row = AccessLogEntry.objects.filter(object_type="cases.case", action="list").latest("id")
    assert row.detail["filters"] == {"state": "registered", "mine": "true"}
    client.force_login(colleague)
    assert listed(client) == {ams.assigned.pk}
    client.force_login(guide)
    assert listed(client) == {ams.assigned.pk}
    assert listed(client, mine="false") == {ams.assigned.pk}


@pytest.mark.parametrize("role", READERS)
def test_other_roles_see_all_cases_by_default(client, world, role, manager):
    hand_over(manager, world.ams.assigned, CM, manager)
    client.force_login(world.ams.users[role])
    html = client.get(reverse("cases:list")).content.decode()
    assert listed(client) == {world.ams.assigned.pk, world.ams.unassigned.pk}
    assert 'data-testid="mine-switch"' not in html and '<option value="false" selected>Alle casussen</option>' in html
    assert listed(client, mine="true") == set()


def test_my_cases_empty_and_odd_values(client, world, manager):
    client.force_login(manager)
    html = client.get(reverse("cases:list")).content.decode()
    assert 'data-testid="mine-empty"' in html and "U bent bij geen casus casusregisseur of begeleider." in html
    response = client.get(reverse("cases:list"), {"mine": "perhaps"})
    assert response.status_code == 200 and response.context["filter"].errors


def test_my_cases_never_cross_the_access_policy(client, world, manager):
    # A case manager who no longer sees a case (another LVV now) does not find it among "mine".
    case = hand_over(manager, world.ams.assigned, CM, manager)
    manager.organisation = world.rot.location.municipality
    manager.save()
    client.force_login(manager)
    assert case.pk not in listed(client) and case.pk not in listed(client, mine="true")


def test_the_case_list_links_to_the_person_page(client, world, manager):
    client.force_login(manager)
    html = client.get(reverse("cases:list"), {"mine": "false"}).content.decode()
    for case in (world.ams.assigned, world.ams.unassigned):
        assert reverse("cases:person", args=[case.person_id]) in html


def test_the_case_list_takes_a_fixed_number_of_queries(client, world, manager, django_assert_max_num_queries):
    client.force_login(manager)
    url = reverse("cases:list")
    for case in CaseFactory.create_batch(2, location=world.ams.location):
        hand_over(manager, case, CM, manager)
    client.get(url)
    few = count_queries(client, url)
    for case in CaseFactory.create_batch(30, location=world.ams.location, assigned_ngo=world.ams.ngo_a):
        hand_over(manager, case, CM, manager)
    assert count_queries(client, url) == few
    with django_assert_max_num_queries(few):
        client.get(url, {"mine": "false", "q": "Achternaam"})


def test_the_work_queue_shows_my_open_cases(client, world, manager, colleague, django_assert_max_num_queries):
    ams = world.ams
    hand_over(manager, ams.unassigned, CM, manager)
    hand_over(manager, ams.assigned, CM, colleague)
    closed = CaseFactory(location=ams.location, with_outflow="departure_origin")
    hand_over(manager, closed, CM, manager)
    client.force_login(manager)
    html = client.get(reverse("home")).content.decode()
    mine_html = html[html.index('id="work-mine"') :]
    mine_html = mine_html[: mine_html.index("</section>")]
    assert mine_html.count('data-testid="work-mine-case"') == 1 and ams.unassigned.reference in mine_html
    assert closed.reference not in mine_html and ams.assigned.reference not in mine_html
    assert f'href="{reverse("cases:list")}?mine=true"' in mine_html and "casusregisseur" in mine_html
    # Bounded, with a link to the whole filtered list, in a fixed number of queries.
    few = count_queries(client, reverse("home"))
    for case in CaseFactory.create_batch(12, location=ams.location):
        hand_over(manager, case, CM, manager)
    html = client.get(reverse("home")).content.decode()
    assert html.count('data-testid="work-mine-case"') == 10 and "Al mijn casussen in de casuslijst" in html
    with django_assert_max_num_queries(few):
        client.get(reverse("home"))
    # Roles that own no cases have no such section; a guide without cases gets an empty state.
    client.force_login(ams.users[Role.IND])
    assert 'id="work-mine"' not in client.get(reverse("home")).content.decode()
    client.force_login(ams.users[Role.NGO])
    assert 'data-testid="work-mine-empty"' in client.get(reverse("home")).content.decode()


# --- The API --------------------------------------------------------------------------------


def api_hand_over(api_client, case, **body):
    body.setdefault("version", Case.objects.get(pk=case.pk).version)
    return api_client.post(f"/api/v1/cases/{case.pk}/hand-over/", body, format="json")


def test_api_hands_over_and_shows_the_owners(api_client, world, manager, colleague, guide):
    case = world.ams.assigned
    api_client.force_authenticate(manager)
    data = api_client.get(f"/api/v1/cases/{case.pk}/").json()
    assert data["case_manager"] is None and data["ngo_guide"] is None
    response = api_hand_over(api_client, case, role=CM, to_user=manager.pk)
    assert response.status_code == 200, response.json()
    assert response.json()["case_manager"] == {"id": manager.pk, "name": manager.get_full_name() or manager.username}
    assert response["ETag"] == f'"{response.json()["version"]}"'
    response = api_hand_over(api_client, case, role=CM, to_user=colleague.pk, reason="Verdeling.")
    assert response.json()["case_manager"] == {"id": colleague.pk, "name": "Collega Amsterdam"}
    response = api_hand_over(api_client, case, role=GUIDE, to_user=guide.pk)
    assert response.json()["ngo_guide"]["id"] == guide.pk
    # Owners are read-only in the case itself.
    patched = api_client.patch(
        f"/api/v1/cases/{case.pk}/", {"case_manager": manager.pk, "version": response.json()["version"]}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["case_manager"]["id"] == colleague.pk
    history = api_client.get(f"/api/v1/cases/{case.pk}/owner-changes/").json()
    assert history["count"] == 3 and history["next"] is None
    newest = history["results"][0]
    assert newest["role"] == GUIDE and newest["to_user"]["id"] == guide.pk and newest["from_user"] is None
    assert history["results"][1]["reason"] == "Verdeling." and history["results"][1]["from_user"]["id"] == manager.pk
    assert history["results"][1]["changed_by"]["id"] == manager.pk
    assert api_client.get(f"/api/v1/cases/{case.pk}/owner-changes/", {"page_size": 1}).json()["next"]
    rows = AccessLogEntry.objects.filter(channel="api")
    assert rows.filter(action="update", detail__step="hand_over").count() == 3
    assert rows.filter(action="list", object_type="cases.caseownerchange").exists()


def test_api_if_match_and_stale_versions(api_client, world, manager, colleague):
    case = hand_over(manager, world.ams.assigned, CM, manager)
    api_client.force_authenticate(manager)
    url = f"/api/v1/cases/{case.pk}/hand-over/"
    body = {"role": CM, "to_user": colleague.pk, "reason": "Overdracht."}
    assert api_client.post(url, body, format="json").json() == {"version": [str(VERSION_REQUIRED)]}
    assert api_client.post(url, {**body, "version": case.version - 1}, format="json").status_code == 409
    assert api_client.post(url, body, format="json", HTTP_IF_MATCH=f'"{case.version - 1}"').status_code == 412
    assert owners(case) == (manager, None)
    assert api_client.post(url, body, format="json", HTTP_IF_MATCH=f'"{case.version}"').status_code == 200
    assert owners(case) == (colleague, None)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "role", "Dit veld is vereist."),
        ({"role": "chair"}, "role", None),
        ({"to_user": None}, "to_user", None),
        ({"to_user": 0}, "to_user", None),
        ({"to_user": "abc"}, "to_user", None),
        ({"reason": "x" * 1001}, "reason", None),
        ({"reason": ""}, "reason", str(services.OWNER_REASON_REQUIRED)),
        ({"to_user": "me"}, "to_user", "Deze collega is al de casusregisseur van deze casus."),
        ({"to_user": "other_lvv"}, "to_user", str(services.OWNER_NOT_ELIGIBLE[CM])),
        ({"to_user": 10**12}, "to_user", str(services.OWNER_NOT_ELIGIBLE[CM])),
    ],
)
def test_api_field_errors_in_dutch(api_client, world, manager, colleague, body, field, message):
    case = hand_over(manager, world.ams.assigned, CM, manager)
    api_client.force_authenticate(manager)
    users = {"me": manager.pk, "other_lvv": world.rot.users[Role.CASEMANAGER].pk}
    base = {"role": CM, "to_user": colleague.pk, "reason": "Overdracht."} if body else {}
    body = {k: users.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    response = api_hand_over(api_client, case, **{**base, **body})
    assert response.status_code == 400 and field in response.json(), response.json()
    if message:
        assert message in response.json()[field]
    assert owners(case) == (manager, None)


@pytest.mark.parametrize("role", [*READERS, "ngo_for_case_manager"])
def test_api_403_for_users_who_see_but_may_not_hand_over(api_client, world, role, manager):
    case = world.ams.assigned
    user = world.ams.users[Role.NGO] if role == "ngo_for_case_manager" else world.ams.users[role]
    api_client.force_authenticate(user)
    response = api_hand_over(api_client, case, role=CM, to_user=manager.pk)
    assert response.status_code == 403 and response.json()["detail"] == str(services.HAND_OVER_NOT_ALLOWED)
    assert api_client.get(f"/api/v1/cases/{case.pk}/owner-changes/").status_code == 200
    assert owners(case) == (None, None)
    assert AccessLogEntry.objects.filter(channel="api", result="denied", detail__step="hand_over").exists()


@pytest.mark.parametrize("who", OUTSIDERS)
def test_api_404_for_users_who_may_not_see_the_case(api_client, world, who, manager):
    case = hand_over(manager, world.ams.assigned, CM, manager)
    api_client.force_authenticate(outsiders(world)[who])
    assert api_hand_over(api_client, case, role=CM, to_user=manager.pk, reason="x").status_code == 404
    assert api_client.post(f"/api/v1/cases/{case.pk}/hand-over/", {}, format="json").status_code == 404
    assert api_client.get(f"/api/v1/cases/{case.pk}/owner-changes/").status_code == 404
    assert api_client.get("/api/v1/cases/", {"mine": "true"}).json()["count"] == 0
    assert owners(case) == (manager, None)
    rows = AccessLogEntry.objects.filter(channel="api", object_type="cases.case", object_id=str(case.pk))
    assert rows.filter(result="denied").count() == 3


def test_api_mine_filter(api_client, world, manager, colleague, guide):
    ams = world.ams
    hand_over(manager, ams.unassigned, CM, manager)
    hand_over(guide, ams.assigned, GUIDE, guide)
    api_client.force_authenticate(manager)

    def ids(**params):
        return {row["id"] for row in api_client.get("/api/v1/cases/", params).json()["results"]}

    assert ids() == ids(mine="false") == {ams.assigned.pk, ams.unassigned.pk}  # the API lists all by default
    assert ids(mine="true") == {ams.unassigned.pk}
    assert api_client.get("/api/v1/cases/", {"mine": "perhaps"}).status_code == 400
    api_client.force_authenticate(guide)
    assert ids(mine="true") == {ams.assigned.pk}
    api_client.force_authenticate(colleague)
    assert ids(mine="true") == set()


def test_api_list_takes_a_fixed_number_of_queries(api_client, world, manager):
    api_client.force_authenticate(manager)
    for case in CaseFactory.create_batch(2, location=world.ams.location):
        hand_over(manager, case, CM, manager)
    api_client.get("/api/v1/cases/")  # warm the caches
    with CaptureQueriesContext(connection) as few:
        api_client.get("/api/v1/cases/", {"mine": "true"})
    for case in CaseFactory.create_batch(20, location=world.ams.location, assigned_ngo=world.ams.ngo_a):
        hand_over(manager, hand_over(manager, case, CM, manager), GUIDE, world.ams.users[Role.NGO])
    with CaptureQueriesContext(connection) as many:
        assert api_client.get("/api/v1/cases/", {"mine": "true"}).json()["count"] == 22
    assert len(many.captured_queries) == len(few.captured_queries)
    case = Case.objects.filter(ngo_guide__isnull=False).first()
    with CaptureQueriesContext(connection) as few_changes:
        api_client.get(f"/api/v1/cases/{case.pk}/owner-changes/")
    current = case
    for n in range(10):
        current = hand_over(
            manager,
            current,
            GUIDE,
            world.ams.users[Role.NGO]
            if n % 2
            else UserFactory(username=f"gids{n}", organisation=world.ams.ngo_a, roles=[Role.NGO]),
            f"Wissel {n}.",
        )
    with CaptureQueriesContext(connection) as many_changes:
        api_client.get(f"/api/v1/cases/{case.pk}/owner-changes/")
    assert len(many_changes.captured_queries) == len(few_changes.captured_queries)


def test_the_schema_lists_the_endpoints(api_client, world, manager):
    api_client.force_authenticate(manager)
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert set(schema["paths"]["/api/v1/cases/{case_id}/hand-over/"]) == {"post"}
    assert set(schema["paths"]["/api/v1/cases/{case_id}/owner-changes/"]) == {"get"}
    assert "mine" in {p["name"] for p in schema["paths"]["/api/v1/cases/"]["get"]["parameters"]}
