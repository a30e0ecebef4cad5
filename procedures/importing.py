"""Version 2 of the case import (``lvv-case/2``, contracts/case-import.md): the events of
applications and departure plans, registered with ``cases.importer`` (its registry of later
versions) and written through ``procedures.services``, like a partner's steps.

| type | extra fields |
|---|---|
| ``application_submitted`` | ``kind`` |
| ``application_decided`` | ``kind``, ``outcome`` (``granted``, ``rejected``, ``withdrawn``) |
| ``departure_planned`` | ``planned_on`` (on or after the event's date), ``support`` (``iom``, ``dtv``,
``independent``) |

Rules (besides version 1's, which hold for every event): each of these events needs an
``admitted`` earlier in the list (the same day is allowed); ``application_decided`` needs an
earlier or same-day ``application_submitted`` of the same kind that is not yet decided, and
decides the earliest such one; ``planned_on`` lies on or after the event's date. An imported
application has no ``submitted_by`` (unknown). The importing case worker records the
submissions; the IND's decisions and the DT&V's plans are written as the system, and the
access log says whose import it was.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cases.importer import EventField, Extension, register_extension
from lvv.access import policy
from lvv.accounts.models import Role
from procedures import services
from procedures.models import ApplicationKind, DepartureSupport, Outcome

SCHEMA = "lvv-case/2"
SUBMITTED, DECIDED, PLANNED = "application_submitted", "application_decided", "departure_planned"
KINDS = tuple(ApplicationKind.values)

NEEDS_ADMITTED = _("“%(type)s” vraagt een eerdere of gelijktijdige “admitted”.")
DECIDED_WITHOUT_SUBMITTED = _(
    "“application_decided” vraagt een eerdere of gelijktijdige “application_submitted” van dezelfde soort "
    "(%(kind)s) waarop nog niet besloten is."
)
PLANNED_BEFORE_DATE = _("De vertrekdatum ligt vóór de datum van deze gebeurtenis (%(date)s).")

FIELDS: dict[str, tuple[EventField, ...]] = {
    SUBMITTED: (EventField("kind", KINDS, required=True),),
    DECIDED: (
        EventField("kind", KINDS, required=True),
        EventField("outcome", tuple(Outcome.values), required=True),
    ),
    PLANNED: (
        EventField("planned_on", kind="date", required=True),
        EventField("support", tuple(DepartureSupport.values), required=True),
    ),
}
# A service's field -> the event's field.
_FIELD_OF = {"submitted_on": "on", "decided_on": "on", "made_on": "on"}


def check(events: list) -> tuple | None:
    """The first event that breaks a version 2 rule: ``(event, field, message)``."""
    admitted = False
    pending: dict[str, int] = {}
    for event in events:
        if event.type == "admitted":
            admitted = True
        if event.type not in FIELDS:
            continue
        if not admitted:
            return event, "type", str(NEEDS_ADMITTED % {"type": event.type})
        kind = event.values.get("kind")
        if event.type == SUBMITTED:
            pending[kind] = pending.get(kind, 0) + 1
        elif event.type == DECIDED:
            if not pending.get(kind):
                return event, "kind", str(DECIDED_WITHOUT_SUBMITTED % {"kind": kind})
            pending[kind] -= 1
        elif event.values["planned_on"] < event.date.isoformat():  # ISO dates sort as dates
            return event, "planned_on", str(PLANNED_BEFORE_DATE % {"date": event.date.isoformat()})
    return None


def may(user, event) -> bool:
    """Whether the importing user's role takes the step itself (else the system does)."""
    if event.type in (SUBMITTED, DECIDED) and services.is_special(event.values["kind"]):
        if not user.has_perm(policy.SPECIAL_CATEGORY_PERMISSION):
            return False  # special-category data: the system writes it, for this import
    if event.type == SUBMITTED:
        return user.has_role(Role.CASEMANAGER, Role.IND, Role.NGO)
    if event.type == DECIDED:
        return user.has_role(Role.IND if services.decided_by_ind(event.values["kind"]) else Role.CASEMANAGER)
    return user.has_role(Role.DTV)


def apply(*, acting_user, origin, case, event) -> None:
    """Write the event through the services (the same records as the steps by hand)."""
    values = event.values
    try:
        if event.type == SUBMITTED:
            services.submit_application(
                acting_user=acting_user, origin=origin, case=case, kind=values["kind"], submitted_on=event.date
            )
        elif event.type == DECIDED:
            application = services.earliest_pending(case, values["kind"])
            if application is None:  # the check saw to that; a stored history may differ
                raise ValidationError({"kind": DECIDED_WITHOUT_SUBMITTED % {"kind": values["kind"]}})
            services.decide_application(
                acting_user=acting_user,
                origin=origin,
                case=case,
                application=application,
                outcome=values["outcome"],
                decided_on=event.date,
            )
        else:
            services.plan_departure(
                acting_user=acting_user,
                origin=origin,
                case=case,
                made_on=event.date,
                planned_on=values["planned_on"],
                support=values["support"],
            )
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError(
            {_FIELD_OF.get(name, name): messages for name, messages in exc.message_dict.items()}
        ) from None


register_extension(Extension(schema=SCHEMA, fields=FIELDS, check=check, apply=apply, may=may))
