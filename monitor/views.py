"""The monitor's pages: the dashboard at a reference date, snapshots, exports and the
data-quality panel. Thin: figures from ``monitor.figures`` / ``monitor.analysis``, changes
through ``monitor.services`` and ``monitor.tasks``.

Who gets in: whoever reads figures (``monitor.scope.locations_for``: the programme bureau
every LVV, municipality users their own); everyone else gets 404 (logged), anonymous
users the login page. The pages show figures, never a person, except the data-quality
panel's list of cases for users who may open them.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lvv import pages
from lvv.access import policy
from lvv.accounts.models import Role
from lvv.audit.log import AccessAction, Origin, Result, record
from lvv.params import MAX_ID
from monitor import cache, presenters, quality, services, tasks
from monitor.downloads import download_export
from monitor.forms import CompareForm, DashboardForm, ExportForm, SnapshotForm, snapshot_label
from monitor.models import ExportStatus, Snapshot
from monitor.scope import locations_for

__all__ = ["dashboard", "download_export", "export_retry", "export_status", "exports", "quality_panel", "snapshots"]

SNAPSHOTS_PER_PAGE = 20
EXPORTS_PER_PAGE = 20
QUALITY_PER_PAGE = 25
RECENT_EXPORTS = 5
POLL_SECONDS = 2

SNAPSHOT_REQUESTED = _("De momentopname wordt gemaakt.")
SNAPSHOT_TAKEN = _("De momentopname van %(date)s is gemaakt.")
SNAPSHOT_PUBLISHED = _("De momentopname van %(date)s is gepubliceerd.")
EXPORT_INVALID = _("De export kon niet worden aangevraagd. Kies opnieuw een peildatum op het dashboard.")


def _names(locations) -> dict[str, str]:
    return {location.slug: location.name for location in locations}


# --- access ------------------------------------------------------------------------------------


def _locations_or_404(request, object_type: str = "monitor.figures") -> list:
    """The user's LVVs; 404 (logged) for a user who reads no figures."""
    locations = locations_for(request.user)
    if not locations:
        raise pages.not_found(request, object_type=object_type)
    return locations


def _is_bureau(user) -> bool:
    return user.has_role(Role.BUREAU)


# --- dashboard ---------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request):
    user = request.user
    locations = _locations_or_404(request)
    form = DashboardForm(request.GET or None, locations=locations)
    context = {"form": form, "locations": locations}
    if form.is_bound and not form.is_valid():
        return render(request, "monitor/dashboard.html", context)
    if form.is_bound:
        d, start, end = form.cleaned_data["date"], form.cleaned_data["trends_start"], form.cleaned_data["trends_end"]
        scope = form.selected_locations()
    else:
        form = DashboardForm({}, locations=locations)
        form.is_valid()
        d, start, end = form.cleaned_data["date"], form.cleaned_data["trends_start"], form.cleaned_data["trends_end"]
        scope = locations
        # The trends' fields stay empty: they follow the date the user picks next.
        context["form"] = DashboardForm(initial={"date": d}, locations=locations)
    names = _names(scope)
    context.update(_dashboard_data(user, d, start, end, scope, names))
    context["export_form"] = ExportForm(
        initial={
            "date": d,
            "trends_start": start if start <= d else None,
            "lvv": scope[0].slug if len(scope) == 1 and len(locations) > 1 else "",
        },
        locations=locations,
    )
    context["recent_exports"] = _with_dates(services.exports_for(user)[:RECENT_EXPORTS])
    record(
        actor=user,
        action=AccessAction.VIEW,
        origin=Origin.from_request(request),
        object_type="monitor.figures",
        object_id=d.isoformat(),
        detail={"locations": [location.slug for location in scope], "page": "dashboard"},
    )
    return render(request, "monitor/dashboard.html", context)


def _dashboard_data(user, d, start, end, scope, names) -> dict:
    found = cache.analyses(
        d, scope, trends=(start, end), breakdowns=True, durations=True, quality_on=timezone.localdate()
    )
    data = found.figures
    shown = presenters.present(found, names, quality_counts=found.quality)
    # The charts' markup is built by monitor.charts, which escapes every text in it.
    return {
        "reference_date": d,
        "trends_start": start,
        "trends_end": end,
        "scope": presenters.by_name_locations(scope),
        "figures": data,
        "contract_table": shown.contract_table,
        "outside_table": shown.outside_table,
        "occupancy_chart": mark_safe(shown.occupancy.svg),  # noqa: S308
        "occupancy_table": shown.occupancy.table,
        "outcomes_chart": mark_safe(shown.outcomes.svg),  # noqa: S308
        "outcomes_table": shown.outcomes.table,
        "trends": [(mark_safe(chart.svg), chart.table) for chart in shown.trends],  # noqa: S308
        "breakdowns": [(chart.key, mark_safe(chart.svg), chart.table) for chart in shown.breakdowns],  # noqa: S308
        "durations_chart": mark_safe(shown.durations.svg),  # noqa: S308
        "durations_table": shown.durations.table,
        "quality_table": shown.quality_table,
        "quality_total": shown.quality_total,
    }


