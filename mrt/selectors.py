"""Reads of MRT data, scoped by the access policy: an escalation, its positions, tasks and
advice are visible with its case; a session of an LVV to the partners of that LVV, a
national session to every partner that sees cases (its escalations still filtered). A
special reasoning of an advice is withheld from readers who may not see the case's
special-category data (``lso.confidential``)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from cases.models import Case
from lso.models import ItemOutcome
from lvv.access import policy
from lvv.access.policy import Actor
from lvv.partners.models import locations_of
from mrt.models import Advice, Escalation, MrtSession, Position, PreparationTask


def visible_sessions(user: Actor) -> QuerySet[MrtSession]:
    if policy.is_system(user):
        return MrtSession.objects.all()
    if not policy.sees_persons(user) or getattr(user, "organisation_id", None) is None:
        return MrtSession.objects.none()
    return MrtSession.objects.filter(
        Q(location__isnull=True) | Q(location__in=locations_of(user.organisation).values("pk"))
    )


def _followed_up() -> Exists:
    """The LSO has discussed the advice (an item outcome names its timeline event)."""
    return Exists(ItemOutcome.objects.filter(advice_event=OuterRef("advice__event")))


def visible_escalations(user: Actor) -> QuerySet[Escalation]:
    """Escalations of visible cases, with the case, the session, the advice (a special
    reasoning withheld from a reader without the permission, ``lso.confidential``) and
    whether the LSO has followed it up (``followed_up``), in two queries."""
    return (
        Escalation.objects.filter(case__in=Case.objects.visible_to(user).values("pk"))
        .select_related("case__person", "case__location", "session__location", "agenda_item__meeting")
        .prefetch_related(Prefetch("advice", queryset=Advice.objects.for_reader(user)))
        .annotate(followed_up=_followed_up())
        .order_by("-escalated_on", "-pk")
    )


def escalation_for_page(user: Actor, pk: int | str) -> Escalation:
    """A visible escalation with its positions, tasks and advice (fixed number of queries);
    ``Escalation.DoesNotExist`` when hidden."""
    return (
        visible_escalations(user)
        .prefetch_related(
            Prefetch("positions", queryset=Position.objects.select_related("organisation").order_by("pk")),
            Prefetch(
                "tasks", queryset=PreparationTask.objects.select_related("owner_organisation").order_by("due_on", "pk")
            ),
        )
        .get(pk=pk)
    )


def visible_advice(user: Actor) -> QuerySet[Advice]:
    """Advice on visible cases; a special reasoning the user may not see is withheld."""
    return (
        Advice.objects.for_reader(user)
        .filter(escalation__case__in=Case.objects.visible_to(user).values("pk"))
        .select_related("escalation__case__person", "escalation__case__location", "session")
        .annotate(followed_up=Exists(ItemOutcome.objects.filter(advice_event=OuterRef("event"))))
        .order_by("-given_on", "-pk")
    )


def visible_tasks(user: Actor) -> QuerySet[PreparationTask]:
    return (
        PreparationTask.objects.filter(escalation__case__in=Case.objects.visible_to(user).values("pk"))
        .select_related("escalation__case__person", "escalation__case__location", "owner_organisation")
        .order_by("due_on", "pk")
    )


def open_tasks_for(user: Actor) -> QuerySet[PreparationTask]:
    """The IND's or DT&V's open preparation tasks for the user's organisation (work queue)."""
    organisation_id = getattr(user, "organisation_id", None)
    if organisation_id is None:
        return PreparationTask.objects.none()
    return visible_tasks(user).filter(owner_organisation=organisation_id, done_on__isnull=True)
