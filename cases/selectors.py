"""Reads of persons and cases, always scoped by the access policy."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

import django_filters
from django import forms
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cases import extensions, special_types, workflow
from cases.models import (
    Case,
    CaseOwnerChange,
    CaseType,
    Confidentiality,
    CooperationCheck,
    Deadline,
    Direction,
    DossierPart,
    Note,
    OwnerRole,
    Person,
    Scenario,
    TimelineEvent,
)
from cases.workflow import OPEN_STATES, QUEUE_STATES, State
from lvv.access import policy
from lvv.access.policy import Actor, AnyUser
from lvv.accounts.models import Role, User
from lvv.forms import StyledFormMixin
from lvv.params import QUERY_MAX_LENGTH
from lvv.partners.models import (
    Location,
    LocationCapacity,
    Organisation,
    OrganisationKind,
    ProgrammeSettings,
    ServiceLink,
    locations_of,
)

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler
    from django.http import HttpRequest, QueryDict
    from rest_framework.request import Request


def visible_cases(user: Actor) -> QuerySet[Case]:
    return Case.objects.visible_to(user).select_related("person", "location", "assigned_ngo")


def visible_persons(user: Actor) -> QuerySet[Person]:
    return Person.objects.visible_to(user)


def get_visible_case(user: Actor, pk: int | str) -> Case:
    """The case, or ``Case.DoesNotExist`` when it does not exist for this user."""
    return visible_cases(user).get(pk=pk)


def user_locations(user: AnyUser) -> QuerySet[Location]:
    return locations_of(getattr(user, "organisation", None))


def programme_settings() -> ProgrammeSettings:
    """The programme's agreements for a page: the stored row, or the defaults when none is
    stored yet (a read never writes; ``ProgrammeSettings.current()`` would create the row)."""
    return ProgrammeSettings.objects.filter(pk=1).first() or ProgrammeSettings()


# --- Deadlines ----------------------------------------------------------------------------


def open_deadlines() -> QuerySet[Deadline]:
    """Deadlines that still run: not resolved and not paused."""
    return Deadline.objects.filter(resolved_on__isnull=True, paused_since__isnull=True)


def _next_deadline(field: str) -> Subquery:
    rows = open_deadlines().filter(case=OuterRef("pk")).order_by("due_on", "id")
    return Subquery(rows.values(field)[:1])


def _latest_scenario(field: str) -> Subquery:
    rows = Scenario.objects.filter(case=OuterRef("pk")).order_by("-set_on", "-id")
    return Subquery(rows.values(field)[:1])


def with_next_deadline(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate each case with its next running deadline (``next_deadline_on``/``_kind``)."""
    return queryset.annotate(
        next_deadline_on=_next_deadline("due_on"),
        next_deadline_kind=_next_deadline("kind"),
    )


def case_list(user: Actor) -> QuerySet[Case]:
    """The case list: visible cases with their next deadline, in one query per page."""
    return with_next_deadline(visible_cases(user))


def due_deadlines(user: Actor, *, today: datetime.date, due_soon_days: int) -> QuerySet[Deadline]:
    """Running deadlines of the user's visible cases that are overdue or due within
    ``due_soon_days`` days, earliest first."""
    return (
        open_deadlines()
        .filter(
            case__in=Case.objects.visible_to(user).values("pk"),
            due_on__lte=today + datetime.timedelta(days=due_soon_days),
        )
        .select_related("case__person", "case__location")
        .order_by("due_on", "id")
    )


def disputed_outflows(user: Actor) -> QuerySet[Case]:
    """Visible cases whose outflow the IND or the DT&V disputes: the case manager corrects
    it (or the partner confirms after all). Empty for users who cannot correct."""
    if not user.has_role(Role.CASEMANAGER):
        return Case.objects.none()
    return (
        visible_cases(user)
        .filter(outflow__disputed_on__isnull=False, location__in=policy.editable_locations(user))
        .select_related("person", "outflow")
        .order_by("outflow__disputed_on", "pk")
    )