# --- data quality ------------------------------------------------------------------------------


@login_required
@require_GET
def quality_panel(request):
    user = request.user
    locations = _locations_or_404(request, "monitor.quality")
    today = timezone.localdate()
    names = _names(locations)
    counts = cache.quality_counts(locations, today)
    slugs = list(counts["locations"])
    table = presenters.quality_table(
        counts, names, caption=_("Aantal casussen per bevinding op %(date)s") % {"date": date_format(today)}
    )
    may_open = policy.sees_persons(user)
    page = None
    if may_open:
        page = Paginator(quality.cases(user, locations, today), QUALITY_PER_PAGE).get_page(request.GET.get("page"))
        for case in page.object_list:
            case.findings = quality.findings_of(case)
    record(
        actor=user,
        action=AccessAction.LIST if may_open else AccessAction.VIEW,
        origin=Origin.from_request(request),
        object_type="monitor.quality",
        detail={"locations": slugs, **({"count": page.paginator.count} if page else {})},
    )
    return render(
        request,
        "monitor/quality.html",
        {"table": table, "page": page, "may_open": may_open, "today": today, "checks": quality.CHECK_LABELS},
    )


# --- snapshots ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def snapshots(request):
    user = request.user
    locations = _locations_or_404(request, "monitor.snapshot")
    may_publish = _is_bureau(user)
    form = SnapshotForm(request.POST or None, locations=locations, may_publish=may_publish)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data["reference_date"]
        scope = form.selected_locations()
        try:
            result = tasks.take_snapshot.delay(
                d.isoformat(),
                [location.slug for location in scope] if len(scope) < len(locations) else None,
                user.pk,
                bool(form.cleaned_data.get("publish")),
                form.cleaned_data.get("note", ""),
            )
        except ValidationError as error:
            _form_errors(form, error)
        else:
            if result.ready():
                messages.success(request, SNAPSHOT_TAKEN % {"date": date_format(d)})
            else:
                messages.info(request, SNAPSHOT_REQUESTED)
            return redirect("monitor:snapshots")
    all_snapshots = services.snapshots_for(user)
    page = Paginator(all_snapshots, SNAPSHOTS_PER_PAGE).get_page(request.GET.get("page"))
    compare_choices = list(all_snapshots[:100])
    record(
        actor=user,
        action=AccessAction.LIST,
        origin=Origin.from_request(request),
        object_type="monitor.snapshot",
        detail={"count": page.paginator.count},
    )
    return render(
        request,
        "monitor/snapshots.html",
        {
            "form": form,
            "page": page,
            "may_publish": may_publish,
            "compare_form": CompareForm(snapshots=compare_choices),
            "names": _names(locations),
        },
    )


def _form_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


def _snapshot_or_404(request, pk) -> Snapshot:
    snapshot = services.snapshots_for(request.user).filter(pk=pk).first()
    if snapshot is None:
        raise pages.not_found(request, object_type="monitor.snapshot", object_id=pk)
    return snapshot


@login_required
@require_GET
def snapshot_detail(request, pk):
    locations = _locations_or_404(request, "monitor.snapshot")
    snapshot = _snapshot_or_404(request, pk)
    names = _names(locations)
    shown = date_format(snapshot.reference_date)
    record(actor=request.user, action=AccessAction.VIEW, origin=Origin.from_request(request), obj=snapshot)
    return render(
        request,
        "monitor/snapshot_detail.html",
        {
            "snapshot": snapshot,
            "label": snapshot_label(snapshot),
            "may_publish": _is_bureau(request.user),
            "table": presenters.figures_table(
                snapshot.data,
                names,
                id="table-snapshot",
                caption=_("Momentopname van %(date)s (binnen het convenant)") % {"date": shown},
            ),
            "outside_table": presenters.figures_table(
                snapshot.data,
                names,
                id="table-snapshot-outside",
                caption=_("Buiten het convenant op %(date)s") % {"date": shown},
                keys=presenters.OUTSIDE_KEYS,
            ),
        },
    )


@login_required
@require_POST
def snapshot_publish(request, pk):
    _locations_or_404(request, "monitor.snapshot")
    snapshot = _snapshot_or_404(request, pk)
    try:
        services.publish_snapshot(acting_user=request.user, origin=Origin.from_request(request), snapshot=snapshot)
    except PermissionDenied:
        record(
            actor=request.user,
            action=AccessAction.UPDATE,
            result=Result.DENIED,
            origin=Origin.from_request(request),
            obj=snapshot,
        )
        raise
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, SNAPSHOT_PUBLISHED % {"date": date_format(snapshot.reference_date)})
    return redirect("monitor:snapshot", pk=snapshot.pk)


