"""Demo LSO data (registered with lvv.demo): members, past meetings with minutes, upcoming
meetings with an agenda built from the suggestions, open actions, DT&V reviews and a
partner's request. One review and one preparation note per LVV are special-category data:
the case manager (who has the permission) and the DT&V supervisor (given it on that one
review's case) read them; the NGO guide, the IND and the LSO chair see that a text is
withheld. Escalations come from the minutes; the MRT's seeder (``mrt.demo``)
adds sessions and advice.

Everything goes through the services, as the LVV's own accounts, on dates relative to
today, so that agendas, timelines and work queues are what real use would produce.

Deterministic: cases are taken in the order of the suggestions (by reason, then
reference), decisions follow a fixed plan. Idempotent: each step is done only when it is
still missing (a meeting is found by its LVV, date and time); a demo meeting left without
items (its cases were removed) is rebuilt.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases.models import Case, CaseType, Confidentiality, Direction, Route
from cases.workflow import ADMITTED_STATES, State
from lso import selectors, services
from lso.models import (
    Action,
    AgendaItem,
    Decision,
    EscalationReason,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    Reason,
    ReviewNote,
)
from lvv.access import policy
from lvv.audit.log import COMMAND
from lvv.demo import DemoContext

ITEMS_PER_MEETING = 5


@dataclass(frozen=True)
class PlannedMeeting:
    days: int  # relative to today
    time: datetime.time
    status: str  # the status the demo brings it to
    escalate: str = ""  # the escalation reason of the first suitable item, if any
    postpone: bool = False


PLAN = (
    PlannedMeeting(-28, datetime.time(14, 0), MeetingStatus.MINUTES_FINAL, escalate=EscalationReason.COMPLEXITY),
    PlannedMeeting(
        -14, datetime.time(14, 0), MeetingStatus.HELD, escalate=EscalationReason.DISAGREEMENT, postpone=True
    ),
    PlannedMeeting(7, datetime.time(14, 0), MeetingStatus.PUBLISHED),
    PlannedMeeting(21, datetime.time(10, 0), MeetingStatus.DRAFT),
)


def _d(days: int) -> datetime.timedelta:
    return datetime.timedelta(days=days)


class LocationSeeder:
    def __init__(self, ctx: DemoContext, pilot, today: datetime.date):
        slug = pilot.slug
        self.pilot, self.today = pilot, today
        self.location = ctx.locations[slug]
        self.chair = ctx.users[f"lsochair.{slug}"]
        self.casemanager = ctx.users[f"casemanager.{slug}"]
        self.ngo_user = ctx.users[f"ngo.{slug}"]
        self.dtv_user = ctx.users[f"dtv.{slug}"]
        self.ind_user = ctx.users[f"ind.{slug}"]
        self.ngos = ctx.ngos[slug]
        self.municipality = self.location.municipality
        self.kw = {"acting_user": self.chair, "origin": COMMAND}
        self.counts = {"meetings": 0, "items": 0, "outcomes": 0, "reviews": 0}

    # --- members ----------------------------------------------------------------------
    def members(self) -> None:
        save = services.save_member
        save(**self.kw, location=self.location, organisation=self.municipality, user=self.chair, is_chair=True)
        save(**self.kw, location=self.location, organisation=self.municipality)
        for ngo in self.ngos:
            save(**self.kw, location=self.location, organisation=ngo)
        save(**self.kw, location=self.location, organisation=self.dtv_user.organisation, user=self.dtv_user)
        save(**self.kw, location=self.location, organisation=self.ind_user.organisation, user=self.ind_user)

    # --- meetings ---------------------------------------------------------------------
    def meeting(self, planned: PlannedMeeting) -> Meeting:
        date = self.today + _d(planned.days)
        meeting = Meeting.objects.filter(location=self.location, date=date, start_time=planned.time).first()
        if meeting is None:
            online = planned.days > 0 and planned.time.hour < 12
            meeting = services.create_meeting(
                **self.kw,
                location=self.location,
                date=date,
                start_time=planned.time,
                place="" if online else f"Stadskantoor {self.pilot.name}, zaal 3",
                online_link=f"https://vergaderen.lvv.example/lso-{self.pilot.slug}" if online else "",
            )
            self.counts["meetings"] += 1
        return meeting

    def agenda(self, meeting: Meeting) -> None:
        if meeting.status != MeetingStatus.DRAFT or meeting.items.exists():
            return
        found = [s for s in selectors.suggestions(meeting, self.chair) if s.case.registered_on <= meeting.date]
        found = found[:ITEMS_PER_MEETING]
        if found:
            services.add_suggested_items(**self.kw, meeting=meeting, cases=[s.case for s in found])
        else:  # a small demo: a sheltered case by hand
            case = (
                Case.objects.filter(location=self.location, state__in=ADMITTED_STATES, registered_on__lte=meeting.date)
                .order_by("external_id", "pk")
                .first()
            )
            if case is None:
                return
            services.add_item(
                **self.kw, meeting=meeting, case=case, reason=Reason.MANUAL, reason_detail="Voortgang bespreken."
            )
        self.counts["items"] += meeting.items.count()

    def publish(self, meeting: Meeting) -> Meeting:
        if meeting.status == MeetingStatus.DRAFT and meeting.items.exists():
            meeting = services.publish_meeting(**self.kw, meeting=meeting, notify=False)
        return meeting

    def minutes(self, meeting: Meeting, planned: PlannedMeeting) -> None:
        """Every item gets its outcome: the last one is escalated and the one before it
        postponed (when planned); otherwise a scenario for the rest-period and review
        cases, and follow-up actions for the others."""
        if meeting.status not in (MeetingStatus.PUBLISHED, MeetingStatus.HELD):
            return
        items = list(
            AgendaItem.objects.filter(meeting=meeting, outcome__isnull=True)
            .select_related("case__location", "case__assigned_ngo")
            .order_by("order", "pk")
        )
        for index, item in enumerate(items):
            last = index == len(items) - 1
            if planned.escalate and last and len(items) > 1:
                self._escalate(item, planned.escalate)
            elif planned.postpone and index == len(items) - 2 and len(items) > 2:
                services.record_outcome(
                    **self.kw,
                    item=item,
                    decision=Decision.POSTPONE,
                    notes="Tolk niet beschikbaar; volgende keer.",
                    **self._advice(item.case),
                )
            elif item.reason in (Reason.REST_PERIOD_ENDED, Reason.SCENARIO_REVIEW_DUE):
                self._scenario(item, item.case, meeting)
            else:
                self._actions(item, item.case, meeting)
            self.counts["outcomes"] += 1
        meeting.refresh_from_db()

    @staticmethod
    def _advice(case: Case) -> dict:
        """An MRT advice pending on the case: the demo LSO follows it."""
        return {"advice_followed": True} if selectors.pending_advice_event(case) else {}

    def _scenario(self, item: AgendaItem, case: Case, meeting: Meeting) -> None:
        current = case.current_scenario
        if current is not None:
            direction, route = current.direction, current.route
            notes = "Scenario herbeoordeeld: het blijft staan."
        elif CaseType.REPEAT_ASYLUM in case.case_types or CaseType.MEDICAL in case.case_types:
            direction, route = Direction.RESIDENCE, Route.MEDICAL
            notes = "Verblijf op medische gronden onderzoeken."
        else:
            direction, route = Direction.DEPARTURE, Route.RETURN_TO_ORIGIN
            notes = "Terugkeer naar het land van herkomst voorbereiden."
        actions = []
        if case.assigned_ngo_id:
            actions.append(
                {
                    "description": "Scenario met de persoon bespreken en een plan van aanpak opstellen.",
                    "owner_organisation": case.assigned_ngo,
                    "due_on": meeting.date + _d(14),
                }
            )
        if direction == Direction.DEPARTURE:
            actions.append(
                {
                    "description": "Vertrekgesprek voeren en reisdocumenten aanvragen.",
                    "owner_organisation": self.dtv_user.organisation,
                    "owner_user": self.dtv_user,
                    "due_on": meeting.date + _d(21),
                }
            )
        services.record_outcome(
            **self.kw,
            item=item,
            decision=Decision.SCENARIO,
            direction=direction,
            route=route,
            notes=notes,
            actions=actions,
            **self._advice(case),
        )

    def _actions(self, item: AgendaItem, case: Case, meeting: Meeting) -> None:
        services.record_outcome(
            **self.kw,
            item=item,
            decision=Decision.ACTIONS,
            notes="Afspraken gemaakt; terugkoppeling in het volgende LSO.",
            actions=[
                {
                    "description": "Gesprek over medewerking en perspectief voeren.",
                    "owner_organisation": self.municipality,
                    "owner_user": self.casemanager,
                    "due_on": meeting.date + _d(7),
                },
                {
                    "description": "Stand van zaken vertrekprocedure aanleveren.",
                    "owner_organisation": self.dtv_user.organisation,
                    "due_on": meeting.date + _d(21),
                },
            ],
            **self._advice(case),
        )

    def _escalate(self, item: AgendaItem, reason: str) -> None:
        positions = []
        if reason == EscalationReason.DISAGREEMENT:
            positions = [
                {"organisation": self.ngos[0], "text": "Verblijf op medische gronden is nog niet onderzocht."},
                {"organisation": self.dtv_user.organisation, "text": "Vertrek is haalbaar; het reisdocument is er."},
            ]
        services.record_outcome(
            **self.kw,
            item=item,
            decision=Decision.ESCALATE,
            escalation_reason=reason,
            escalation_question="Welke richting is realistisch, en wat is daarvoor nodig?",
            agreed=reason != EscalationReason.DISAGREEMENT,
            positions=positions,
            notes="Voorgelegd aan het MRT.",
            **self._advice(item.case),
        )

    def finalize(self, meeting: Meeting) -> None:
        if meeting.status == MeetingStatus.HELD and not meeting.items.filter(outcome__isnull=True).exists():
            services.finalize_minutes(**self.kw, meeting=meeting)

    def close_some_actions(self) -> None:
        """Half of the oldest meeting's actions are done (every other one); the rest stays open."""
        oldest = self.today + _d(PLAN[0].days)
        actions = Action.objects.filter(case__location=self.location, item__meeting__date=oldest).order_by("pk")
        for index, action in enumerate(actions):
            if index % 2 == 0 and action.done_on is None:
                services.mark_action_done(
                    acting_user=self.casemanager, origin=COMMAND, action=action, on=oldest + _d(5)
                )

    # --- reviews and requests ---------------------------------------------------------
    def reviews_and_request(self) -> None:
        if ReviewNote.objects.filter(case__location=self.location).exists():
            return
        cases = list(
            Case.objects.filter(location=self.location, state=State.SHELTERED).order_by("external_id", "pk")[:3]
        )
        normal, special = Confidentiality.NORMAL, Confidentiality.SPECIAL
        texts = [
            (
                "Psychiatrische behandeling loopt; de behandelaar ziet vertrek binnen drie maanden niet als "
                "medisch verantwoord. Herbeoordeling van het scenario nodig.",
                False,
                20,
                special,
            ),
            ("Geen zichtbare voortgang in het vertrekscenario sinds de laatste bespreking.", True, 2, normal),
            ("Traject loopt volgens plan; dossier compleet.", False, 9, normal),
        ]
        for case, (text, flagged, days, mark) in zip(cases, texts, strict=False):
            on = max(self.today - _d(days), case.registered_on)
            if mark == special:
                # The DT&V supervisor was given the special-category data of this one case
                # (a grant on the case); other readers without it see that there is a text.
                assign_perm(policy.SPECIAL_CATEGORY_PERMISSION, self.dtv_user, case)
            services.add_review_note(
                acting_user=self.dtv_user,
                origin=COMMAND,
                case=case,
                text=text,
                flagged=flagged,
                on=on,
                confidentiality=mark,
            )
            self.counts["reviews"] += 1
        assigned = (
            Case.objects.filter(location=self.location, state=State.SHELTERED, assigned_ngo=self.ngo_user.organisation)
            .order_by("-external_id", "-pk")
            .first()
        )
        if assigned is not None:
            services.request_lso_discussion(
                acting_user=self.ngo_user,
                origin=COMMAND,
                case=assigned,
                reason="Gezondheid verslechtert; het scenario moet opnieuw worden bekeken.",
                on=max(self.today - _d(4), assigned.registered_on),
            )

    def notes(self, meeting: Meeting) -> None:
        if meeting.status != MeetingStatus.PUBLISHED:
            return
        for index, item in enumerate(meeting.items.select_related("case").order_by("order", "pk")[:3]):
            if item.notes.exists():
                continue
            services.save_preparation_note(
                acting_user=self.dtv_user,
                origin=COMMAND,
                item=item,
                text="Vertrekgesprek gevoerd; de persoon twijfelt nog. Reisdocument is aangevraagd.",
            )
            if index == 0:  # special-category data, for the readers with the permission only
                services.save_preparation_note(
                    acting_user=self.casemanager,
                    origin=COMMAND,
                    item=item,
                    text="De huisarts meldt een verhoogd suïciderisico; het vertrekgesprek alleen samen met de GGZ.",
                    confidentiality=Confidentiality.SPECIAL,
                )
            if item.case.assigned_ngo_id == self.ngo_user.organisation_id:
                services.save_preparation_note(
                    acting_user=self.ngo_user,
                    origin=COMMAND,
                    item=item,
                    text="Begeleiding loopt; de persoon komt afspraken na.",
                )

    def run(self) -> dict[str, int]:
        self.members()
        planned_dates = [self.today + _d(p.days) for p in PLAN]
        # A rerun after the demo cases were removed: rebuild the demo meetings left empty.
        Meeting.objects.filter(location=self.location, created_by=self.chair, date__in=planned_dates).exclude(
            status=MeetingStatus.DRAFT
        ).filter(items__isnull=True).delete()
        for planned in PLAN:
            if planned.days > 0:
                self.reviews_and_request()
            meeting = self.meeting(planned)
            self.agenda(meeting)
            if planned.status == MeetingStatus.DRAFT:
                continue
            meeting = self.publish(meeting)
            if planned.days <= 0:
                self.minutes(meeting, planned)
            if planned.status == MeetingStatus.MINUTES_FINAL:
                self.finalize(meeting)
                self.close_some_actions()
            self.notes(meeting)
        return self.counts


def seed_lso(ctx: DemoContext) -> dict[str, int]:
    today = timezone.localdate()
    totals = {"lso meetings created": 0, "lso agenda items": 0, "lso outcomes": 0, "dtv reviews": 0}
    for pilot in ctx.pilots:
        with transaction.atomic():
            counts = LocationSeeder(ctx, pilot, today).run()
        totals["lso meetings created"] += counts["meetings"]
        totals["lso agenda items"] += counts["items"]
        totals["lso outcomes"] += counts["outcomes"]
        totals["dtv reviews"] += counts["reviews"]
    totals["lso meetings"] = Meeting.objects.count()
    totals["lso outcomes recorded"] = ItemOutcome.objects.count()
    return totals