def newest_registrations(user: Actor) -> QuerySet[Case]:
    """Visible cases still waiting for the admission decision, newest first."""
    return visible_cases(user).filter(state=State.REGISTERED).order_by("-registered_on", "-pk")


def waiting_list_order(queryset: QuerySet[Case]) -> QuerySet[Case]:
    """The queue's order: per LVV, by the day of admission (``waitlisted_on``)."""
    return queryset.order_by("location__name", "location_id", "waitlisted_on", "pk")


def waiting_lists(user: Actor, *, today: datetime.date, per_location: int) -> list[Location]:
    """The user's LVVs, each with its capacity and free places on ``today`` and the first
    ``per_location`` visible cases of its waiting list (``location.waiting``), in two queries.

    The places count every case of the LVV (a figure, no person) with the one occupancy
    rule, ``Case.objects.in_shelter_on``; the waiting cases are only the ones the user may see.
    """
    capacity = LocationCapacity.objects.filter(location=OuterRef("pk"), effective_from__lte=today).order_by(
        "-effective_from"
    )
    # COUNT(*), not COUNT(id): the columns of the index ``case_occupancy`` answer it alone.
    occupied = (
        Case.objects.filter(location=OuterRef("pk"))
        .in_shelter_on(today)
        .order_by()
        .values("location")
        .annotate(n=Count("*"))
        .values("n")
    )
    waiting = (
        Case.objects.visible_to(user)
        .filter(location=OuterRef("pk"), state__in=QUEUE_STATES)
        .order_by()
        .values("location")
        .annotate(n=Count("pk"))
        .values("n")
    )
    # The LVVs once each (a semi-join, not the DISTINCT of ``locations_of``'s join, which would
    # count the places of an LVV once per organisation serving it before removing the copies).
    locations: list[Any] = list(
        Location.objects.filter(pk__in=user_locations(user).values("pk"))
        .annotate(
            capacity_today=Coalesce(Subquery(capacity.values("places")[:1]), Value(0)),
            occupied_today=Coalesce(Subquery(occupied, output_field=IntegerField()), Value(0)),
            waiting_count=Coalesce(Subquery(waiting, output_field=IntegerField()), Value(0)),
        )
        .order_by("name", "pk")
    )
    # The first cases of each queue are ranked on the cases alone (the index ``case_queue``),
    # and only those few are read with their persons. The limit (never reached: at most
    # ``per_location`` per LVV) tells the planner how few they are.
    first = (
        Case.objects.visible_to(user)
        .filter(state__in=QUEUE_STATES, location__in=[loc.pk for loc in locations])
        .annotate(position=Window(RowNumber(), partition_by=[F("location_id")], order_by=[F("waitlisted_on"), F("pk")]))
        .filter(position__lte=per_location)
        .order_by()
        .values("pk")[: per_location * len(locations)]
    )
    ranked = visible_cases(user).filter(pk__in=first).order_by("location_id", "waitlisted_on", "pk")
    by_location: dict[int, list[Case]] = {}
    for case in ranked:
        by_location.setdefault(case.location_id, []).append(case)
    for location in locations:
        location.free_places_today = location.capacity_today - location.occupied_today
        location.waiting = by_location.get(location.pk, [])
    return locations


# --- The case page ------------------------------------------------------------------------


def case_for_page(user: Actor, pk: int | str) -> Case:
    """A visible case with everything its page shows, in a fixed number of queries.

    ``Case.DoesNotExist`` when the case does not exist for this user.
    """
    return (
        Case.objects.visible_to(user)
        .select_related(
            "person",
            "location",
            "assigned_ngo",
            "admission_check__checked_by",
            "outflow__recorded_by",
            "outflow__confirmed_by",
            "outflow__disputed_by",
            "case_manager__organisation",
            "ngo_guide__organisation",
        )
        .prefetch_related(
            Prefetch("deadlines", queryset=Deadline.objects.order_by("due_on", "id")),
            Prefetch("scenarios", queryset=Scenario.objects.select_related("set_by").order_by("-set_on", "-id")),
            Prefetch("dossier_parts", queryset=DossierPart.objects.select_related("delivered_by").order_by("kind")),
            Prefetch(
                "cooperation_checks",
                queryset=CooperationCheck.objects.select_related("checked_by").order_by("-checked_on", "-id"),
            ),
        )
        .get(pk=pk)
    )


