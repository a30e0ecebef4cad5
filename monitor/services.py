"""Changes in the monitor: snapshots and export jobs. Keyword-only, with the acting user
and the origin, like ``cases.services``; the Celery tasks in ``monitor.tasks`` call these.

Who may do what:
- take a snapshot, request an export: whoever may read the figures of the LVVs involved
  (``monitor.scope.locations_for``: the programme bureau all, municipality users their
  own); the system principal (commands, periodic tasks) everything;
- publish or discard a snapshot: the programme bureau (and the system);
- retry an export: its requester, while still reading the figures of its LVVs.

Export jobs are claimed, kept alive and swept by ``lvv.jobs`` (docs/adr/0010): a rerun
after a crashed worker replaces the partial file, a second run of a finished job does
nothing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from lvv import jobs
from lvv.access import policy
from lvv.access.policy import Actor, AnyUser
from lvv.accounts.models import Role, User
from lvv.audit.log import TASK, AccessAction, Origin, Result, record
from lvv.params import within_date_range
from lvv.partners.models import Location
from lvv.text import check_text, column_length
from monitor import exports
from monitor.figures import FIGURE_KEYS, figures, flatten
from monitor.models import ExportFormat, ExportJob, ExportStatus, Snapshot, SnapshotKind
from monitor.scope import NO_FIGURES, locations_for, select_locations

logger = logging.getLogger(__name__)

DATE_IN_FUTURE = _("De peildatum ligt in de toekomst.")
DATE_INVALID = _("Geef een geldige datum (JJJJ-MM-DD).")
START_AFTER_DATE = _("De trends beginnen na de peildatum.")
FORMAT_UNKNOWN = _("Kies een formaat: JSON, CSV, XLSX of PDF.")
NOT_PUBLISHER = _("Alleen het programmabureau publiceert momentopnamen.")
NOTE_MAX = column_length(Snapshot, "note")
ALREADY_PUBLISHED = _("Deze momentopname is al gepubliceerd.")
EXPORT_FAILED = _("Het bestand kon niet worden gemaakt. Probeer het opnieuw of neem contact op met de beheerder.")
SCOPE_LOST = _("U hebt geen toegang meer tot de cijfers van deze LVV's.")


def parse_date(value: object, *, field: str = "date", allow_future: bool = False) -> datetime.date:
    """A reference date from ``YYYY-MM-DD`` (or a date); field errors for the rest."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if not isinstance(value, datetime.date):
        try:
            value = datetime.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ValidationError({field: DATE_INVALID}) from None
    if not allow_future and value > timezone.localdate():
        raise ValidationError({field: DATE_IN_FUTURE})
    try:
        within_date_range(value)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    return value


def _scope(acting_user: AnyUser, locations: Iterable[Location | str] | None) -> list[Location]:
    """The LVVs to use: the user's (all of them when ``locations`` is None), given as
    ``Location`` objects or slugs; refuses users who read no figures."""
    if not locations_for(acting_user):
        raise PermissionDenied(NO_FIGURES)
    slugs = None if locations is None else [item.slug if isinstance(item, Location) else item for item in locations]
    return select_locations(acting_user, slugs)


def _actor(acting_user: Actor) -> User | None:
    return None if policy.is_system(acting_user) else acting_user


def _is_publisher(acting_user: Actor) -> bool:
    return policy.is_system(acting_user) or (acting_user.is_active and acting_user.has_role(Role.BUREAU))


# --- snapshots ---------------------------------------------------------------------------------


def snapshots_for(user: Actor) -> QuerySet[Snapshot]:
    """The snapshots ``user`` may see: those whose LVVs are all among the user's."""
    if policy.is_system(user) or (user.is_authenticated and user.is_active and user.has_role(Role.BUREAU)):
        return Snapshot.objects.all()
    slugs = [location.slug for location in locations_for(user)]
    if not slugs:
        return Snapshot.objects.none()
    return Snapshot.objects.filter(scope__contained_by=slugs)


@transaction.atomic
def take_snapshot(
    *,
    acting_user: Actor,
    origin: Origin,
    reference_date: datetime.date | str,
    locations: Iterable[Location | str] | None = None,
    kind: str = SnapshotKind.MANUAL,
    publish: bool = False,
    note: str = "",
    task_id: str = "",
) -> Snapshot:
    """Freeze the figures at ``reference_date`` for ``locations`` (the user's LVVs when None).
    ``task_id``: the task taking it; a second run of that task returns its snapshot."""
    if task_id:
        taken = Snapshot.objects.filter(task_id=task_id).first()
        if taken is not None:
            return taken
    d = parse_date(reference_date, field="reference_date")
    note = (note or "").strip()
    check_text(note=(note, NOTE_MAX))
    scope = _scope(acting_user, locations)
    if publish and not _is_publisher(acting_user):
        raise PermissionDenied(NOT_PUBLISHER)
    all_locations = locations is None and (policy.is_system(acting_user) or acting_user.has_role(Role.BUREAU))
    now = timezone.now()
    snapshot = Snapshot.objects.create(
        reference_date=d,
        scope=[location.slug for location in scope],
        all_locations=all_locations,
        kind=kind,
        data=figures(d, scope),
        note=note,
        created_by=_actor(acting_user),
        published_at=now if publish else None,
        published_by=_actor(acting_user) if publish else None,
        task_id=task_id,
    )
    record(actor=acting_user, action=AccessAction.CREATE, obj=snapshot, origin=origin, detail={"published": publish})
    return snapshot


