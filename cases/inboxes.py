"""Partner inboxes: what the IND, the DT&V and the LSO chair have to act on now.

An inbox is a registered definition (``Inbox``): a key, a Dutch title, the roles it is for,
a filter over the cases the user may see (the access policy, ``Case.objects.visible_to``)
that holds exactly the cases waiting for that partner (the filter *is* the "done"
condition: a case leaves the inbox when the work is recorded), the dates shown with an
item (since when it waits, and the date it is due, if any), where to act on it, and the
timeline events that may bring a case in.

Each app registers its own inboxes (dependencies point one way, ``cases`` <- ``lso`` <-
``mrt``; see docs/adr/0015-partner-inboxes.md):

- ``cases`` (this module): ``ind_dossier``, ``ind_confirm``, ``dtv_dossier``,
  ``dtv_confirm``;
- ``lso`` (``lso/inboxes.py``): ``dtv_review``, ``lso_prepare``;
- ``mrt`` (``mrt/inboxes.py``): ``lso_mrt_advice``.

A later app adds one with ``register(Inbox(...))`` in its ``AppConfig.ready``; the home
page, the navigation's counts, the inbox pages, the API, the arrival notices and the
digest then include it without any change here. For example the procedures app::

    register(Inbox(
        key="ind_decision", title=_("Aanvragen wachtend op een besluit"), roles=(Role.IND,),
        pending=lambda user: Case.objects.visible_to(user).filter(Exists(open_applications)),
        annotations=lambda: {"inbox_since": Subquery(...submitted_on...), "inbox_due": Subquery(...)},
        item_label=_("aanvraag ingediend"), done=_("... zodra de IND een besluit vastlegt."),
        link=lambda case: reverse("cases:detail", args=[case.pk]),
        arrives_on={EventType.APPLICATION_SUBMITTED: None},
    ))

Arrival notices: ``cases.services.add_event`` calls ``event_added`` for every timeline
event a service writes (outside an import's ``history_batch``). When an inbox lists the
event's type in ``arrives_on``, the users who should act are told after the commit
(``notify_arrivals``): every active user with one of the inbox's roles, in an
organisation that works for the case's LVV, for whom the case is in the inbox now (so the
policy and the "done" condition decide, not the event), except the user who acted. One
unread notice per user, case and inbox: running it twice, or a second event before the
user read the first notice, adds nothing.

Counts for the navigation and the home page: ``counts`` answers every inbox of the user in
one query (one pass over the cases the user may see, counting each inbox's condition),
whatever the number of cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db import connection, models, transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cases.models import (
    CONFIRMED_BY_KIND,
    Case,
    Deadline,
    DeadlineKind,
    DossierPart,
    DossierPartKind,
    EventType,
    Notification,
    Outflow,
    OutflowCategory,
)
from cases.workflow import ADMITTED_STATES, State
from lvv.access import policy
from lvv.accounts.models import Role
from lvv.partners.models import Location, ServiceLink

# How many items an inbox shows on the home page and the inbox overview (the rest: "alle N").
SHOWN = 10
# The in-app notice (Dutch, stored when it is created); it names the case by its reference only.
ARRIVAL_MESSAGE = _("Nieuw in uw inbox “%(inbox)s”: casus %(case)s.")
ARRIVAL_MESSAGE_DUE = _("Nieuw in uw inbox “%(inbox)s”: casus %(case)s, uiterlijk %(date)s.")
NOT_FOUND = _("Deze inbox bestaat niet of is niet voor uw rol.")


class InboxNotFound(LookupError):
    """The key names no inbox, or not one of this user's: answer 404."""


