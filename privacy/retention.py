"""Applying retention (``contracts/privacy.md``): a closed case whose retention period has
passed loses everything that identifies the person or tells their story, and keeps the
metadata the national figures read.

What goes, per due case, in one transaction:
- the journal's notes and the documents (their files after the commit);
- every free text of the case and of every record that leads to it (the case apps' text
  fields and choice-less character fields: reasons, notes, questions, advice, summaries),
  the health notes, the case types, the external id; match requests about the person;
- the person's name, V-number and birth date, once none of the person's cases is kept.

What stays: the LVV, every date, state, category, direction, kind, verified flag and the
person's record (its id is the pseudonym that keeps one person one person), so
``monitor.figures`` answers the same at every reference date. The access log is not touched
(it cannot be): its rows name the case and the person only by id.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from cases.models import Case, Document, MatchRequest, Note, Person
from cases.workflow import State
from lvv.audit.log import COMMAND, AccessAction, Origin, record
from privacy.models import REJECTED, LegalHold, RetentionPeriod, RetentionRecord
from privacy.subject_access import sources

BATCH = 200
# Kept although free-form: the import's event data (the monitor reads imported MRT
# discussions from it; it holds no names).
KEEP_FIELDS = {("cases.timelineevent", "data")}


def _years_before(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@dataclass
class Report:
    today: datetime.date
    dry_run: bool
    counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    persons: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def due_cases(today: datetime.date):
    """Closed cases past their outcome's period, without a legal hold, not yet retained."""
    periods = dict(RetentionPeriod.objects.values_list("outcome", "years"))
    condition = Q(pk__in=[])
    for outcome, years in periods.items():
        limit = _years_before(today, years)
        if outcome == REJECTED:
            condition |= Q(state=State.REJECTED, decided_on__lt=limit)
        else:
            condition |= Q(outflow__category=outcome, outflow__outflow_on__lt=limit)
    holds = LegalHold.objects.filter(lifted_at__isnull=True)
    return (
        Case.objects.filter(condition)
        .exclude(Exists(RetentionRecord.objects.filter(case=OuterRef("pk"))))
        .exclude(Exists(holds.filter(case=OuterRef("pk"))))
        .exclude(Exists(holds.filter(person=OuterRef("person"))))
        .select_related("location", "outflow")
        .order_by("pk")
    )


def _outcome(case: Case) -> tuple[str, datetime.date]:
    if case.state == State.REJECTED:
        return REJECTED, case.decided_on
    return case.outflow.category, case.outflow.outflow_on


def _text_fields(model) -> list[str]:
    label = model._meta.label_lower
    return [
        f.name
        for f in model._meta.concrete_fields
        if (label, f.name) not in KEEP_FIELDS
        and not f.primary_key
        and not f.is_relation
        and (isinstance(f, models.TextField) or (isinstance(f, models.CharField) and not f.choices))
    ]


def _blank(model, filter_: dict) -> None:
    names = _text_fields(model)
    if names:
        model.objects.filter(**filter_).update(**dict.fromkeys(names, ""))


def _strip(cases: list[Case], today: datetime.date) -> list[str]:
    """Remove the identifying data of these cases; returns the files to delete after commit."""
    ids = [case.pk for case in cases]
    with connection.cursor() as cursor:
        # The journal is append-only; retention is the one exception (cases/0006, privacy/0001).
        cursor.execute("SET LOCAL lvv.retention = 'on'")
        cursor.execute("DELETE FROM cases_note WHERE case_id = ANY(%s)", [ids])
    files = list(Document.objects.filter(case_id__in=ids).values_list("file", flat=True))
    Document.objects.filter(case_id__in=ids).delete()
    MatchRequest.objects.filter(case_id__in=ids).delete()
    for source in sources():
        if source.model in (Note, Document, MatchRequest):
            continue
        _blank(source.model, {f"{source.path}__in": ids})
    Case.objects.filter(pk__in=ids).update(
        external_id="", health_notes="", exception_reason="", rejection_reason="", case_types=[]
    )
    RetentionRecord.objects.bulk_create(
        RetentionRecord(case=case, outcome=_outcome(case)[0], ended_on=_outcome(case)[1], applied_on=today)
        for case in cases
    )
    return files


def _pseudonymise_persons(person_ids: set[int]) -> int:
    """Persons none of whose cases is kept lose their name, V-number and birth date."""
    kept = Case.objects.filter(person=OuterRef("pk")).exclude(
        Exists(RetentionRecord.objects.filter(case=OuterRef("pk")))
    )
    persons = Person.objects.filter(pk__in=person_ids).exclude(Exists(kept))
    MatchRequest.objects.filter(matched_person__in=persons).delete()  # what was typed in at intake
    return persons.update(family_name="", given_names="", v_number=None, birth_date=None)


def apply_retention(*, today: datetime.date | None = None, dry_run: bool = False, origin: Origin = COMMAND) -> Report:
    """Apply retention to every due case (in batches of one transaction each)."""
    today = today or timezone.localdate()
    report = Report(today=today, dry_run=dry_run)
    queryset = due_cases(today)
    if dry_run:
        for case in queryset.iterator(chunk_size=2000):
            report.counts[(case.location.name, _outcome(case)[0])] += 1
        return report
    while True:
        with transaction.atomic():
            cases = list(queryset.select_for_update(of=("self",), skip_locked=True)[:BATCH])
            if not cases:
                return report
            files = _strip(cases, today)
            report.persons += _pseudonymise_persons({case.person_id for case in cases})
            for case in cases:
                outcome, ended_on = _outcome(case)
                report.counts[(case.location.name, outcome)] += 1
                record(
                    actor=None,
                    action=AccessAction.RETENTION,
                    origin=origin,
                    obj=case,
                    detail={"outcome": outcome, "ended_on": ended_on.isoformat(), "applied_on": today.isoformat()},
                )
            storage = Document._meta.get_field("file").storage
            transaction.on_commit(lambda files=files, storage=storage: [storage.delete(name) for name in files if name])