def timeline_slice(
    user: Actor, case: Case, *, offset: int, limit: int, special: bool | None = None
) -> tuple[list[TimelineEvent], bool]:
    """``limit`` events of the case's timeline as ``user`` may see it (``visible_timeline``)
    from ``offset``, newest first, and whether there are more (one query)."""
    rows = list(
        visible_timeline(user, case, special=special).select_related("actor__organisation")[offset : offset + limit + 1]
    )
    return rows[:limit], len(rows) > limit


def other_open_case_locations(case: Case) -> list[str]:
    """Names of the other LVVs where the case's person has an open case.

    A deliberate, narrow exception to reading through ``visible_to``: the case worker
    learns the LVV's name only (to coordinate), never the other case or its data.
    """
    return list(
        Location.objects.filter(
            Exists(
                Case.objects.filter(location=OuterRef("pk"), person_id=case.person_id, state__in=OPEN_STATES).exclude(
                    pk=case.pk
                )
            )
        )
        .exclude(pk=case.location_id)
        .order_by("name")
        .values_list("name", flat=True)
    )


# --- The case list's filters (pages and API) ---------------------------------------------


class FilterForm(StyledFormMixin, forms.Form):
    pass


class OverdueSelect(forms.NullBooleanSelect):
    """ "Alle", "ja", "nee"; reads true/false as well as Django's own values (API)."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = [("unknown", _("Alle casussen")), ("true", _("Ja, met verlopen termijn")), ("false", _("Nee"))]


WAITING = "waiting"
# The values of the case list's "mine" filter.
MINE, ALL = "true", "false"


class LocationFilterSet(django_filters.FilterSet):
    """Filters of cases (a page and its API) with the LVV filter: it offers the LVVs of the
    requesting user's organisation (``self.locations``); ``self.user`` is that user."""

    location = django_filters.ModelChoiceFilter(
        label=_("LVV"),
        field_name="location",
        to_field_name="slug",
        queryset=Location.objects.none(),
        empty_label=_("Alle LVV's"),
    )

    def __init__(
        self,
        data: QueryDict | dict[str, Any] | None = None,
        *args: Any,
        request: HttpRequest | Request | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, *args, request=request, **kwargs)
        self.user = getattr(request, "user", None)
        self.locations = user_locations(self.user)
        self.filters["location"].queryset = self.locations