@dataclass(frozen=True)
class Inbox:
    """One partner inbox.

    Which cases wait in it, for ``user``: give either ``condition(user)``, a ``Q`` on the
    cases ``user`` may see (preferably ``pk__in=<subquery>`` forms: the counts evaluate every
    inbox's condition in one pass over the user's cases), or ``pending(user)``, a queryset
    built on ``Case.objects.visible_to(user)``. Either is also the "done" condition, which
    ``done`` says in words. ``annotations()`` gives at least ``inbox_since`` (a date: since
    when the item waits) and ``inbox_due`` (a date or NULL: by when it is due); it may add
    more for ``describe``. ``arrives_on`` maps timeline event types to an optional test of
    the event's ``data``: such an event may bring a case into the inbox (a notice follows
    when it did)."""

    key: str
    title: str
    roles: tuple[str, ...]
    annotations: Callable[[], dict]
    item_label: str
    done: str
    link: Callable[[Case], str]
    condition: Callable[..., Q] | None = None
    pending: Callable[..., QuerySet[Case]] | None = None
    arrives_on: Mapping[str, Callable[[dict], bool] | None] = field(default_factory=dict)
    describe: Callable[[Case], str] | None = None
    action_label: str = ""
    action_url: Callable[[], str] | None = None
    order: int = 100

    def __post_init__(self):
        if (self.condition is None) == (self.pending is None):
            raise ValueError(f"Inbox {self.key!r}: give either condition or pending.")

    def is_for(self, user) -> bool:
        return user.has_role(*self.roles)

    def cases(self, user) -> QuerySet[Case]:
        """The cases ``user`` may see that wait in this inbox."""
        if self.condition is not None:
            return Case.objects.visible_to(user).filter(self.condition(user))
        return self.pending(user)

    def count_filter(self, user) -> Q:
        """This inbox as a filter on the cases ``user`` may see (for the counts)."""
        if self.condition is not None:
            return self.condition(user)
        return Q(pk__in=self.pending(user).order_by().values("pk"))

    def items(self, user) -> QuerySet[Case]:
        """The cases in this inbox with their dates, the most urgent first: the earliest due
        date, then the longest waiting (one query per page)."""
        return (
            self.cases(user)
            .annotate(**self.annotations())
            .select_related("person", "location")
            .order_by(F("inbox_due").asc(nulls_last=True), F("inbox_since").asc(nulls_last=True), "pk")
        )

    def what(self, case: Case) -> str:
        """What the item is, in Dutch (for the pages and the API)."""
        if self.describe is not None:
            text = self.describe(case)
            if text:
                return str(text)
        return str(self.item_label)

    def arrives_with(self, event_type: str, data: dict | None) -> bool:
        if event_type not in self.arrives_on:
            return False
        test = self.arrives_on[event_type]
        return test is None or bool(test(data or {}))


_registry: dict[str, Inbox] = {}


def register(inbox: Inbox) -> Inbox:
    """Add (or replace, by key) an inbox. Call from an ``AppConfig.ready``."""
    _registry[inbox.key] = inbox
    return inbox


def all_inboxes() -> list[Inbox]:
    return sorted(_registry.values(), key=lambda box: (box.order, box.key))


def get(key: str) -> Inbox | None:
    return _registry.get(key)


def for_user(user) -> list[Inbox]:
    """The inboxes of ``user``'s roles; none for the programme bureau, an inactive user or
    the system (they never see a person)."""
    if user is None or policy.is_system(user) or not policy.sees_persons(user):
        return []
    return [box for box in all_inboxes() if box.is_for(user)]


def get_for_user(user, key: str) -> Inbox:
    """The inbox ``key`` of ``user``; ``InboxNotFound`` when it is unknown or not theirs."""
    for box in for_user(user):
        if box.key == key:
            return box
    raise InboxNotFound(key)


# --- Counts ---------------------------------------------------------------------------------


def counts(user, boxes: Iterable[Inbox] | None = None) -> dict[str, int]:
    """Open items per inbox of ``user``, in one query whatever the number of cases: a count
    of each inbox's cases (``Inbox.cases``: the access policy and the inbox's condition), each
    its own subquery with its own plan, so that an inbox of a few items is counted from
    those items (its index), not by a pass over all the cases the user may see (at 100,000
    cases a DT&V supervisor's counts took 42 ms in one pass, 32 ms so; docs/benchmark-scale.md)."""
    boxes = list(for_user(user) if boxes is None else boxes)
    if not boxes:
        return {}
    parts, params = [], []
    for box in boxes:
        try:
            sql, part_params = box.cases(user).order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # the user sees no case at all
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS inbox)")  # noqa: S608 -- SQL the ORM compiled
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)  # noqa: S608 -- SQL the ORM compiled
        row = cursor.fetchone()
    return {box.key: row[n] or 0 for n, box in enumerate(boxes)}


def counts_for_request(request) -> dict[str, int]:
    """``counts`` for the signed-in user, once per request (the page and the navigation)."""
    cached = getattr(request, "_inbox_counts", None)
    if cached is None:
        user = getattr(request, "user", None)
        cached = counts(user) if user is not None and user.is_authenticated else {}
        request._inbox_counts = cached
    return cached


