"""Every change of LSO data goes through these functions (pages, API, demo seed, tasks).

Each service is keyword-only, takes the acting user and the origin, checks the access
policy, validates, writes in one transaction with its timeline events
(``cases.services.add_event``) and access-log rows, and changes a case's trajectory only
through ``cases.services`` (``set_scenario``). Errors: ``ValidationError`` (field-level,
Dutch), ``PermissionDenied`` (403; ``MinutesFinal`` when the minutes are locked),
``NotVisibleError`` (404), ``StaleVersionError`` (409/412), and ``StepNotAllowed`` from the
trajectory (e.g. a scenario on a closed case).

Who may do what (decided here, shown by the pages and the API alike):

- *Prepare* a meeting (create and change it, build the agenda: add, remove, reorder and
  time items): the LSO chair and the case workers (``casemanager``) of the LVV's
  municipality. The case worker often prepares the agenda for the chair.
- *Chair* a meeting (publish the agenda, record the minutes, make them final): the LSO
  chair (``lsochair``) of the LVV's municipality only; the decisions are the chair's.
- Preparation notes and LSO requests: any partner who can see the case (one note per
  organisation per item). Review notes: the DT&V.
- Follow-up actions are marked done by their owner (organisation or person) or by the
  municipality's preparers.

Every change of a meeting (its data, its agenda, its minutes) raises its ``version``;
``expected_version`` (optional on agenda and minutes changes) guards against lost updates.
Final minutes lock the meeting: every later change raises ``MinutesFinal``.

Escalation to the MRT: the LSO must not import the MRT app. ``escalation_handlers`` is a
registry that the MRT app fills in its ``AppConfig.ready``; recording an item with the
decision "escalate" calls every handler inside the minutes' transaction (the MRT creates
its escalation and writes ``mrt_escalated``). Without a handler, "escalate" is refused.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, TypeGuard

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from cases import services as case_services
from cases.models import Case, Confidentiality, Direction, EventType, TimelineEvent
from cases.services import add_event
from cases.workflow import OPEN_STATES
from lso import confidential, selectors, tasks
from lso.models import (
    ORGANISATION_NOT_PARTNER,
    Action,
    AgendaItem,
    AgendaPack,
    Decision,
    EscalationReason,
    ItemOutcome,
    ItemSource,
    Meeting,
    MeetingNotice,
    MeetingStatus,
    Member,
    PartnerPosition,
    PreparationNote,
    Reason,
    ReviewNote,
)
from lvv import jobs
from lvv.access import policy
from lvv.access.policy import Actor, AnyUser
from lvv.accounts.models import Role, User
from lvv.audit.log import AccessAction, Origin, record
from lvv.errors import NotVisibleError, StaleVersionError
from lvv.params import check_dates, not_before, within_date_range
from lvv.partners.models import Location, Organisation, OrganisationKind, locations_of
from lvv.services import (
    TEXT_REQUIRED,
    check_version,
    locked_visible,
    mark_done,
    not_future,
    required_text,
    save_next_version,
    user_or_none,
)
from lvv.text import TEXT_MAX, check_text, column_length, text_errors

__all__ = [
    "MinutesFinal",
    "NotVisibleError",
    "StaleVersionError",
    "escalation_handlers",
    "register_escalation_handler",
    "can_prepare",
    "can_chair",
    "save_member",
    "create_meeting",
    "update_meeting",
    "add_item",
    "add_suggested_items",
    "update_item",
    "remove_item",
    "reorder_items",
    "save_preparation_note",
    "publish_meeting",
    "record_outcome",
    "finalize_minutes",
    "create_action",
    "mark_action_done",
    "request_lso_discussion",
    "add_review_note",
    "mark_notice_read",
]

# --- Error messages (shared by code, pages, API and tests) --------------------------------
NOT_PREPARER = _(
    "Alleen de LSO-voorzitter en de casemanagers van de gemeente van deze LVV mogen de vergadering voorbereiden."
)
NOT_CHAIR = _("Alleen de LSO-voorzitter van de gemeente van deze LVV mag dit doen.")
MINUTES_ARE_FINAL = _("Het verslag van deze vergadering is definitief; er kan niets meer worden gewijzigd.")
PLACE_OR_LINK_REQUIRED = _("Geef een plaats of een link voor de online vergadering.")
MEETING_ALREADY_HELD = _("Deze vergadering is al gehouden; alleen het verslag kan nog worden vastgelegd.")
MEETING_NOT_DRAFT = _("De agenda van deze vergadering is al gepubliceerd.")
AGENDA_EMPTY = _("Zet eerst ten minste één casus op de agenda.")
MEETING_NOT_PUBLISHED = _("Publiceer eerst de agenda van deze vergadering.")
MEETING_IN_FUTURE = _("De vergadering is nog niet gehouden: zij staat gepland op %(date)s.")
MEETING_NOT_HELD = _("Het verslag kan pas definitief worden als de vergadering is gehouden.")
ITEMS_WITHOUT_OUTCOME = _("Leg eerst de uitkomst vast van: %(items)s.")
CASE_NOT_IN_LVV = _("Deze casus hoort niet bij de LVV van deze vergadering.")
CASE_CLOSED = _("Deze casus is afgesloten.")
ALREADY_ON_AGENDA = _("Deze casus staat al op de agenda.")
NOT_A_SUGGESTION = _("Casus %(case)s is geen suggestie (meer) voor deze vergadering.")
NO_CASES_CHOSEN = _("Kies ten minste één casus.")
ITEM_HAS_OUTCOME = _("Voor dit agendapunt is de uitkomst al vastgelegd.")
REORDER_MISMATCH = _("Geef elk agendapunt van deze vergadering precies één keer.")
NOT_A_PARTNER = _("Uw organisatie is geen partner in deze LVV.")
DECISION_INVALID = _("Kies een geldig besluit.")
DIRECTION_REQUIRED = _("Kies de richting van het scenario.")
ACTIONS_REQUIRED = _("Spreek ten minste één vervolgactie af.")
ESCALATION_REASON_REQUIRED = _("Kies de reden om de casus aan het MRT voor te leggen.")
ESCALATION_QUESTION_REQUIRED = _("Formuleer de vraag aan het MRT.")
ESCALATION_UNAVAILABLE = _("Voorleggen aan het MRT is in deze installatie niet beschikbaar.")
DISAGREEMENT_NEEDS_POSITIONS = _("Geef bij onenigheid het standpunt van elke partner die het niet eens is.")
DISSENT_NEEDS_POSITIONS = _("Geef het standpunt van elke partner die het niet eens is.")
DISAGREEMENT_NOT_AGREED = _("Bij onenigheid over de richting zijn de partners het niet eens.")
POSITION_TWICE = _("Geef per organisatie één standpunt.")
ADVICE_FOLLOWED_REQUIRED = _("Geef aan of het LSO het MRT-advies volgt.")
ADVICE_REASON_REQUIRED = _("Geef aan waarom het LSO het MRT-advies niet volgt.")
ACTION_ERROR = _("Actie %(number)s: %(error)s")
ACTION_DESCRIPTION_REQUIRED = _("Beschrijf de actie.")
ACTION_OWNER_REQUIRED = _("Kies de organisatie die de actie uitvoert.")
ACTION_OWNER_NOT_PARTNER = _("%(organisation)s is geen partner die deze casus kan zien.")
ACTION_OWNER_USER = _("%(user)s werkt niet bij %(organisation)s.")
ACTION_DUE_REQUIRED = _("Geef de datum waarop de actie klaar moet zijn.")
ACTION_DUE_BEFORE = _("De actie kan niet klaar moeten zijn vóór %(date)s.")
ACTION_ALREADY_DONE = _("Deze actie is al afgerond.")
NOT_ACTION_OWNER = _("Alleen de eigenaar van de actie of de gemeente mag haar afronden.")
REQUEST_REASON_REQUIRED = _("Geef aan waarom de casus in het LSO besproken moet worden.")
NOT_DTV = _("Alleen de DT&V legt een beoordeling vast.")
NOTE_SPECIAL_LOCKED = _(
    "De voorbereiding van uw organisatie bevat bijzondere persoonsgegevens; alleen wie die gegevens van deze casus "
    "mag zien, kan haar wijzigen."
)

# Notices and the e-mail copy (Dutch; built in the site's language when created).
PUBLISHED_NOTICE = ngettext_lazy(
    "De agenda van het LSO %(location)s op %(date)s om %(time)s is gepubliceerd (%(count)s agendapunt).",
    "De agenda van het LSO %(location)s op %(date)s om %(time)s is gepubliceerd (%(count)s agendapunten).",
    "count",
)
SCENARIO_NOTE = _("Vastgesteld in het LSO van %(date)s.")

# Organisation kinds that can own a follow-up action (they can see the case).
ACTION_OWNER_KINDS = (OrganisationKind.MUNICIPALITY, OrganisationKind.NGO, OrganisationKind.IND, OrganisationKind.DTV)
PREPARER_ROLES = (Role.LSO_CHAIR, Role.CASEMANAGER)
MEETING_FIELDS = ("date", "start_time", "place", "online_link")
# Lengths of the texts that have their own column size (the rest: lvv.text.TEXT_MAX).
PLACE_MAX = column_length(Meeting, "place")
LINK_MAX = column_length(Meeting, "online_link")
ACTION_DESCRIPTION_MAX = column_length(Action, "description")
REQUEST_REASON_MAX = column_length(TimelineEvent, "summary")  # the request is the event's summary


class MinutesFinal(PermissionDenied):
    """The meeting's minutes are final: nothing about it can change any more (403)."""

    def __init__(self) -> None:
        super().__init__(str(MINUTES_ARE_FINAL))