@transaction.atomic
def publish_snapshot(*, acting_user: Actor, origin: Origin, snapshot: Snapshot) -> Snapshot:
    """Publish a draft: from now on it never changes."""
    if not _is_publisher(acting_user):
        raise PermissionDenied(NOT_PUBLISHER)
    snapshot = Snapshot.objects.select_for_update().get(pk=snapshot.pk)
    if snapshot.is_published:
        raise ValidationError({"__all__": ALREADY_PUBLISHED})
    snapshot.published_at = timezone.now()
    snapshot.published_by = _actor(acting_user)
    snapshot.save(update_fields=["published_at", "published_by"])
    record(actor=acting_user, action=AccessAction.UPDATE, obj=snapshot, origin=origin, detail={"step": "publish"})
    return snapshot


@transaction.atomic
def discard_snapshot(*, acting_user: Actor, origin: Origin, snapshot: Snapshot) -> None:
    """Delete a draft (a published snapshot stays)."""
    if not _is_publisher(acting_user):
        raise PermissionDenied(NOT_PUBLISHER)
    if snapshot.is_published:
        raise ValidationError({"__all__": ALREADY_PUBLISHED})
    record(actor=acting_user, action=AccessAction.UPDATE, obj=snapshot, origin=origin, detail={"step": "discard"})
    snapshot.delete()


def previous_month_end(today: datetime.date) -> datetime.date:
    return today.replace(day=1) - datetime.timedelta(days=1)


def take_monthly_snapshot(*, today: datetime.date | None = None) -> Snapshot | None:
    """The published snapshot of all LVVs at the end of the previous month; None when it
    exists already (safe to run twice)."""
    d = previous_month_end(today or timezone.localdate())
    slugs = [location.slug for location in locations_for(policy.SYSTEM)]
    if Snapshot.objects.filter(kind=SnapshotKind.MONTHLY, reference_date=d, scope=slugs).exists():
        return None
    try:
        return take_snapshot(
            acting_user=policy.SYSTEM, origin=TASK, reference_date=d, kind=SnapshotKind.MONTHLY, publish=True
        )
    except IntegrityError:  # another run made it at the same moment
        return None


_FIGURE_POSITION = {key: number for number, key in enumerate(FIGURE_KEYS)}


def _figure_order(key: str) -> tuple[int, str]:
    return _FIGURE_POSITION.get(key, len(_FIGURE_POSITION)), key


def compare(old: Snapshot | dict, new: Snapshot | dict, *, changed_only: bool = False) -> dict:
    """The differences between two snapshots (or two ``figures()`` results).

    Returns ``{"old_date", "new_date", "locations": {slug: {key: {"old", "new", "delta"}}},
    "total": {key: {...}}}`` with flattened keys (``durable_solutions.verified``), the LVVs
    by code and the keys in the order of ``FIGURE_KEYS`` (unknown keys after them). A
    location in only one of them has None on the other side and a None delta;
    ``changed_only`` leaves out the keys whose delta is zero.
    """
    old_data = old.data if isinstance(old, Snapshot) else old
    new_data = new.data if isinstance(new, Snapshot) else new

    def diff(a: dict | None, b: dict | None) -> dict:
        flat_a, flat_b = flatten(a or {}), flatten(b or {})
        out = {}
        # The monitor's order (a stored snapshot's JSON keeps no order); unknown keys last.
        for key in sorted({*flat_a, *flat_b}, key=_figure_order):
            before, after = flat_a.get(key), flat_b.get(key)
            delta = after - before if isinstance(before, int) and isinstance(after, int) else None
            if changed_only and delta == 0:
                continue
            out[key] = {"old": before, "new": after, "delta": delta}
        return out

    slugs = sorted({*old_data["locations"], *new_data["locations"]})
    return {
        "old_date": old_data["reference_date"],
        "new_date": new_data["reference_date"],
        "locations": {slug: diff(old_data["locations"].get(slug), new_data["locations"].get(slug)) for slug in slugs},
        "total": diff(old_data["total"], new_data["total"]),
    }


# --- export jobs -------------------------------------------------------------------------------


