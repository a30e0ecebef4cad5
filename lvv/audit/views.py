"""Privacy pages: the register of processing activities (what the LVV case system processes,
why, on which legal basis and under whose responsibility, per LVV; open to every signed-in
user, it holds no personal data) and the privacy officer's view of the access log."""

from __future__ import annotations

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lvv.audit import officer
from lvv.audit.activities import ACTIVITIES, CONTROLLER, LEGAL_BASIS, MANDATED, SPECIAL_BASIS
from lvv.audit.log import AccessAction, Origin, record
from lvv.lists.listing import query_without
from lvv.partners.models import Location


@login_required
def processing_activities(request):
    locations = list(Location.objects.select_related("municipality").order_by("name"))
    per_lvv = [activity for activity in ACTIVITIES if activity.per_lvv]
    national = [activity for activity in ACTIVITIES if not activity.per_lvv]
    context = {
        "lvvs": [
            {"location": location, "executed_by": MANDATED % {"municipality": location.municipality.name}}
            for location in locations
        ],
        "per_lvv": per_lvv,
        "national": national,
        "controller": CONTROLLER,
        "legal_basis": LEGAL_BASIS,
        "special_basis": SPECIAL_BASIS,
    }
    return render(request, "audit/processing_activities.html", context)


# --- The privacy officer's view of the access log -------------------------------------------

LOG_PER_PAGE = 50
CSV_HEADERS = (
    _("tijdstip"),
    _("gebruiker"),
    _("organisatie"),
    _("actie"),
    _("resultaat"),
    _("kanaal"),
    _("soort object"),
    _("object"),
    _("casus"),
    _("verwerkingsactiviteit"),
)


def _page_number(request) -> int:
    value = request.GET.get("page", "")
    return max(1, int(value)) if value.isascii() and value.isdigit() and len(value) <= 6 else 1


def _filters(request) -> dict:
    return {key: value for key, value in request.GET.items() if key not in ("page", "format") and value}


def _record_look(request, action: str) -> None:
    """The officer's look at the log (a page or the CSV, with its filters) is in the log too."""
    record(
        actor=request.user,
        action=action,
        origin=Origin.from_request(request),
        object_type="audit.accesslog",
        detail={"filters": _filters(request)},
    )


@login_required
def access_log(request):
    """The access log of the officer's LVVs, filtered; one page at a time (no count: the log
    is long), or the whole selection as CSV for a spreadsheet."""
    user = request.user
    if not officer.is_privacy_officer(user):
        raise Http404
    log_filter = officer.OfficerLogFilter(request.GET or None, queryset=officer.officer_log(user), request=request)
    rows = log_filter.qs.select_related("actor_organisation").order_by("-timestamp", "-id")
    valid = not log_filter.is_bound or log_filter.is_valid()
    if request.GET.get("format") == "csv" and valid:
        _record_look(request, AccessAction.EXPORT)
        return _csv(rows)
    page = _page_number(request)
    offset = (page - 1) * LOG_PER_PAGE
    found = list(rows[offset : offset + LOG_PER_PAGE + 1]) if valid else []
    _record_look(request, AccessAction.LIST)
    return render(
        request,
        "audit/access_log.html",
        {
            "filter": log_filter,
            "rows": found[:LOG_PER_PAGE],
            "page": page,
            "more": len(found) > LOG_PER_PAGE,
            "query": query_without(request.GET, "page", "format"),
            "filtered": bool(_filters(request)),
        },
    )


class _Echo:
    def write(self, value):
        return value


def _csv(rows):
    """UTF-8 with a byte-order mark and ``;`` between fields: what Dutch spreadsheets open."""
    writer = csv.writer(_Echo(), delimiter=";")
    zone = timezone.get_current_timezone()

    def lines():
        yield "\ufeff" + writer.writerow([str(header) for header in CSV_HEADERS])
        for row in rows.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    timezone.localtime(row.timestamp, zone).strftime("%Y-%m-%d %H:%M:%S"),
                    row.actor_username,
                    row.actor_organisation.name if row.actor_organisation else "",
                    row.get_action_display(),
                    row.get_result_display(),
                    row.get_channel_display(),
                    row.object_type,
                    row.object_id,
                    row.about_case or "",
                    row.processing_activity,
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="toegangslog.csv"'
    return response