# --- The MRT's registry ---------------------------------------------------------------
# A handler is called as ``handler(acting_user=, origin=, item=, outcome=, on=)`` inside
# the minutes' transaction when an item is escalated; it may raise ValidationError.
EscalationHandler = Callable[..., Any]
escalation_handlers: list[EscalationHandler] = []


def register_escalation_handler(handler: EscalationHandler) -> None:
    if handler not in escalation_handlers:
        escalation_handlers.append(handler)


# --- Who may ----------------------------------------------------------------------------


def _of_municipality(user: AnyUser, location: Location) -> TypeGuard[User]:
    return bool(
        getattr(user, "is_active", False)
        and (organisation_id := getattr(user, "organisation_id", None))
        and organisation_id == location.municipality_id
    )


def can_prepare(user: AnyUser, location: Location) -> bool:
    """Create and change meetings and build their agenda in ``location``."""
    return policy.is_system(user) or (_of_municipality(user, location) and user.has_role(*PREPARER_ROLES))


def can_chair(user: AnyUser, location: Location) -> bool:
    """Publish the agenda, record the minutes and make them final in ``location``."""
    return policy.is_system(user) or (_of_municipality(user, location) and user.has_role(Role.LSO_CHAIR))


def works_for(organisation: Organisation | None, location: Location) -> bool:
    return organisation is not None and locations_of(organisation).filter(pk=location.pk).exists()


# --- Helpers ------------------------------------------------------------------------------


def _locked_meeting(
    acting_user: Actor,
    meeting: Meeting,
    expected_version: int | None = None,
    *,
    check: Callable[[AnyUser, Location], bool] | None = can_prepare,
    denied: str | Promise = NOT_PREPARER,
) -> Meeting:
    """The meeting, locked: 404 when hidden, 403 without the right, 403 when final, 409
    when stale."""
    locked = locked_visible(selectors.visible_meetings(acting_user), meeting.pk, "location")
    if check is not None and not check(acting_user, locked.location):
        raise PermissionDenied(str(denied))
    if locked.is_final:
        raise MinutesFinal
    check_version(locked, expected_version)
    return locked


