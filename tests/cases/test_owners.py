"""Case owners: the case manager and the NGO guide of a case, their hand-over (service, case
page and API) with its history, registration's first owner, a change of NGO that ends the
guide's role, "my cases" on the case list, the work queue and the API; who may hand over
what; 404 for users who may not see the case, 403 for users who may see but not hand over;
a fixed number of queries; the demo's owners."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cases import demo, selectors, services
from cases.models import Case, CaseOwnerChange, EventType, Notification, OwnerRole, TimelineEvent
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role, User
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.factories import CaseFactory, UserFactory

pytestmark = pytest.mark.django_db

CM, GUIDE = OwnerRole.CASE_MANAGER, OwnerRole.NGO_GUIDE
OUTSIDERS = ["other_lvv", "other_ngo", "bureau"]
READERS = [Role.LSO_CHAIR, Role.IND, Role.DTV]  # see the case, may not hand over


def hand_over(user, case, role, to_user, reason="", **kwargs) -> Case:
    return services.hand_over(
        acting_user=user, origin=COMMAND, case=case, role=role, to_user=to_user, reason=reason, **kwargs
    )


def outsiders(world) -> dict[str, User]:
    """Users who may not see ``world.ams.assigned``: another LVV, an NGO the case is not
    assigned to, the programme bureau."""
    return {
        "other_lvv": world.rot.users[Role.CASEMANAGER],
        "other_ngo": world.ams.users["ngo_b"],
        "bureau": world.bureau,
    }


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
    assert row.detail == {"step": "hand_over", "role": CM, "from": manager.pk, "to": colleague.pk, "change": changes[0].pk}


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