def request_export(
    *,
    acting_user: User,
    origin: Origin,
    fmt: str,
    reference_date: datetime.date | str,
    locations: Iterable[Location | str] | None = None,
    suppress_small: bool = False,
    trends_start: datetime.date | str | None = None,
    retry_of: ExportJob | None = None,
) -> ExportJob:
    """Queue an export for ``acting_user``; the file is built by a Celery task with
    progress on the job row, and served only to the requester. ``retry_of``: the failed
    job this one tries again (for the access log)."""
    if fmt not in ExportFormat.values:
        raise ValidationError({"format": FORMAT_UNKNOWN})
    d = parse_date(reference_date, field="reference_date")
    start = parse_date(trends_start, field="trends_start") if trends_start else None
    if start and start > d:
        raise ValidationError({"trends_start": START_AFTER_DATE})
    scope = _scope(acting_user, locations)
    job = ExportJob.objects.create(
        requested_by=acting_user,
        format=fmt,
        parameters={
            "reference_date": d.isoformat(),
            "locations": [location.slug for location in scope],
            "suppress_small": bool(suppress_small),
            "trends_start": start.isoformat() if start else None,
            "language": translation.get_language() or "nl",
        },
    )
    detail: dict[str, object] = {"format": fmt} if retry_of is None else {"format": fmt, "retry_of": retry_of.pk}
    record(actor=acting_user, action=AccessAction.CREATE, obj=job, origin=origin, detail=detail)
    from monitor.tasks import build_export

    transaction.on_commit(lambda: build_export.delay(job.pk))
    return job


def run_export(job_id: int, *, task_id: str = "", heartbeat: bool = False) -> ExportJob | None:
    """Build the file of an export job (the task's body). Progress and a heartbeat are
    written to the row as the parts are done (``heartbeat``: also from a thread, in a
    worker). Safe to run twice: a finished job, or one another live run holds, is left
    alone (None); a rerun after a crash replaces the partial file."""
    return jobs.run_claimed(
        ExportJob, job_id, _build_export, name="monitor export", task_id=task_id, heartbeat_thread=heartbeat
    )


def _build_export(run: jobs.Run[ExportJob], job: ExportJob) -> ExportJob:
    params = job.parameters
    run.beat(5)
    try:
        with translation.override(params.get("language") or "nl"):
            try:
                scope = _scope(job.requested_by, params.get("locations"))
            except (PermissionDenied, ValidationError):
                return _fail(run, job, SCOPE_LOST, denied=True)
            start = params.get("trends_start")
            report = exports.build_report(
                datetime.date.fromisoformat(params["reference_date"]),
                scope,
                full=job.format in exports.FULL_FORMATS,
                suppress_small=params.get("suppress_small", False),
                trends_start=datetime.date.fromisoformat(start) if start else None,
                progress=run.beat,
            )
            content = exports.render(report, job.format)
        run.beat(90)
        # The file and the row's "done" in one locked step: written once, by this run only.
        with run.finishing() as done:
            jobs.replace_file(done.file, exports.filename(report, done.format), content, clear_folder=True)
            done.status, done.progress, done.error = ExportStatus.DONE, 100, ""
            done.finished_at = done.heartbeat_at = timezone.now()
            done.save(update_fields=["status", "progress", "finished_at", "error", "heartbeat_at", "file"])
            record(
                actor=done.requested_by,
                action=AccessAction.EXPORT,
                origin=TASK,
                obj=done,
                detail={"format": done.format, **{k: v for k, v in params.items() if k != "language"}},
            )
    except jobs.Superseded:
        raise
    except Exception:
        logger.exception("monitor export %s failed", job.pk)
        return _fail(run, job, EXPORT_FAILED)
    return done


def _fail(run: jobs.Run[ExportJob], job: ExportJob, message: str | Promise, *, denied: bool = False) -> ExportJob:
    """Fail the job with ``message``, kept as its Dutch source text (translated when shown)."""
    with translation.override(None):
        text = str(message)
    if run.fail(text) and denied:
        record(actor=job.requested_by, action=AccessAction.EXPORT, result=Result.DENIED, origin=TASK, obj=job)
    job.refresh_from_db()
    return job


def _send_export(job_id: int) -> None:
    from monitor.tasks import build_export

    build_export.delay(job_id)


def sweep_stale_exports() -> dict[str, list[int]]:
    """Export jobs whose worker stopped: queued again once, then failed (``lvv.jobs.sweep``)."""
    return jobs.sweep(ExportJob, send=_send_export)


def check_export(job: ExportJob) -> ExportJob:
    """The same check for one job a page shows; returns it as it is now."""
    return jobs.check(ExportJob, job, send=_send_export)


def retry_export(*, acting_user: User, origin: Origin, job: ExportJob) -> ExportJob:
    """A new export with the parameters of the failed ``job``, for its requester, who must
    still read the figures of its LVVs (as when asking for it)."""
    if not acting_user.is_authenticated or job.requested_by_id != acting_user.pk:
        raise PermissionDenied
    if job.status != ExportStatus.FAILED:
        raise ValidationError({"__all__": _(jobs.NOT_FAILED)})
    params = job.parameters
    return request_export(
        acting_user=acting_user,
        origin=origin,
        fmt=job.format,
        reference_date=params["reference_date"],
        locations=params.get("locations"),
        suppress_small=params.get("suppress_small", False),
        trends_start=params.get("trends_start"),
        retry_of=job,
    )


def exports_for(user: User) -> QuerySet[ExportJob]:
    """The export jobs of ``user`` (each user sees only their own)."""
    if not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(requested_by=user)
