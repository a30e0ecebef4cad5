"""Every change of MRT data goes through these functions (pages, API, demo seed).

Keyword-only, with the acting user and the origin; one transaction each, with the timeline
events (``cases.services.add_event``) and the access-log rows. The MRT is convened by the
LSO and coordinated by the LVV's municipality:

- an escalation is created by the LSO's minutes (``escalate_from_lso``, registered in
  ``lso.services.escalation_handlers`` by ``MrtConfig.ready``), with the partners'
  positions and a preparation task for the IND and for the DT&V of the LVV;
- partners who see the case write their organisation's position until the advice;
- the municipality's LSO chair and case workers (``can_coordinate``) add preparation
  tasks, plan sessions, schedule escalations and record the MRT's advice; the IND and the
  DT&V mark their own tasks done;
- the advice writes ``mrt_discussed`` (``cases.services.record_mrt_discussion``, so the
  monitor counts the case; outcome ``no_durable_solution_possible`` when so) and then
  ``mrt_advice``, which puts the case among the next LSO's suggestions. The LSO records
  whether it follows the advice (``lso.services.record_outcome``).
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cases import services as case_services
from cases.models import Case, Confidentiality, Direction, EventType
from cases.services import add_event
from lso import confidential
from lso.models import AgendaItem, ItemOutcome
from lso.services import NOT_A_PARTNER, can_prepare, works_for
from lvv.access.policy import Actor, AnyUser
from lvv.accounts.models import Role, User
from lvv.audit.log import AccessAction, Origin, record
from lvv.errors import NotVisibleError, StaleVersionError
from lvv.params import check_dates, not_before
from lvv.partners.models import Location, Organisation, OrganisationKind
from lvv.services import (
    check_version,
    locked_visible,
    mark_done,
    not_future,
    required_text,
    save_next_version,
    user_or_none,
)
from lvv.text import check_text, column_length
from mrt import selectors
from mrt.models import Advice, Escalation, EscalationStatus, MrtSession, Position, PreparationTask

__all__ = [
    "NotVisibleError",
    "StaleVersionError",
    "can_coordinate",
    "escalate_from_lso",
    "save_position",
    "add_preparation_task",
    "complete_preparation_task",
    "create_session",
    "schedule_escalation",
    "give_advice",
]

# The programme's working agreements (days).
ADVICE_DUE_DAYS = 42  # the MRT advises within six weeks of the escalation
PREPARATION_DAYS = 14  # the IND and the DT&V deliver their support within two weeks
LSO_FOLLOW_UP_DAYS = 28  # the LSO discusses the advice within four weeks

PREPARATION_TASKS: dict[str, Promise] = {
    OrganisationKind.IND: _("Verblijfsrechtelijke mogelijkheden en lopende procedures op een rij zetten voor het MRT."),
    OrganisationKind.DTV: _("Vertrekmogelijkheden en eerdere vertrekprocedures op een rij zetten voor het MRT."),
}

# --- Error messages ---------------------------------------------------------------------
NOT_COORDINATOR = _("Alleen de LSO-voorzitter en de casemanagers van de gemeente van deze LVV mogen dit doen.")
ALREADY_ADVISED = _("Het MRT heeft over deze casus al advies uitgebracht.")
SESSION_OTHER_LVV = _("Deze MRT-sessie hoort bij een andere LVV.")
SESSION_NOT_FOUND = _("Kies een bestaande MRT-sessie.")
SESSION_AFTER_ADVICE = _("De sessie ligt na de datum van het advies.")
SESSION_BEFORE_ESCALATION = _("De sessie ligt vóór de voorlegging aan het MRT (%(date)s).")
DIRECTION_REQUIRED = _("Kies de geadviseerde richting, of geef aan dat geen bestendige oplossing mogelijk is.")
NO_DIRECTION_WHEN_NONE_POSSIBLE = _("Geef geen richting als geen bestendige oplossing mogelijk is.")
REASONING_REQUIRED = _("Onderbouw het advies.")
TASK_OWNER_KIND = _("Een voorbereidingstaak is voor de IND of de DT&V van deze LVV.")
TASK_ALREADY_DONE = _("Deze taak is al afgerond.")
NOT_TASK_OWNER = _("Alleen de eigenaar van de taak of de gemeente mag haar afronden.")
DUE_REQUIRED = _("Geef de datum waarop dit klaar moet zijn.")
NGO_INVALID = _("Kies een ngo die voor deze LVV werkt.")
SPECIALIST_INVALID = _("%(user)s is geen actieve medewerker van de %(partner)s.")
NATIONAL_NEEDS_MUNICIPALITY = _("Alleen een gemeente van een LVV plant een landelijke MRT-sessie.")
# Lengths of the texts that have their own column size (the rest: lvv.text.TEXT_MAX).
TASK_DESCRIPTION_MAX = column_length(PreparationTask, "description")
SESSION_PLACE_MAX = column_length(MrtSession, "place")


def can_coordinate(user: AnyUser, location: Location) -> bool:
    """Plan sessions, schedule escalations, add tasks and record the advice in ``location``."""
    return can_prepare(user, location)


def _locked_escalation(
    acting_user: Actor, escalation: Escalation, expected_version: int | None = None, *, coordinate: bool = True
) -> Escalation:
    visible = Escalation.objects.filter(case__in=Case.objects.visible_to(acting_user).values("pk"))
    locked = locked_visible(visible, escalation.pk, "case__location")
    if coordinate and not can_coordinate(acting_user, locked.case.location):
        raise PermissionDenied(str(NOT_COORDINATOR))
    check_version(locked, expected_version)
    return locked


# --- Escalation from the LSO -------------------------------------------------------------


def escalate_from_lso(
    *, acting_user: Actor, origin: Origin, item: AgendaItem, outcome: ItemOutcome, on: datetime.date
) -> Escalation:
    """The LSO's "escalate" decision (called inside the minutes' transaction): the
    escalation with the partners' positions, a preparation task for the IND and for the
    DT&V of the LVV, and the ``mrt_escalated`` event."""
    case = item.case
    escalation = Escalation.objects.create(
        case=case,
        agenda_item=item,
        reason=outcome.escalation_reason,
        question=outcome.escalation_question,
        escalated_on=on,
        advice_due_on=on + datetime.timedelta(days=ADVICE_DUE_DAYS),
        created_by=user_or_none(acting_user),
    )
    Position.objects.bulk_create(
        [
            Position(escalation=escalation, organisation=p.organisation, text=p.text, author=user_or_none(acting_user))
            for p in outcome.positions.select_related("organisation")
        ]
    )
    partners = Organisation.objects.filter(
        kind__in=list(PREPARATION_TASKS), service_links__location=case.location_id
    ).order_by("kind", "name", "pk")
    seen = set()
    due_on = on + datetime.timedelta(days=PREPARATION_DAYS)
    for organisation in partners:
        if organisation.kind in seen:
            continue
        seen.add(organisation.kind)
        PreparationTask.objects.create(
            escalation=escalation,
            owner_organisation=organisation,
            description=str(PREPARATION_TASKS[organisation.kind]),
            due_on=due_on,
        )
    add_event(
        case,
        EventType.MRT_ESCALATED,
        on=on,
        actor=acting_user,
        summary=escalation.question,
        data={"escalation": escalation.pk, "reason": escalation.reason, "meeting": item.meeting_id},
    )
    record(actor=acting_user, action=AccessAction.CREATE, obj=escalation, origin=origin, detail={"case": case.pk})
    return escalation


# --- Positions and preparation -------------------------------------------------------------


@transaction.atomic
def save_position(*, acting_user: Actor, origin: Origin, escalation: Escalation, text: str) -> Position:
    """Write (or rewrite) the acting user's organisation's position, until the advice."""
    escalation = _locked_escalation(acting_user, escalation, coordinate=False)
    organisation = getattr(acting_user, "organisation", None)
    if not works_for(organisation, escalation.case.location):
        raise PermissionDenied(str(NOT_A_PARTNER))
    if escalation.status == EscalationStatus.ADVISED:
        raise ValidationError({"__all__": ALREADY_ADVISED})
    text = required_text(text, "text")
    position, created = Position.objects.update_or_create(
        escalation=escalation, organisation=organisation, defaults={"text": text, "author": acting_user}
    )
    record(
        actor=acting_user,
        action=AccessAction.CREATE if created else AccessAction.UPDATE,
        obj=position,
        origin=origin,
        detail={"case": escalation.case_id},
    )
    return position


@transaction.atomic
def add_preparation_task(
    *,
    acting_user: Actor,
    origin: Origin,
    escalation: Escalation,
    owner_organisation: Organisation,
    description: str,
    due_on: datetime.date | None,
) -> PreparationTask:
    """Ask the IND or the DT&V of the LVV for support in preparing the MRT."""
    escalation = _locked_escalation(acting_user, escalation)
    if escalation.status == EscalationStatus.ADVISED:
        raise ValidationError({"__all__": ALREADY_ADVISED})
    if (
        owner_organisation is None
        or owner_organisation.kind not in PREPARATION_TASKS
        or not works_for(owner_organisation, escalation.case.location)
    ):
        raise ValidationError({"owner_organisation": TASK_OWNER_KIND})
    description = required_text(description, "description", limit=TASK_DESCRIPTION_MAX)
    if due_on is None:
        raise ValidationError({"due_on": DUE_REQUIRED})
    check_dates(due_on=due_on)
    not_before(due_on, escalation.escalated_on, "due_on")
    task = PreparationTask.objects.create(
        escalation=escalation, owner_organisation=owner_organisation, description=description[:500], due_on=due_on
    )
    record(actor=acting_user, action=AccessAction.CREATE, obj=task, origin=origin, detail={"case": escalation.case_id})
    return task


@transaction.atomic
def complete_preparation_task(
    *, acting_user: Actor, origin: Origin, task: PreparationTask, on: datetime.date | None = None
) -> PreparationTask:
    visible = PreparationTask.objects.filter(escalation__case__in=Case.objects.visible_to(acting_user).values("pk"))
    locked = locked_visible(visible, task.pk, "escalation__case__location")
    location = locked.escalation.case.location
    owner = locked.owner_organisation_id == getattr(acting_user, "organisation_id", None)
    if not (owner or can_coordinate(acting_user, location)):
        raise PermissionDenied(str(NOT_TASK_OWNER))
    mark_done(locked, acting_user, on, not_before_date=locked.escalation.escalated_on, already_done=TASK_ALREADY_DONE)
    record(
        actor=acting_user,
        action=AccessAction.UPDATE,
        obj=locked,
        origin=origin,
        detail={"case": locked.escalation.case_id},
    )
    return locked


# --- Sessions ----------------------------------------------------------------------------


def _check_specialist(user: User | None, role: str, field: str, partner: str) -> None:
    if user is not None and (not user.is_active or not user.has_role(role)):
        raise ValidationError({field: SPECIALIST_INVALID % {"user": user.get_username(), "partner": partner}})


@transaction.atomic
def create_session(
    *,
    acting_user: Actor,
    origin: Origin,
    location: Location | None,
    date: datetime.date,
    place: str = "",
    ngo: Organisation | None = None,
    ind_specialist: User | None = None,
    dtv_specialist: User | None = None,
) -> MrtSession:
    """Plan an MRT session for an LVV, or a national one (``location=None``): the
    municipality (the LVV's, or the planner's own), an NGO, and IND and DT&V specialists."""
    if location is not None:
        if not can_coordinate(acting_user, location):
            raise PermissionDenied(str(NOT_COORDINATOR))
        municipality = location.municipality
    else:
        organisation = getattr(acting_user, "organisation", None)
        if (
            organisation is None
            or organisation.kind != OrganisationKind.MUNICIPALITY
            or not acting_user.has_role(Role.LSO_CHAIR, Role.CASEMANAGER)
            or not organisation.own_locations.exists()
        ):
            raise PermissionDenied(str(NATIONAL_NEEDS_MUNICIPALITY))
        municipality = organisation
    if ngo is not None and (
        ngo.kind != OrganisationKind.NGO or (location is not None and not works_for(ngo, location))
    ):
        raise ValidationError({"ngo": NGO_INVALID})
    check_text(place=(place, SESSION_PLACE_MAX))
    check_dates(date=date)
    _check_specialist(ind_specialist, Role.IND, "ind_specialist", "IND")
    _check_specialist(dtv_specialist, Role.DTV, "dtv_specialist", "DT&V")
    session = MrtSession(
        location=location,
        date=date,
        place=(place or "").strip(),
        municipality=municipality,
        ngo=ngo,
        ind_specialist=ind_specialist,
        dtv_specialist=dtv_specialist,
        created_by=user_or_none(acting_user),
    )
    session.full_clean(exclude=["created_by", "municipality", "ngo", "ind_specialist", "dtv_specialist"])
    session.save()
    record(actor=acting_user, action=AccessAction.CREATE, obj=session, origin=origin)
    return session


def _session_for(acting_user: Actor, escalation: Escalation, session: MrtSession | None) -> MrtSession | None:
    if session is None:
        return None
    visible = selectors.visible_sessions(acting_user).filter(pk=session.pk).first()
    if visible is None:
        raise ValidationError({"session": SESSION_NOT_FOUND})
    if visible.location_id is not None and visible.location_id != escalation.case.location_id:
        raise ValidationError({"session": SESSION_OTHER_LVV})
    if visible.date < escalation.escalated_on:
        raise ValidationError({"session": SESSION_BEFORE_ESCALATION % {"date": date_format(escalation.escalated_on)}})
    return visible


@transaction.atomic
def schedule_escalation(
    *,
    acting_user: Actor,
    origin: Origin,
    escalation: Escalation,
    session: MrtSession,
    expected_version: int | None = None,
) -> Escalation:
    """Put the escalation on a session of its LVV (or a national one)."""
    escalation = _locked_escalation(acting_user, escalation, expected_version)
    if escalation.status == EscalationStatus.ADVISED:
        raise ValidationError({"__all__": ALREADY_ADVISED})
    if session is None:
        raise ValidationError({"session": SESSION_NOT_FOUND})
    escalation.session = _session_for(acting_user, escalation, session)
    escalation.status = EscalationStatus.SCHEDULED
    save_next_version(escalation)
    record(
        actor=acting_user,
        action=AccessAction.UPDATE,
        obj=escalation,
        origin=origin,
        detail={"step": "schedule", "session": session.pk},
    )
    return escalation


# --- The advice --------------------------------------------------------------------------


def _validate_advice(direction: str, route: str, no_durable_solution_possible: bool) -> None:
    if no_durable_solution_possible:
        if direction or route:
            raise ValidationError({"direction": NO_DIRECTION_WHEN_NONE_POSSIBLE})
        return
    if direction not in Direction.values:
        raise ValidationError({"direction": DIRECTION_REQUIRED})
    if wrong_route := case_services.route_error(direction, route):
        raise ValidationError({"route": wrong_route})


@transaction.atomic
def give_advice(
    *,
    acting_user: Actor,
    origin: Origin,
    escalation: Escalation,
    reasoning: str,
    direction: str = "",
    route: str = "",
    no_durable_solution_possible: bool = False,
    session: MrtSession | None = None,
    due_on: datetime.date | None = None,
    expected_version: int | None = None,
    on: datetime.date | None = None,
    reasoning_confidentiality: str = Confidentiality.NORMAL,
) -> Advice:
    """Record the MRT's advice to the LSO, given on ``on`` (default today): a recommended
    direction and route, or "no durable solution possible", with its reasoning. ``due_on``:
    the date by which the LSO discusses it (default four weeks later).

    ``reasoning_confidentiality="special"`` only by a user who may see the case's
    special-category data; the timeline events then say so instead of quoting the reasoning."""
    escalation = _locked_escalation(acting_user, escalation, expected_version)
    if escalation.status == EscalationStatus.ADVISED:
        raise ValidationError({"__all__": ALREADY_ADVISED})
    reasoning_confidentiality = confidential.check_mark(
        acting_user, escalation.case, reasoning_confidentiality, field="reasoning_confidentiality"
    )
    direction, route = direction or "", route or ""
    _validate_advice(direction, route, no_durable_solution_possible)
    reasoning = required_text(reasoning, "reasoning", REASONING_REQUIRED)
    on = not_future(on)
    not_before(on, escalation.escalated_on)
    session = _session_for(acting_user, escalation, session) if session is not None else escalation.session
    if session is not None and session.date > on:
        raise ValidationError({"session": SESSION_AFTER_ADVICE})
    check_dates(due_on=due_on)
    due_on = due_on or on + datetime.timedelta(days=LSO_FOLLOW_UP_DAYS)
    not_before(due_on, on, "due_on")
    advice = Advice.objects.create(
        escalation=escalation,
        session=session,
        direction=direction,
        route=route,
        reasoning=reasoning,
        reasoning_confidentiality=reasoning_confidentiality,
        no_durable_solution_possible=no_durable_solution_possible,
        given_on=on,
        due_on=due_on,
        given_by=user_or_none(acting_user),
    )
    summary = confidential.event_summary(reasoning, reasoning_confidentiality)
    case = case_services.record_mrt_discussion(
        acting_user=acting_user,
        origin=origin,
        case=escalation.case,
        outcome="no_durable_solution_possible" if no_durable_solution_possible else None,
        notes=summary,
        on=on,
        advice_id=advice.pk,
    )
    advice.event = add_event(
        case,
        EventType.MRT_ADVICE,
        on=on,
        actor=acting_user,
        summary=summary,
        data={
            "advice": advice.pk,
            "escalation": escalation.pk,
            "direction": direction or None,
            "route": route or None,
            "no_durable_solution_possible": no_durable_solution_possible,
            "due_on": due_on.isoformat(),
            "reasoning_confidentiality": reasoning_confidentiality,
        },
    )
    advice.save(update_fields=["event"])
    escalation.status = EscalationStatus.ADVISED
    escalation.session = session
    save_next_version(escalation)
    record(
        actor=acting_user,
        action=AccessAction.CREATE,
        obj=advice,
        origin=origin,
        detail={"case": case.pk, "reasoning_confidentiality": reasoning_confidentiality},
    )
    return advice