def _is_id(value: str | None) -> bool:
    """Whether a query parameter is an id (ASCII digits that fit a bigint)."""
    return bool(value) and value.isascii() and value.isdigit() and int(value) <= MAX_ID


@login_required
@require_GET
def snapshot_compare(request):
    locations = _locations_or_404(request, "monitor.snapshot")
    available = services.snapshots_for(request.user)
    wanted = [value for value in (request.GET.get("old"), request.GET.get("new")) if _is_id(value)]
    chosen = list(available.filter(pk__in=wanted)) if wanted else []
    choices = list(available[:100])
    choices += [s for s in chosen if s not in choices]
    form = CompareForm(request.GET or None, snapshots=choices)
    context = {"form": form, "parts": None}
    if form.is_bound and form.is_valid():
        old, new = form.snapshots[form.cleaned_data["old"]], form.snapshots[form.cleaned_data["new"]]
        diff = services.compare(old, new)
        parts = presenters.comparison_tables(
            diff,
            _names(locations),
            old_heading=date_format(old.reference_date),
            new_heading=date_format(new.reference_date),
        )
        context.update(
            {
                "parts": parts,
                "old": old,
                "new": new,
                "old_label": snapshot_label(old),
                "new_label": snapshot_label(new),
                "changed": sum(row.changed for table in parts for row in table.rows),
            }
        )
        record(
            actor=request.user,
            action=AccessAction.VIEW,
            origin=Origin.from_request(request),
            object_type="monitor.snapshot",
            detail={"compare": [old.pk, new.pk]},
        )
    return render(request, "monitor/snapshot_compare.html", context)


def _job_date(job) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(job.parameters.get("reference_date", ""))
    except (TypeError, ValueError):
        return None


def _with_dates(jobs) -> list:
    jobs = list(jobs)
    for job in jobs:
        job.reference_on = _job_date(job)
    return jobs


# --- exports -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def exports(request):
    """GET: the user's exports; POST: request one (then on to its progress)."""
    user = request.user
    locations = _locations_or_404(request, "monitor.exportjob")
    form = None
    if request.method == "POST":
        form = ExportForm(request.POST, locations=locations)
        if form.is_valid():
            try:
                job = services.request_export(
                    acting_user=user,
                    origin=Origin.from_request(request),
                    fmt=form.cleaned_data["format"],
                    reference_date=form.cleaned_data["date"],
                    locations=form.selected_locations(),
                    suppress_small=form.cleaned_data["suppress_small"],
                    trends_start=form.cleaned_data.get("trends_start"),
                )
            except ValidationError as error:
                _form_errors(form, error)
            else:
                return redirect("monitor:export", pk=job.pk)
    page = Paginator(services.exports_for(user), EXPORTS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _with_dates(page.object_list)
    status = 400 if form is not None else 200
    return render(
        request, "monitor/exports.html", {"page": page, "form": form, "invalid": EXPORT_INVALID}, status=status
    )


@login_required
@require_GET
def export_status(request, pk):
    """The progress of one export; htmx asks for the status block alone every two seconds."""
    _locations_or_404(request, "monitor.exportjob")
    job = services.check_export(_export_or_404(request, pk, AccessAction.VIEW))
    context = {
        "job": job,
        "reference_date": _job_date(job),
        "finished": job.status in (ExportStatus.DONE, ExportStatus.FAILED),
        "poll_seconds": POLL_SECONDS,
        "status_url": reverse("monitor:export", kwargs={"pk": job.pk}),
    }
    template = "monitor/includes/export_status.html" if request.htmx else "monitor/export_status.html"
    response = render(request, template, context)
    response["Cache-Control"] = "private, no-store"
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def export_retry(request, pk):
    """Try a failed export again: a new job with the same choices, then on to its progress."""
    _locations_or_404(request, "monitor.exportjob")
    job = _export_or_404(request, pk, AccessAction.CREATE)
    try:
        retry = services.retry_export(acting_user=request.user, origin=Origin.from_request(request), job=job)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, " ".join(getattr(error, "messages", None) or [str(services.SCOPE_LOST)]))
        return redirect("monitor:export", pk=job.pk)
    return redirect("monitor:export", pk=retry.pk)


def _export_or_404(request, pk, action: str):
    """The user's own export job; 404 (logged) for any other."""
    job = services.exports_for(request.user).filter(pk=pk).first()
    if job is None:
        raise pages.not_found(request, action=action, object_type="monitor.exportjob", object_id=pk)
    return job