def _visible_item(acting_user: Actor, item: AgendaItem) -> AgendaItem:
    found = selectors.visible_items(acting_user).select_related("case", "meeting").filter(pk=item.pk).first()
    if found is None:
        raise NotVisibleError
    return found


def _validate_place(meeting: Meeting) -> None:
    meeting.place = (meeting.place or "").strip()
    meeting.online_link = (meeting.online_link or "").strip()
    check_text(place=(meeting.place, PLACE_MAX), online_link=(meeting.online_link, LINK_MAX))
    if not meeting.place and not meeting.online_link:
        raise ValidationError({"place": PLACE_OR_LINK_REQUIRED})


# --- Members ------------------------------------------------------------------------------


@transaction.atomic
def save_member(
    *,
    acting_user: Actor,
    origin: Origin,
    location: Location,
    organisation: Organisation,
    user: User | None = None,
    is_chair: bool = False,
) -> Member:
    """Add (or update) a member of the LVV's LSO (``Member.clean``: a partner of the LVV,
    the person works there, the chair comes from the municipality). By the chair."""
    if not can_chair(acting_user, location):
        raise PermissionDenied(str(NOT_CHAIR))
    member = Member.objects.filter(location=location, organisation=organisation, user=user).first()
    created = member is None
    member = member or Member(location=location, organisation=organisation, user=user)
    member.is_chair = is_chair
    member.full_clean(validate_unique=False)
    member.save()
    record(actor=acting_user, action=AccessAction.CREATE if created else AccessAction.UPDATE, obj=member, origin=origin)
    return member


# --- Meetings -----------------------------------------------------------------------------


@transaction.atomic
def create_meeting(
    *,
    acting_user: Actor,
    origin: Origin,
    location: Location,
    date: datetime.date,
    start_time: datetime.time,
    place: str = "",
    online_link: str = "",
) -> Meeting:
    """A new meeting (draft) of the LVV's LSO."""
    if not can_prepare(acting_user, location):
        raise PermissionDenied(str(NOT_PREPARER))
    meeting = Meeting(
        location=location,
        date=date,
        start_time=start_time,
        place=place,
        online_link=online_link,
        created_by=user_or_none(acting_user),
    )
    _validate_place(meeting)
    check_dates(date=meeting.date)
    meeting.full_clean(exclude=["created_by", "finalised_by"])
    meeting.save()
    record(actor=acting_user, action=AccessAction.CREATE, obj=meeting, origin=origin)
    return meeting


@transaction.atomic
def update_meeting(
    *, acting_user: Actor, origin: Origin, meeting: Meeting, expected_version: int | None, **changes: Any
) -> Meeting:
    """Change the date, time, place or link of a meeting that has not been held yet."""
    unknown = set(changes) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"unexpected fields: {sorted(unknown)}")
    meeting = _locked_meeting(acting_user, meeting, expected_version)
    if meeting.status not in (MeetingStatus.DRAFT, MeetingStatus.PUBLISHED):
        raise ValidationError({"__all__": MEETING_ALREADY_HELD})
    changed = [name for name, value in changes.items() if getattr(meeting, name) != value]
    for name in changed:
        setattr(meeting, name, changes[name])
    if changed:
        _validate_place(meeting)
        check_dates(date=meeting.date)
        meeting.full_clean(exclude=["created_by", "finalised_by"])
        save_next_version(meeting)
        record(actor=acting_user, action=AccessAction.UPDATE, obj=meeting, origin=origin, detail={"fields": changed})
    return meeting


# --- The agenda ---------------------------------------------------------------------------


def _check_case_for_agenda(acting_user: Actor, meeting: Meeting, case: Case | int) -> Case:
    visible = Case.objects.visible_to(acting_user).filter(pk=getattr(case, "pk", case)).first()
    if visible is None:
        raise NotVisibleError
    if visible.location_id != meeting.location_id:
        raise ValidationError({"case": CASE_NOT_IN_LVV})
    if visible.state not in OPEN_STATES:
        raise ValidationError({"case": CASE_CLOSED})
    if AgendaItem.objects.filter(meeting=meeting, case=visible).exists():
        raise ValidationError({"case": ALREADY_ON_AGENDA})
    return visible


def _next_order(meeting: Meeting) -> int:
    return (AgendaItem.objects.filter(meeting=meeting).aggregate(m=Max("order"))["m"] or 0) + 1


def _create_item(acting_user: Actor, origin: Origin, meeting: Meeting, case: Case, **fields: Any) -> AgendaItem:
    item = AgendaItem(meeting=meeting, case=case, order=_next_order(meeting), added_by=user_or_none(acting_user))
    for name, value in fields.items():
        setattr(item, name, value)
    item.full_clean(exclude=["meeting", "case", "added_by", "source_event"])
    item.save()
    record(
        actor=acting_user,
        action=AccessAction.CREATE,
        obj=item,
        origin=origin,
        detail={"meeting": meeting.pk, "case": case.pk, "reason": item.reason},
    )
    return item


@transaction.atomic
def add_item(
    *,
    acting_user: Actor,
    origin: Origin,
    meeting: Meeting,
    case: Case,
    reason: str = Reason.MANUAL,
    reason_detail: str = "",
    minutes_allotted: int | None = None,
    expected_version: int | None = None,
) -> AgendaItem:
    """Put a case on the agenda by hand (any reason; ``manual`` by default)."""
    meeting = _locked_meeting(acting_user, meeting, expected_version)
    if reason not in Reason.values:
        raise ValidationError({"reason": _("Kies een geldige reden.")})
    check_text(reason_detail=(reason_detail, TEXT_MAX))
    case = _check_case_for_agenda(acting_user, meeting, case)
    fields: dict[str, Any] = {
        "reason": reason,
        "reason_detail": (reason_detail or "").strip(),
        "source": ItemSource.MANUAL,
    }
    if minutes_allotted is not None:
        fields["minutes_allotted"] = minutes_allotted
    item = _create_item(acting_user, origin, meeting, case, **fields)
    save_next_version(meeting)
    return item