class CaseFilter(LocationFilterSet):
    """The filters of the case list, shared by the page and the API."""

    q = django_filters.CharFilter(label=_("Zoeken"), method="filter_search", max_length=QUERY_MAX_LENGTH)
    state = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[*State.choices, (WAITING, _("op de wachtlijst (toegelaten, nog zonder plek)"))],
        empty_label=_("Alle statussen"),
        method="filter_state",
    )
    direction = django_filters.ChoiceFilter(
        label=_("Richting scenario"),
        choices=Direction.choices,
        empty_label=_("Alle richtingen"),
        method="filter_direction",
    )
    overdue = django_filters.BooleanFilter(label=_("Termijn verlopen"), method="filter_overdue", widget=OverdueSelect)
    assigned_ngo = django_filters.ModelChoiceFilter(
        label=_("Ngo"),
        field_name="assigned_ngo",
        queryset=Organisation.objects.none(),
        empty_label=_("Alle ngo's"),
    )
    case_type = django_filters.ChoiceFilter(
        label=_("Casustype"), choices=CaseType.choices, empty_label=_("Alle casustypen"), method="filter_case_type"
    )
    # "My cases": where the user is the case manager or the NGO guide (the page's default for
    # the roles that own cases; the API's ``?mine=true``).
    mine = django_filters.ChoiceFilter(
        label=_("Welke casussen"),
        choices=[(MINE, _("Mijn casussen")), (ALL, _("Alle casussen"))],
        empty_label=None,
        method="filter_mine",
    )

    class Meta:
        model = Case
        fields = ["q", "location", "state", "direction", "overdue", "assigned_ngo", "case_type", "mine"]
        form = FilterForm

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["assigned_ngo"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.NGO, service_links__location__in=self.locations
        ).distinct()
        # The special case types only for users with the special-category permission
        # (cases.special_types): for the others such a choice is not valid (the page ignores
        # it, the API answers 400), so no list tells them which cases have such a type.
        case_type = self.filters["case_type"]
        case_type.extra["choices"] = special_types.choices(special=special_types.may_see_special(self.user, None))
        # The filter's form field is made once and cached on the filter; a copy of a class-level
        # filter whose field was already made (the API schema does that) would keep every
        # choice. Drop it, so that this user's choices are the ones the field offers and checks.
        case_type.__dict__.pop("_field", None)

    # Unannotated: a hint on ``value`` would replace the API schema's parameter, which comes
    # from the model's field (drf-spectacular reads a filter method's hints).
    def filter_state(self, queryset, name, value):  # type: ignore[no-untyped-def]
        """A state, or ``waiting``: the one waiting list (admitted, no place yet)."""
        if value == WAITING:
            return queryset.filter(state__in=QUEUE_STATES)
        return queryset.filter(state=value)

    def filter_search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        """Name (accent-insensitive, typo-tolerant), V-number or external id (``search``)."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(search(value))

    def filter_direction(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        """The direction of the latest scenario."""
        if not value:
            return queryset
        return queryset.alias(latest_direction_filter=_latest_scenario("direction")).filter(
            latest_direction_filter=value
        )

    def filter_overdue(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        """Cases with (``True``) or without (``False``) a running deadline past its date."""
        if value is None:
            return queryset
        overdue = open_deadlines().filter(case=OuterRef("pk"), due_on__lt=timezone.localdate())
        return queryset.filter(Exists(overdue) if value else ~Exists(overdue))

    def filter_case_type(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        if not value:
            return queryset
        return queryset.filter(case_types__contains=[value])

    def filter_mine(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        """Only the cases where the user is the case manager or the NGO guide."""
        if value != MINE:
            return queryset
        if self.user is None or not getattr(self.user, "is_authenticated", False):
            return queryset.none()
        return queryset.filter(mine(self.user))


class EqualsAny(Func):
    """``expression = ANY(array)``: PostgreSQL compares with each element of the array, and an
    index on ``expression`` finds them all (unlike ``IN (subquery)`` inside an OR)."""

    output_field = BooleanField()

    def as_sql(  # type: ignore[override]  # the function, template and joiner are this class's own
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        expression, array = (compiler.compile(part) for part in self.get_source_expressions())
        return f"({expression[0]} = ANY({array[0]}))", (*expression[1], *array[1])


def search(term: str) -> Q:
    """The case list's search as a filter on cases: the person's name (accent-insensitive,
    typo-tolerant), the person's V-number or the case's external id (case-insensitive).

    Both parts are conditions on the case's own indexed columns, so PostgreSQL combines them
    (a bitmap OR) with the visibility rule instead of testing every case: the matching
    persons (``Person.objects.search``, the trigram index or the V-number's) as an array of
    ids for ``case_person_shelter``, the external id for ``case_external_id_ci``."""
    persons = ArraySubquery(Person.objects.search(term).order_by().values("pk"))
    by_external_id = ~Q(external_id="") & Q(external_id__iexact=term)
    return Q(EqualsAny(F("person_id"), persons)) | by_external_id


def v_number_known(v_number: str | None) -> bool:
    """Whether a person with this V-number exists (the intake links a new case to that
    person, as ``services.register_person_and_case`` does); reveals nothing else."""
    return bool(v_number) and Person.objects.filter(v_number=v_number).exists()


class StepOption(NamedTuple):
    """A step the user's roles may take from the case's state, with its key (the deadline's
    kind for pause and resume, else "") and ``refusal``: why it cannot be taken now (None:
    it can)."""

    step: workflow.Step
    key: str
    refusal: workflow.Refusal | None


def step_options(user: Actor, case: Case, *, can_change: bool | None = None) -> list[StepOption]:
    """Every step ``workflow.steps_for`` gives the user's roles in the case's state, once
    per key (pause and resume once per open deadline), each with the table's answer for now
    (``workflow.refusal``, the same conditions the services check). Reads the case's
    prefetched dossier parts, deadlines and outflow, and asks ``policy.can_change_case``
    only for a step that needs edit rights, unless the caller passes ``can_change``."""
    steps = workflow.steps_for(case.state, user.roles)
    facts = workflow.StepFacts(case, user, can_change=can_change)
    options: list[StepOption] = []
    for step in steps:
        for key in step.keys(facts):
            keyed = facts.with_key(key)
            options.append(StepOption(step, key, workflow.refusal(step, keyed)))
    return options


def available_steps(user: Actor, case: Case, *, can_change: bool | None = None) -> list[tuple[workflow.Step, str]]:
    """The steps ``user`` can take on ``case`` now (``step_options`` without a refusal), as
    (step, key). Pages and API offer exactly these. Steps that a higher app's records make
    the obvious next one come first (``cases.extensions``)."""
    options = step_options(user, case, can_change=can_change)
    available = [(option.step, option.key) for option in options if option.refusal is None]
    if not available:
        return available
    hinted = {hint.step for hint in extensions.step_hints(user, case)}
    if hinted:
        available.sort(key=lambda entry: entry[0].name not in hinted)
    return available


# --- The case journal (notes) ---------------------------------------------------------------
# A special note exists only for users who may see special-category data of its case
# (``policy.can_view_special_category``): it is left out of every list, the timeline and
# every look-up. ``special`` is that answer when the caller already has it (one check per
# request); without it, the policy is asked.


def _sees_special(user: Actor, case: Case, special: bool | None) -> bool:
    return policy.can_view_special_category(user, case) if special is None else special


def _notes_of(user: Actor, case: Case, special: bool) -> QuerySet[Note]:
    notes = Note.objects.filter(case__in=Case.objects.visible_to(user).filter(pk=case.pk).values("pk"))
    if not special:
        notes = notes.exclude(confidentiality=Confidentiality.SPECIAL)
    return notes


def case_notes(user: Actor, case: Case, *, kind: str = "", special: bool | None = None) -> QuerySet[Note]:
    """The notes of ``case`` that ``user`` may see, newest first (by ``written_on``, then by
    the time they were written), of one ``kind`` if given. Each comes with its author, the
    note it corrects and ``corrected_by``: the ids of its corrections this user may see,
    oldest first. One query."""
    special = _sees_special(user, case, special)
    notes = _notes_of(user, case, special)
    if kind:
        notes = notes.filter(kind=kind)
    # A correction belongs to the case of the note it corrects (``services.add_note``).
    corrections: QuerySet[Any, Any] = Note.objects.filter(corrects=OuterRef("pk"))
    if not special:
        corrections = corrections.exclude(confidentiality=Confidentiality.SPECIAL)
    corrections = corrections.order_by("written_on", "created_at", "id").values("pk")
    return (
        notes.select_related("author", "author_organisation", "corrects")
        .annotate(corrected_by=ArraySubquery(corrections))
        .order_by("-written_on", "-created_at", "-id")
    )


def get_visible_note(user: Actor, case: Case, pk: int | str, *, special: bool | None = None) -> Note:
    """One note of the case, or ``Note.DoesNotExist`` when it does not exist for this user."""
    return case_notes(user, case, special=special).get(pk=pk)


def visible_timeline(user: Actor, case: Case, *, special: bool | None = None) -> QuerySet[TimelineEvent]:
    """The case's timeline as ``user`` may see it, newest first: without the events of
    special items (notes, documents: every event whose data says ``"confidentiality":
    "special"``) for users who may not see special-category data of the case."""
    events = TimelineEvent.objects.filter(case__in=Case.objects.visible_to(user).filter(pk=case.pk).values("pk"))
    if not _sees_special(user, case, special):
        # ``@>`` is false (not NULL) for an event without the key, so those events stay.
        events = events.exclude(data__contains={"confidentiality": Confidentiality.SPECIAL})
    return events.order_by("-occurred_on", "-id")


# --- Case owners: the case manager and the NGO guide ---------------------------------------
# Every case has a named case manager (a case worker of the municipality of its LVV) and,
# where an NGO is assigned, a named guide of that NGO. "My cases" are the ones where the user
# is either (indexes ``case_manager_state`` and ``case_ngo_guide_state``).

OWNER_HISTORY_PAGE_SIZE = 5
# Roles that own cases, for whom the case list shows "my cases" first.
OWNER_ROLES = (Role.CASEMANAGER, Role.NGO)


def owns_cases(user: Actor) -> bool:
    """Whether the user has a role that owns cases (case worker, NGO guide)."""
    return bool(getattr(user, "is_authenticated", False)) and not policy.is_system(user) and user.has_role(*OWNER_ROLES)


def mine(user: Actor) -> Q:
    """Cases where ``user`` is the case manager or the NGO guide."""
    return Q(case_manager=user.pk) | Q(ngo_guide=user.pk)


def my_open_cases(user: Actor) -> QuerySet[Case]:
    """The user's own open cases (case manager or NGO guide), among those the user may see,
    newest registration first."""
    if not owns_cases(user):
        return Case.objects.none()
    return visible_cases(user).filter(mine(user), state__in=OPEN_STATES).order_by("-registered_on", "-pk")


def _serving_organisations(case: Case) -> QuerySet[Organisation, Any]:
    """The organisations that work for the case's LVV: its municipality and those serving it."""
    return Organisation.objects.filter(
        Q(pk__in=Location.objects.filter(pk=case.location_id).values("municipality"))
        | Q(pk__in=ServiceLink.objects.filter(location=case.location_id).values("organisation"))
    ).values("pk")


def _eligible(case: Case, role: str) -> Q:
    """The rule of ``eligible_owners`` as a filter on users (no multi-valued joins)."""
    serving = _serving_organisations(case)
    if role == OwnerRole.CASE_MANAGER:
        return Q(roles__contains=[Role.CASEMANAGER], organisation__in=serving)
    if role == OwnerRole.NGO_GUIDE and case.assigned_ngo_id is not None:
        return Q(roles__contains=[Role.NGO], organisation=case.assigned_ngo_id, organisation__in=serving)
    return Q(pk__in=[])


def eligible_owners(case: Case, role: str) -> QuerySet[User]:
    """The active users who may own ``role`` of ``case``: for the case manager the case
    workers of an organisation that works for the case's LVV (its municipality); for the NGO
    guide the NGO guides of the NGO the case is assigned to, when that NGO serves the LVV.
    The access policy's rule for these roles; ``services.hand_over`` checks visibility too."""
    return (
        User.objects.filter(is_active=True, organisation__isnull=False)
        .filter(_eligible(case, role))
        .order_by("first_name", "last_name", "username", "pk")
    )


def eligible_owner_choices(case: Case, roles: list[str]) -> dict[str, list[User]]:
    """``eligible_owners`` for several roles of one case, in one query."""
    if not roles:
        return {}
    rules = {role: _eligible(case, role) for role in roles}
    either = Q(pk__in=[])
    for rule in rules.values():
        either |= rule
    users = list(
        User.objects.filter(is_active=True, organisation__isnull=False)
        .filter(either)
        .select_related("organisation")
        .annotate(
            **{f"eligible_{role}": ExpressionWrapper(rule, output_field=BooleanField()) for role, rule in rules.items()}
        )
        .order_by("first_name", "last_name", "username", "pk")
    )
    return {role: [user for user in users if getattr(user, f"eligible_{role}")] for role in roles}


def owner_history(user: Actor, case: Case) -> QuerySet[CaseOwnerChange]:
    """The hand-overs of ``case`` as ``user`` may see them (all of them when the case is
    visible, none otherwise), newest first, with the users involved."""
    return (
        CaseOwnerChange.objects.filter(case__in=Case.objects.visible_to(user).filter(pk=case.pk).values("pk"))
        .select_related("from_user", "to_user", "changed_by")
        .order_by("-changed_at", "-id")
    )


def owner_history_slice(user: Actor, case: Case, *, offset: int, limit: int) -> tuple[list[CaseOwnerChange], bool]:
    """``limit`` hand-overs from ``offset``, newest first, and whether there are older ones
    (one query)."""
    rows = list(owner_history(user, case)[offset : offset + limit + 1])
    return rows[:limit], len(rows) > limit


# --- One person: everything the user may see --------------------------------------------------


def person_cases(user: Actor, person_pk: int | str) -> QuerySet[Case]:
    """The cases of one person that ``user`` may see (re-entries, other LVVs only where the
    user sees them), newest registration first, with what the person page shows."""
    return (
        Case.objects.visible_to(user)
        .filter(person=person_pk)
        .select_related("person", "location", "assigned_ngo", "case_manager", "ngo_guide")
        .order_by("-registered_on", "-pk")
    )


def person_notes(user: Actor, cases: list[Case], *, special_cases: set[int]) -> QuerySet[Note]:
    """The journal notes of ``cases`` (the person's visible cases) that ``user`` may see,
    newest first: a special note only of a case in ``special_cases`` (the cases whose
    special-category data the user may see, ``policy.SpecialCategoryChecker``). The cases
    are checked against the access policy again."""
    visible = Case.objects.visible_to(user).filter(pk__in=[case.pk for case in cases]).values("pk")
    allowed = ~Q(confidentiality=Confidentiality.SPECIAL) | Q(case__in=list(special_cases))
    corrections = Note.objects.filter(allowed, corrects=OuterRef("pk")).order_by("written_on", "created_at", "id")
    return (
        Note.objects.filter(allowed, case__in=visible)
        .select_related("case", "author", "author_organisation", "corrects")
        .annotate(corrected_by=ArraySubquery(corrections.values("pk")))
        .order_by("-written_on", "-created_at", "-id")
    )


# --- Case documents ------------------------------------------------------------------------------
# As notes: a special document exists only for users who may see special-category data of
# its case; it is left out of every list, the timeline and every look-up (404).

from cases.models import Document  # noqa: E402


def case_documents(user: Actor, case: Case, *, special: bool | None = None) -> QuerySet[Document]:
    """The documents of ``case`` that ``user`` may see, newest first, each with who added it
    and its dossier part. One query (index ``document_case_newest``)."""
    documents = Document.objects.filter(case__in=Case.objects.visible_to(user).filter(pk=case.pk).values("pk"))
    if not _sees_special(user, case, special):
        documents = documents.exclude(confidentiality=Confidentiality.SPECIAL)
    return documents.select_related("uploaded_by", "uploaded_by_organisation", "dossier_part").order_by(
        "-uploaded_at", "-id"
    )


def get_visible_document(user: Actor, case: Case, pk: int | str, *, special: bool | None = None) -> Document:
    """One document of the case, or ``Document.DoesNotExist`` when it does not exist for this user."""
    return case_documents(user, case, special=special).get(pk=pk)


# --- One person: the documents of the person's cases (case owners' person page) --------------


def person_documents(user: Actor, cases: list[Case], *, special_cases: set[int]) -> QuerySet[Document]:
    """The documents of ``cases`` (the person's visible cases) that ``user`` may see, newest
    first: a special document only of a case in ``special_cases`` (as ``person_notes``).
    The cases are checked against the access policy again."""
    visible = Case.objects.visible_to(user).filter(pk__in=[case.pk for case in cases]).values("pk")
    allowed = ~Q(confidentiality=Confidentiality.SPECIAL) | Q(case__in=list(special_cases))
    return (
        Document.objects.filter(allowed, case__in=visible)
        .select_related("case", "uploaded_by", "uploaded_by_organisation")
        .order_by("-uploaded_at", "-id")
    )