def nav_counts(request) -> dict[str, int]:
    """``counts`` for the navigation's badge: the page's own when it counted them (the inbox
    pages), else kept per user for ``INBOX_NAV_SECONDS`` in the cache. The badge is a pointer,
    not the inbox: another user's change may show a little later there (the inbox page always
    counts anew); the user's own changes renew it at once (``cases.middleware``)."""
    user = getattr(request, "user", None)
    seconds = settings.INBOX_NAV_SECONDS
    counted = getattr(request, "_inbox_counts", None)
    if counted is not None:  # counted anew for this page: the badge keeps these
        if seconds > 0 and user is not None and user.is_authenticated:
            cache.set(_nav_key(user), counted, seconds)
        return counted
    if user is None or not user.is_authenticated or seconds <= 0:
        return counts_for_request(request)
    key = _nav_key(user)
    found = cache.get(key)
    if found is None:
        found = counts_for_request(request)
        cache.set(key, found, seconds)
    return found


def forget_nav_counts(user) -> None:
    cache.delete(_nav_key(user))


def _nav_key(user) -> str:
    return f"inbox:nav:1:{user.pk}"


@dataclass
class Section:
    """One inbox on a page: its definition, how many items it holds, the first ones."""

    inbox: Inbox
    count: int
    items: list[Case]

    @property
    def key(self) -> str:
        return self.inbox.key

    @property
    def rows(self) -> list[tuple[Case, str, str]]:
        return [(case, self.inbox.what(case), self.inbox.link(case)) for case in self.items]

    @property
    def more(self) -> bool:
        return self.count > len(self.items)


def sections(request, *, limit: int = SHOWN) -> list[Section]:
    """The user's inboxes with their counts (one query) and first ``limit`` items (one query
    per inbox): a fixed number of queries per user."""
    user = request.user
    boxes = for_user(user)
    numbers = counts_for_request(request)
    result = []
    for box in boxes:
        count = numbers.get(box.key, 0)
        items = list(box.items(user)[:limit]) if count else []
        result.append(Section(inbox=box, count=count, items=items))
    return result


# --- Arrival notices ------------------------------------------------------------------------


def event_added(case: Case, event_type: str, data: dict | None, actor) -> None:
    """Called by ``cases.services.add_event`` for every event a service writes: when it may
    bring the case into an inbox, the people who should act are told after the commit."""
    keys = tuple(box.key for box in all_inboxes() if box.arrives_with(event_type, data))
    if not keys or case.pk is None:
        return
    actor_id = None if policy.is_system(actor) else getattr(actor, "pk", None)
    # robust: a notice that fails is logged; it never fails the change that was committed.
    transaction.on_commit(partial(notify_arrivals, case_id=case.pk, keys=keys, exclude_user_id=actor_id), robust=True)


def _candidates(case: Case, roles: set[str], exclude_user_id: int | None) -> list:
    """Active users with one of ``roles`` in an organisation that works for the case's LVV."""
    organisations = {case.location.municipality_id}
    organisations.update(ServiceLink.objects.filter(location=case.location_id).values_list("organisation", flat=True))
    users = get_user_model().objects.filter(
        is_active=True, organisation__in=organisations, roles__overlap=sorted(roles)
    )
    if exclude_user_id is not None:
        users = users.exclude(pk=exclude_user_id)
    return list(users.order_by("pk"))


def _message(box: Inbox, case: Case, due_on) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        values = {"inbox": str(box.title), "case": case.reference}
        if due_on:
            return str(ARRIVAL_MESSAGE_DUE % {**values, "date": date_format(due_on)})[:300]
        return str(ARRIVAL_MESSAGE % values)[:300]