@transaction.atomic
def add_suggested_items(
    *,
    acting_user: Actor,
    origin: Origin,
    meeting: Meeting,
    cases: Iterable[Case | int],
    expected_version: int | None = None,
) -> list[AgendaItem]:
    """Put suggested cases on the agenda, each with its first reason, the texts of all its
    reasons and the event that brought it (``selectors.suggestions``)."""
    meeting = _locked_meeting(acting_user, meeting, expected_version)
    wanted = [c.pk if isinstance(c, Case) else c for c in cases]
    if not wanted:
        raise ValidationError({"cases": NO_CASES_CHOSEN})
    with translation.override(settings.LANGUAGE_CODE):
        found = {s.case.pk: s for s in selectors.suggestions(meeting, acting_user, cases=wanted)}
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        raise ValidationError({"cases": [NOT_A_SUGGESTION % {"case": pk} for pk in missing]})
    items = []
    for pk in dict.fromkeys(wanted):
        suggestion = found[pk]
        items.append(
            _create_item(
                acting_user,
                origin,
                meeting,
                suggestion.case,
                reason=suggestion.reason.reason,
                reason_detail=suggestion.detail,
                reason_parts=suggestion.parts,
                source=ItemSource.SUGGESTED,
                source_event_id=suggestion.reason.event_id,
            )
        )
    save_next_version(meeting)
    return items


@transaction.atomic
def update_item(
    *,
    acting_user: Actor,
    origin: Origin,
    item: AgendaItem,
    minutes_allotted: int | None = None,
    reason_detail: str | None = None,
    expected_version: int | None = None,
) -> AgendaItem:
    """Change the time allotted to an item or the text of its reason."""
    item = _visible_item(acting_user, item)
    check_text(reason_detail=(reason_detail, TEXT_MAX))
    meeting = _locked_meeting(acting_user, item.meeting, expected_version)
    changed = []
    if minutes_allotted is not None and minutes_allotted != item.minutes_allotted:
        item.minutes_allotted = minutes_allotted
        changed.append("minutes_allotted")
    if reason_detail is not None and reason_detail.strip() != item.reason_detail:
        item.reason_detail = reason_detail.strip()
        item.reason_parts = []  # the text as the user wrote it from now on
        changed.extend(["reason_detail", "reason_parts"])
    if changed:
        item.full_clean(exclude=["meeting", "case", "added_by", "source_event"])
        item.save(update_fields=changed)
        save_next_version(meeting)
        record(actor=acting_user, action=AccessAction.UPDATE, obj=item, origin=origin, detail={"fields": changed})
    return item


@transaction.atomic
def remove_item(*, acting_user: Actor, origin: Origin, item: AgendaItem, expected_version: int | None = None) -> None:
    """Take an item off the agenda (not once its outcome is recorded)."""
    item = _visible_item(acting_user, item)
    meeting = _locked_meeting(acting_user, item.meeting, expected_version)
    if ItemOutcome.objects.filter(item=item).exists():
        raise ValidationError({"__all__": ITEM_HAS_OUTCOME})
    record(
        actor=acting_user,
        action=AccessAction.UPDATE,
        obj=meeting,
        origin=origin,
        detail={"removed_item": item.pk, "case": item.case_id},
    )
    item.delete()
    save_next_version(meeting)


@transaction.atomic
def reorder_items(
    *, acting_user: Actor, origin: Origin, meeting: Meeting, item_ids: list[int], expected_version: int | None = None
) -> list[AgendaItem]:
    """Put the agenda in the given order (every item of the meeting exactly once)."""
    meeting = _locked_meeting(acting_user, meeting, expected_version)
    items = {item.pk: item for item in AgendaItem.objects.filter(meeting=meeting)}
    ids = [int(pk) for pk in item_ids]
    if sorted(ids) != sorted(items) or len(set(ids)) != len(ids):
        raise ValidationError({"items": REORDER_MISMATCH})
    for position, pk in enumerate(ids, start=1):
        items[pk].order = position
    AgendaItem.objects.bulk_update(items.values(), ["order"])
    save_next_version(meeting)
    record(actor=acting_user, action=AccessAction.UPDATE, obj=meeting, origin=origin, detail={"order": ids})
    return [items[pk] for pk in ids]


@transaction.atomic
def save_preparation_note(
    *,
    acting_user: Actor,
    origin: Origin,
    item: AgendaItem,
    text: str,
    confidentiality: str = Confidentiality.NORMAL,
) -> PreparationNote:
    """Write (or rewrite) the acting user's organisation's preparation for an item.

    ``confidentiality="special"`` (special-category data) only by a user who may see that
    data of the case; a special note is rewritten only by such a user too (403)."""
    item = _visible_item(acting_user, item)
    meeting = _locked_meeting(acting_user, item.meeting, check=None)
    organisation = getattr(acting_user, "organisation", None)
    if not works_for(organisation, meeting.location):
        raise PermissionDenied(str(NOT_A_PARTNER))
    confidentiality = confidential.check_mark(acting_user, item.case, confidentiality)
    existing = PreparationNote.objects.filter(item=item, organisation=organisation).first()  # the meeting is locked
    if existing is not None and confidential.is_special(existing.confidentiality):
        if not policy.can_view_special_category(acting_user, item.case):
            raise PermissionDenied(str(NOTE_SPECIAL_LOCKED))
    text = required_text(text, "text")
    note, created = PreparationNote.objects.update_or_create(
        item=item,
        organisation=organisation,
        defaults={"author": acting_user, "text": text, "confidentiality": confidentiality},
    )
    record(
        actor=acting_user,
        action=AccessAction.CREATE if created else AccessAction.UPDATE,
        obj=note,
        origin=origin,
        detail={"case": item.case_id, "meeting": meeting.pk, "confidentiality": confidentiality},
    )
    return note


# --- Publishing ---------------------------------------------------------------------------


def notice_message(meeting: Meeting, count: int) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return str(
            PUBLISHED_NOTICE
            % {
                "location": meeting.location.name,
                "date": date_format(meeting.date),
                "time": time_format(meeting.start_time, "H:i"),
                "count": count,
            }
        )[:300]


@transaction.atomic
def publish_meeting(
    *, acting_user: Actor, origin: Origin, meeting: Meeting, expected_version: int | None = None, notify: bool = True
) -> Meeting:
    """Publish the agenda: the members get an in-app notice (``MeetingNotice``) and an
    e-mail (queued after the commit, ``lso.tasks.send_meeting_notice``). ``notify=False``
    only for history brought in after the fact (demo data of past meetings)."""
    meeting = _locked_meeting(acting_user, meeting, expected_version, check=can_chair, denied=NOT_CHAIR)
    if meeting.status != MeetingStatus.DRAFT:
        raise ValidationError({"__all__": MEETING_NOT_DRAFT})
    count = AgendaItem.objects.filter(meeting=meeting).count()
    if not count:
        raise ValidationError({"__all__": AGENDA_EMPTY})
    meeting.status = MeetingStatus.PUBLISHED
    meeting.published_at = timezone.now()
    save_next_version(meeting)
    record(actor=acting_user, action=AccessAction.UPDATE, obj=meeting, origin=origin, detail={"step": "publish"})
    if notify:
        message = notice_message(meeting, count)
        # (The system principal has no pk: it excludes nobody.)
        recipients = selectors.meeting_recipients(meeting.location).exclude(pk=getattr(acting_user, "pk", None))  # type: ignore[misc]
        MeetingNotice.objects.bulk_create(
            [MeetingNotice(user=user, meeting=meeting, message=message) for user in recipients],
            ignore_conflicts=True,
        )
        notice_ids = MeetingNotice.objects.filter(meeting=meeting, emailed_at__isnull=True).exclude(user__email="")
        for notice_id in notice_ids.order_by("pk").values_list("pk", flat=True):
            transaction.on_commit(partial(tasks.send_meeting_notice.delay, notice_id))
    return meeting


@transaction.atomic
def mark_notice_read(*, acting_user: Actor, notice: MeetingNotice) -> MeetingNotice:
    if notice.user_id != getattr(acting_user, "pk", None):
        raise NotVisibleError
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


# --- Minutes ------------------------------------------------------------------------------


def _clean_positions(location: Location, positions: Iterable[Mapping]) -> list[tuple[Organisation, str]]:
    errors: list[str | Promise]
    cleaned, seen, errors = [], set(), []
    for entry in positions or ():
        organisation, text = entry.get("organisation"), (entry.get("text") or "").strip()
        if organisation is None or not text:
            errors.append(TEXT_REQUIRED)
            continue
        if not works_for(organisation, location):
            errors.append(ORGANISATION_NOT_PARTNER % {"organisation": organisation.name})
            continue
        if organisation.pk in seen:
            errors.append(POSITION_TWICE)
            continue
        too_long = text_errors(text, TEXT_MAX)
        if too_long:
            errors += too_long
            continue
        seen.add(organisation.pk)
        cleaned.append((organisation, text))
    if errors:
        raise ValidationError({"positions": errors})
    return cleaned


def _action_errors(case: Case, spec: Mapping, not_before: datetime.date) -> list[tuple[str, str | Promise]]:
    """What is wrong with one action, as (field, message) pairs."""
    errors: list[tuple[str, str | Promise]] = []
    if not (spec.get("description") or "").strip():
        errors.append(("description", ACTION_DESCRIPTION_REQUIRED))
    errors += [("description", message) for message in text_errors(spec.get("description"), ACTION_DESCRIPTION_MAX)]
    organisation = spec.get("owner_organisation")
    if organisation is None:
        errors.append(("owner_organisation", ACTION_OWNER_REQUIRED))
    else:
        partner = organisation.kind in ACTION_OWNER_KINDS and works_for(organisation, case.location)
        if organisation.kind == OrganisationKind.NGO and case.assigned_ngo_id != organisation.pk:
            partner = False
        if not partner:
            errors.append(("owner_organisation", ACTION_OWNER_NOT_PARTNER % {"organisation": organisation.name}))
        user = spec.get("owner_user")
        if user is not None and (user.organisation_id != organisation.pk or not user.is_active):
            message = ACTION_OWNER_USER % {"user": user.get_username(), "organisation": organisation.name}
            errors.append(("owner_user", message))
    due_on = spec.get("due_on")
    if due_on is None:
        errors.append(("due_on", ACTION_DUE_REQUIRED))
    elif due_on < not_before:
        errors.append(("due_on", ACTION_DUE_BEFORE % {"date": date_format(not_before)}))
    else:
        try:
            within_date_range(due_on)
        except ValidationError as error:
            errors += [("due_on", message) for message in error.messages]
    return errors


def _clean_actions(case: Case, actions: Iterable[Mapping], not_before: datetime.date) -> list[Mapping]:
    actions = list(actions or ())
    errors = []
    for number, spec in enumerate(actions, start=1):
        errors += [
            ACTION_ERROR % {"number": number, "error": error}
            for _field, error in _action_errors(case, spec, not_before)
        ]
    if errors:
        raise ValidationError({"actions": errors})
    return actions