def notify_arrivals(*, case_id: int, keys: Iterable[str], exclude_user_id: int | None = None) -> int:
    """Tell the users who should act that the case is in their inbox ``keys`` now: one
    in-app ``Notification`` (kind ``inbox``) each, unless an unread one for this case and
    inbox exists. Returns how many were created. Safe to run twice; the case row is locked
    so that two commits on one case decide one after the other."""
    boxes = [box for key in dict.fromkeys(keys) if (box := _registry.get(key)) is not None]
    if not boxes:
        return 0
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("location").filter(pk=case_id).first()
        if case is None:
            return 0
        roles = {str(role) for box in boxes for role in box.roles}
        users = _candidates(case, roles, exclude_user_id)
        if not users:
            return 0
        unread = set(
            Notification.objects.filter(
                case=case,
                kind=Notification.Kind.INBOX,
                inbox__in=[box.key for box in boxes],
                read_at__isnull=True,
                user__in=[user.pk for user in users],
            ).values_list("user_id", "inbox")
        )
        new = []
        for box in boxes:
            for user in users:
                if not box.is_for(user) or (user.pk, box.key) in unread:
                    continue
                # In this user's inbox now? The policy and the done condition decide.
                row = box.cases(user).filter(pk=case.pk).annotate(**box.annotations()).values("inbox_due").first()
                if row is None:
                    continue
                due_on = row["inbox_due"]
                new.append(
                    Notification(
                        user=user,
                        case=case,
                        kind=Notification.Kind.INBOX,
                        inbox=box.key,
                        due_on=due_on,
                        message=_message(box, case, due_on),
                    )
                )
        Notification.objects.bulk_create(new)
    return len(new)


def still_open(user, notices: Iterable[Notification]) -> set[int]:
    """Of ``user``'s inbox notices, the ids whose case is still in that inbox for the user
    (one query per inbox among them, whatever the number of notices)."""
    by_box: dict[str, list[Notification]] = {}
    for notice in notices:
        if notice.kind == Notification.Kind.INBOX and notice.user_id == user.pk:
            by_box.setdefault(notice.inbox, []).append(notice)
    result: set[int] = set()
    for key, rows in by_box.items():
        box = _registry.get(key)
        if box is None or not box.is_for(user):
            continue
        open_ids = set(box.cases(user).filter(pk__in=[n.case_id for n in rows]).values_list("pk", flat=True))
        result.update(n.pk for n in rows if n.case_id in open_ids)
    return result


def title_of(key: str) -> str:
    box = _registry.get(key)
    return str(box.title) if box is not None else key


def own_locations(user) -> QuerySet[Location]:
    """The LVVs whose municipality is the user's organisation (an LSO is the municipality's:
    its chair prepares the meetings of its own LVVs)."""
    return Location.objects.filter(municipality=getattr(user, "organisation_id", None)).values("pk")


def no_date():
    """``inbox_due`` for an inbox whose items have no due date."""
    # A cast, not a bare NULL: PostgreSQL refuses a constant in ORDER BY.
    return Cast(models.Value(None), output_field=models.DateField())


# --- The inboxes of the cases app -------------------------------------------------------------


def _case_link(anchor: str = "") -> Callable[[Case], str]:
    def link(case: Case) -> str:
        url = reverse("cases:detail", args=[case.pk])
        return f"{url}#{anchor}" if anchor else url

    return link


def _dossier_inbox(key: str, kind: str, role: str, title, item_label, done, order: int) -> Inbox:
    """A dossier part the case worker asked for and the partner has not delivered yet, from
    the moment of the request (the IND's or DT&V's part; ``services.request_dossier``)."""
    deadline_kind = DeadlineKind.DOSSIER_IND if kind == DossierPartKind.IND else DeadlineKind.DOSSIER_DTV
    parts = DossierPart.objects.filter(kind=kind, requested_on__isnull=False, delivered_on__isnull=True)

    def condition(user) -> Q:
        # Delivery is a step while the case is admitted, waiting or sheltered: a rejected or
        # closed case drops out (nothing is to be delivered any more).
        return Q(state__in=ADMITTED_STATES, pk__in=parts.values("case_id"))

    def annotations() -> dict:
        part = DossierPart.objects.filter(case=OuterRef("pk"), kind=kind)
        deadline = Deadline.objects.filter(case=OuterRef("pk"), kind=deadline_kind, resolved_on__isnull=True)
        return {
            "inbox_since": Subquery(part.values("requested_on")[:1]),
            "inbox_due": Subquery(deadline.values("due_on")[:1]),
        }

    step = "deliver_dossier_ind" if kind == DossierPartKind.IND else "deliver_dossier_dtv"
    return Inbox(
        key=key,
        title=title,
        roles=(role,),
        condition=condition,
        annotations=annotations,
        item_label=item_label,
        done=done,
        link=_case_link(f"step-{step}"),
        arrives_on={EventType.DOSSIER_REQUESTED: None},
        order=order,
    )