def _create_action(
    acting_user: Actor, case: Case, spec: Mapping, *, item: AgendaItem | None, on: datetime.date
) -> Action:
    action = Action.objects.create(
        case=case,
        item=item,
        description=spec["description"].strip()[:500],
        owner_organisation=spec["owner_organisation"],
        owner_user=spec.get("owner_user"),
        due_on=spec["due_on"],
        created_by=user_or_none(acting_user),
    )
    add_event(
        case,
        EventType.ACTION_CREATED,
        on=on,
        actor=acting_user,
        summary=action.description,
        data={
            "action": action.pk,
            "owner_organisation": action.owner_organisation.name,
            "owner_user": action.owner_user.get_username() if action.owner_user else None,
            "due_on": action.due_on.isoformat(),
            "meeting": item.meeting_id if item else None,
        },
    )
    return action


def _scenario_errors(direction: str, route: str) -> dict[str, list]:
    if direction not in Direction.values:
        return {"direction": [DIRECTION_REQUIRED]}
    wrong_route = case_services.route_error(direction, route)
    return {"route": [wrong_route]} if wrong_route else {}


def _escalation_errors(*, reason: str, question: str, agreed: bool, positions: list) -> dict[str, list]:
    errors: dict[str, list] = {}
    if reason not in EscalationReason.values:
        errors["escalation_reason"] = [ESCALATION_REASON_REQUIRED]
    if not question:
        errors["escalation_question"] = [ESCALATION_QUESTION_REQUIRED]
    if reason == EscalationReason.DISAGREEMENT:
        if agreed:
            errors["agreed"] = [DISAGREEMENT_NOT_AGREED]
        elif not positions:
            errors["positions"] = [DISAGREEMENT_NEEDS_POSITIONS]
    if not escalation_handlers:
        errors["decision"] = [ESCALATION_UNAVAILABLE]
    return errors


def _validate_decision(
    *,
    decision: str,
    direction: str,
    route: str,
    actions: list,
    escalation_reason: str,
    escalation_question: str,
    agreed: bool,
    positions: list,
) -> None:
    errors: dict[str, list] = {} if decision in Decision.values else {"decision": [DECISION_INVALID]}
    if decision == Decision.SCENARIO:
        errors |= _scenario_errors(direction, route)
    if decision == Decision.ACTIONS and not actions:
        errors["actions"] = [ACTIONS_REQUIRED]
    if decision == Decision.ESCALATE:
        errors |= _escalation_errors(
            reason=escalation_reason, question=escalation_question, agreed=agreed, positions=positions
        )
    if not agreed and not positions and "positions" not in errors:
        errors["positions"] = [DISSENT_NEEDS_POSITIONS]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def record_outcome(
    *,
    acting_user: Actor,
    origin: Origin,
    item: AgendaItem,
    decision: str,
    notes: str = "",
    direction: str = "",
    route: str = "",
    actions: Iterable[Mapping] = (),
    escalation_reason: str = "",
    escalation_question: str = "",
    agreed: bool = True,
    positions: Iterable[Mapping] = (),
    advice_followed: bool | None = None,
    advice_not_followed_reason: str = "",
    expected_version: int | None = None,
) -> ItemOutcome:
    """Record the minutes of one item and apply them to the case, in one transaction.

    - ``scenario``: ``cases.services.set_scenario`` (direction, route) on the meeting date;
    - ``actions`` (``{"description", "owner_organisation", "owner_user", "due_on"}``, with
      any decision): ``Action`` rows and an ``action_created`` event each;
    - ``escalate``: the MRT's handlers (``escalation_handlers``) with the reason, the
      question and the partners' ``positions`` (``{"organisation", "text"}``);
    - ``postpone``: an ``lso_postponed`` event; the case was not discussed, so its
      reasons keep it among the next meeting's suggestions;
    - every other decision: an ``lso_discussed`` event (last, after the others).

    ``agreed=False`` needs the position of each dissenting partner. When an MRT advice is
    pending on the case (``selectors.pending_advice_event``) and the item is not postponed,
    ``advice_followed`` is required, and a reason when the LSO does not follow it. The first outcome marks a
    published meeting as held; the meeting date must not lie in the future.
    """
    item = _visible_item(acting_user, item)
    meeting = _locked_meeting(acting_user, item.meeting, expected_version, check=can_chair, denied=NOT_CHAIR)
    if meeting.status == MeetingStatus.DRAFT:
        raise ValidationError({"__all__": MEETING_NOT_PUBLISHED})
    if meeting.date > timezone.localdate():
        raise ValidationError({"__all__": MEETING_IN_FUTURE % {"date": date_format(meeting.date)}})
    if ItemOutcome.objects.filter(item=item).exists():
        raise ValidationError({"__all__": ITEM_HAS_OUTCOME})
    case = item.case
    notes = (notes or "").strip()
    escalation_question = (escalation_question or "").strip()
    check_text(notes=(notes, TEXT_MAX), escalation_question=(escalation_question, TEXT_MAX))
    actions = list(actions or ())
    positions = list(positions or ())
    _validate_decision(
        decision=decision,
        direction=direction or "",
        route=route or "",
        actions=actions,
        escalation_reason=escalation_reason or "",
        escalation_question=escalation_question,
        agreed=agreed,
        positions=positions,
    )
    if decision == Decision.TERMINATE and case.location.voluntary_participation:
        raise ValidationError({"decision": case_services.VOLUNTARY_NO_TERMINATION % {"location": case.location.name}})
    cleaned_positions = _clean_positions(meeting.location, positions)
    actions = _clean_actions(case, actions, meeting.date)
    # A postponed item is not discussed: the advice stays pending for the next meeting.
    advice_event = None if decision == Decision.POSTPONE else selectors.pending_advice_event(case)
    if advice_event is None:
        advice_followed, advice_not_followed_reason = None, ""
    elif advice_followed is None:
        raise ValidationError({"advice_followed": ADVICE_FOLLOWED_REQUIRED})
    elif advice_followed:
        advice_not_followed_reason = ""
    else:
        advice_not_followed_reason = required_text(
            advice_not_followed_reason, "advice_not_followed_reason", ADVICE_REASON_REQUIRED
        )

    scenario = decision == Decision.SCENARIO
    escalate = decision == Decision.ESCALATE
    outcome = ItemOutcome.objects.create(
        item=item,
        decision=decision,
        notes=notes,
        direction=direction if scenario else "",
        route=(route or "") if scenario else "",
        escalation_reason=escalation_reason if escalate else "",
        escalation_question=escalation_question if escalate else "",
        agreed=agreed,
        advice_event=advice_event,
        advice_followed=advice_followed,
        advice_not_followed_reason=advice_not_followed_reason,
        recorded_by=user_or_none(acting_user),
    )
    PartnerPosition.objects.bulk_create(
        [PartnerPosition(outcome=outcome, organisation=org, text=text) for org, text in cleaned_positions]
    )
    if scenario:
        with translation.override(settings.LANGUAGE_CODE):
            default_note = str(SCENARIO_NOTE % {"date": date_format(meeting.date)})
        case = case_services.set_scenario(
            acting_user=acting_user,
            origin=origin,
            case=case,
            direction=direction,
            route=route or "",
            notes=notes or default_note,
            on=meeting.date,
        )
    for spec in actions:
        _create_action(acting_user, case, spec, item=item, on=meeting.date)
    if escalate:
        for handler in escalation_handlers:
            handler(acting_user=acting_user, origin=origin, item=item, outcome=outcome, on=meeting.date)
    data = {
        "meeting": meeting.pk,
        "item": item.pk,
        "decision": decision,
        "agreed": agreed,
        "advice_event": advice_event.pk if advice_event else None,
        "advice_followed": advice_followed,
    }
    event_type = EventType.LSO_POSTPONED if decision == Decision.POSTPONE else EventType.LSO_DISCUSSED
    add_event(case, event_type, on=meeting.date, actor=acting_user, summary=notes, data=data)
    if meeting.status == MeetingStatus.PUBLISHED:
        meeting.status = MeetingStatus.HELD
    save_next_version(meeting)
    record(
        actor=acting_user,
        action=AccessAction.UPDATE,
        obj=case,
        origin=origin,
        detail={"step": "lso_outcome", "meeting": meeting.pk, "item": item.pk, "decision": decision},
    )
    return outcome