PARTNER_CATEGORIES = {
    partner: tuple(str(category) for category, kind in CONFIRMED_BY_KIND.items() if kind == partner)
    for partner in ("ind", "dtv")
}


def _outflow_needs(partner: str) -> Callable[[dict], bool]:
    """Whether an ``outflow`` or ``outflow_corrected`` event may ask ``partner`` to confirm."""

    def test(data: dict) -> bool:
        if "new" in data:  # a correction: only a changed outflow needs confirming again
            return bool(data.get("changed")) and (data.get("new") or {}).get("category") in PARTNER_CATEGORIES[partner]
        return data.get("category") in PARTNER_CATEGORIES[partner]

    return test


def _confirm_inbox(key: str, partner: str, role: str, title, item_label, done, order: int) -> Inbox:
    """Durable outflows that ``partner`` confirms and has neither confirmed nor disputed."""

    waiting = Outflow.objects.filter(
        category__in=PARTNER_CATEGORIES[partner], confirmed_on__isnull=True, disputed_on__isnull=True
    )

    def condition(user) -> Q:
        return Q(state=State.CLOSED, pk__in=waiting.values("case_id"))

    def annotations() -> dict:
        return {
            "inbox_since": F("outflow__outflow_on"),
            "inbox_due": no_date(),
            "inbox_category": F("outflow__category"),
        }

    def describe(case: Case) -> str:
        category = getattr(case, "inbox_category", "")
        return str(OutflowCategory(category).label) if category in OutflowCategory.values else ""

    test = _outflow_needs(partner)
    return Inbox(
        key=key,
        title=title,
        roles=(role,),
        condition=condition,
        annotations=annotations,
        item_label=item_label,
        done=done,
        link=_case_link("step-confirm_outflow"),
        arrives_on={EventType.OUTFLOW: test, EventType.OUTFLOW_CORRECTED: test},
        describe=describe,
        action_label=_("Afstemming uitstroom"),
        action_url=lambda: reverse("cases:reconciliation"),
        order=order,
    )


register(
    _dossier_inbox(
        "ind_dossier",
        DossierPartKind.IND,
        Role.IND,
        _("Dossier opgevraagd: IND-deel"),
        _("IND-deel van het dossier opgevraagd"),
        _(
            "De casusregisseur heeft het IND-deel van het dossier opgevraagd. Een casus verdwijnt uit deze "
            "inbox zodra de IND het deel als geleverd registreert, of wanneer de casus niet meer loopt."
        ),
        order=10,
    )
)
register(
    _confirm_inbox(
        "ind_confirm",
        "ind",
        Role.IND,
        _("Inwilligingen te bevestigen"),
        _("Uitstroom met verblijfsvergunning te bevestigen"),
        _(
            "Uitstroom met een verblijfsvergunning die de IND nog niet heeft bevestigd of betwist. Een casus "
            "verdwijnt uit deze inbox zodra de IND de uitstroom bevestigt of betwist."
        ),
        order=20,
    )
)
register(
    _dossier_inbox(
        "dtv_dossier",
        DossierPartKind.DTV,
        Role.DTV,
        _("Dossier opgevraagd: DT&V-deel"),
        _("DT&V-deel van het dossier opgevraagd"),
        _(
            "De casusregisseur heeft het DT&V-deel van het dossier opgevraagd. Een casus verdwijnt uit deze "
            "inbox zodra de DT&V het deel als geleverd registreert, of wanneer de casus niet meer loopt."
        ),
        order=30,
    )
)
register(
    _confirm_inbox(
        "dtv_confirm",
        "dtv",
        Role.DTV,
        _("Vertrek te bevestigen"),
        _("Vertrek te bevestigen"),
        _(
            "Vertrek naar het land van herkomst of doormigratie dat de DT&V nog niet heeft bevestigd of "
            "betwist. Een casus verdwijnt uit deze inbox zodra de DT&V het vertrek bevestigt of betwist."
        ),
        order=40,
    )
)


def timeline_after(later_types: Iterable[str], outer: str = "occurred_on") -> Q:
    """For an outer timeline event: a filter on events of ``later_types`` of its case that
    come after it (a later date, or the same date and recorded later)."""
    return Q(case=OuterRef("case"), type__in=list(later_types)) & (
        Q(occurred_on__gt=OuterRef(outer)) | Q(occurred_on=OuterRef(outer), pk__gt=OuterRef("pk"))
    )