@transaction.atomic
def finalize_minutes(
    *, acting_user: Actor, origin: Origin, meeting: Meeting, expected_version: int | None = None
) -> Meeting:
    """Make the minutes final: every item has its outcome; afterwards nothing changes."""
    meeting = _locked_meeting(acting_user, meeting, expected_version, check=can_chair, denied=NOT_CHAIR)
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError({"__all__": MEETING_NOT_HELD})
    open_items = list(
        AgendaItem.objects.filter(meeting=meeting, outcome__isnull=True).select_related("case").order_by("order", "pk")
    )
    if open_items:
        refs = ", ".join(item.case.reference for item in open_items)
        raise ValidationError({"__all__": ITEMS_WITHOUT_OUTCOME % {"items": refs}})
    meeting.status = MeetingStatus.MINUTES_FINAL
    meeting.finalised_at = timezone.now()
    meeting.finalised_by = user_or_none(acting_user)
    save_next_version(meeting)
    record(actor=acting_user, action=AccessAction.UPDATE, obj=meeting, origin=origin, detail={"step": "finalize"})
    return meeting


# --- Actions ------------------------------------------------------------------------------


@transaction.atomic
def create_action(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    description: str,
    owner_organisation: Organisation,
    due_on: datetime.date,
    owner_user: User | None = None,
    on: datetime.date | None = None,
) -> Action:
    """A follow-up action outside a meeting (by the municipality's preparers)."""
    visible = Case.objects.visible_to(acting_user).select_related("location").filter(pk=case.pk).first()
    if visible is None:
        raise NotVisibleError
    if not can_prepare(acting_user, visible.location):
        raise PermissionDenied(str(NOT_PREPARER))
    on = not_future(on)
    spec = {
        "description": description,
        "owner_organisation": owner_organisation,
        "owner_user": owner_user,
        "due_on": due_on,
    }
    errors: dict[str, list] = {}
    for field, message in _action_errors(visible, spec, on):
        errors.setdefault(field, []).append(message)
    if errors:
        raise ValidationError(errors)
    action = _create_action(acting_user, visible, spec, item=None, on=on)
    record(actor=acting_user, action=AccessAction.CREATE, obj=action, origin=origin, detail={"case": visible.pk})
    return action


@transaction.atomic
def mark_action_done(*, acting_user: Actor, origin: Origin, action: Action, on: datetime.date | None = None) -> Action:
    """The owner (or the municipality) marks an action done; also after final minutes."""
    visible = Action.objects.filter(case__in=Case.objects.visible_to(acting_user).values("pk"))
    locked = locked_visible(visible, action.pk, "case__location", "item__meeting")
    owner = policy.is_system(acting_user) or (
        locked.owner_user_id == getattr(acting_user, "pk", None)
        or locked.owner_organisation_id == getattr(acting_user, "organisation_id", None)
        or can_prepare(acting_user, locked.case.location)
    )
    if not owner:
        raise PermissionDenied(str(NOT_ACTION_OWNER))
    agreed_on = locked.item.meeting.date if locked.item else timezone.localtime(locked.created_at).date()
    on = mark_done(locked, acting_user, on, not_before_date=agreed_on, already_done=ACTION_ALREADY_DONE)
    add_event(
        locked.case,
        EventType.ACTION_DONE,
        on=on,
        actor=acting_user,
        summary=locked.description,
        data={"action": locked.pk},
    )
    record(actor=acting_user, action=AccessAction.UPDATE, obj=locked, origin=origin, detail={"case": locked.case_id})
    return locked


# --- Requests and reviews -----------------------------------------------------------------


@transaction.atomic
def request_lso_discussion(
    *, acting_user: Actor, origin: Origin, case: Case, reason: str, on: datetime.date | None = None
) -> TimelineEvent:
    """A partner asks for the case to be discussed: an ``lso_requested`` event, which makes
    the case a suggestion until the LSO discusses it."""
    visible = Case.objects.visible_to(acting_user).filter(pk=case.pk).first()
    if visible is None:
        raise NotVisibleError
    if visible.state not in OPEN_STATES:
        raise ValidationError({"case": CASE_CLOSED})
    reason = required_text(reason, "reason", REQUEST_REASON_REQUIRED, limit=REQUEST_REASON_MAX)
    on = not_future(on)
    organisation = getattr(acting_user, "organisation", None)
    event = add_event(
        visible,
        EventType.LSO_REQUESTED,
        on=on,
        actor=acting_user,
        summary=reason,
        data={"organisation": organisation.name if organisation else None},
    )
    record(
        actor=acting_user,
        action=AccessAction.UPDATE,
        obj=visible,
        origin=origin,
        detail={"step": "request_lso_discussion", "event": event.pk},
    )
    return event


@transaction.atomic
def add_review_note(
    *,
    acting_user: Actor,
    origin: Origin,
    case: Case,
    text: str,
    flagged: bool = False,
    on: datetime.date | None = None,
    confidentiality: str = Confidentiality.NORMAL,
) -> ReviewNote:
    """A DT&V supervisor's review of a trajectory: a ``dtv_review`` event on the timeline;
    a flagged review makes the case a suggestion for the next meeting of its LVV.

    ``confidentiality="special"`` only by a user who may see the case's special-category
    data; the event then says so instead of quoting the text (``lso.confidential``)."""
    visible = Case.objects.visible_to(acting_user).filter(pk=case.pk).first()
    if visible is None:
        raise NotVisibleError
    if policy.is_system(acting_user) or not acting_user.has_role(Role.DTV):
        raise PermissionDenied(str(NOT_DTV))
    confidentiality = confidential.check_mark(acting_user, visible, confidentiality)
    text = required_text(text, "text")
    on = not_future(on)
    not_before(on, visible.registered_on)
    note = ReviewNote.objects.create(
        case=visible,
        author=acting_user,
        organisation=acting_user.organisation,  # type: ignore[misc]  # a user with a role has one (User.clean)
        text=text,
        confidentiality=confidentiality,
        flagged=bool(flagged),
        reviewed_on=on,
    )
    note.event = add_event(
        visible,
        EventType.DTV_REVIEW,
        on=on,
        actor=acting_user,
        summary=confidential.event_summary(text, confidentiality),
        data={"note": note.pk, "flagged": bool(flagged), "text_confidentiality": confidentiality},
    )
    note.save(update_fields=["event"])
    record(
        actor=acting_user,
        action=AccessAction.CREATE,
        obj=note,
        origin=origin,
        detail={"case": visible.pk, "confidentiality": confidentiality},
    )
    return note


@transaction.atomic
def request_agenda_pack(*, acting_user: User, origin: Origin, meeting: Meeting) -> AgendaPack:
    """Ask for the agenda pack of ``meeting`` for ``acting_user`` (who must see the
    meeting); a background task makes the PDF with what this reader may see."""
    if not selectors.visible_meetings(acting_user).filter(pk=meeting.pk).exists():
        raise NotVisibleError
    pack = AgendaPack.objects.create(meeting=meeting, requested_by=acting_user, meeting_version=meeting.version)
    record(
        actor=acting_user,
        action=AccessAction.EXPORT,
        obj=meeting,
        origin=origin,
        detail={"pack": pack.pk, "step": "requested"},
    )
    transaction.on_commit(partial(tasks.make_agenda_pack.delay, pack.pk))
    return pack


@transaction.atomic
def retry_agenda_pack(*, acting_user: User, origin: Origin, pack: AgendaPack) -> AgendaPack:
    """Ask again for a pack that failed: a new pack of the same meeting for the same
    reader, who must be the one who asked and still see the meeting."""
    if not acting_user.is_authenticated or pack.requested_by_id != acting_user.pk:
        raise NotVisibleError
    if pack.status != AgendaPack.Status.FAILED:
        raise ValidationError({"__all__": _(jobs.NOT_FAILED)})
    if not selectors.visible_meetings(acting_user).filter(pk=pack.meeting_id).exists():
        raise NotVisibleError
    retry = AgendaPack.objects.create(
        meeting_id=pack.meeting_id, requested_by=acting_user, meeting_version=pack.meeting.version
    )
    record(
        actor=acting_user,
        action=AccessAction.EXPORT,
        obj=pack.meeting,
        origin=origin,
        detail={"pack": retry.pk, "step": "requested", "retry_of": pack.pk},
    )
    transaction.on_commit(partial(tasks.make_agenda_pack.delay, retry.pk))
    return retry


def _send_pack(pack_id: int) -> None:
    tasks.make_agenda_pack.delay(pack_id)


def sweep_stale_packs() -> dict[str, list[int]]:
    """Agenda packs whose worker stopped: queued again once, then failed (``lvv.jobs.sweep``)."""
    return jobs.sweep(AgendaPack, send=_send_pack)


def check_pack(pack: AgendaPack | None) -> AgendaPack | None:
    """The same check for the pack a page shows; returns it as it is now."""
    return jobs.check(AgendaPack, pack, send=_send_pack)
