"""The monitor's charts as SVG, drawn on the server: the same markup on the dashboard
(inline ``<svg>``) and in the PDF report (as a ``data:`` image).

Why our own module and not a charting library: the charts are few and simple (bars,
lines, stacked columns, ranges); a library such as pygal adds inline ``<style>`` and
``<script>`` elements that the site's Content-Security-Policy forbids, and its markup is
harder to make accessible. Here every chart is plain SVG with presentation attributes
only (no ``style``, no script, no external reference), ``role="img"`` and a ``<title>``
and ``<desc>`` referenced by ``aria-labelledby``; the numbers themselves belong in a
table beside the chart (the dashboard and the PDF both show one).

Values may be ints or the suppression marks (``"<5"``, ``"x"``): a suppressed value is
never drawn to scale, only written as its mark.

Generic charts: ``bar_chart``, ``line_chart``, ``stacked_columns``, ``range_chart``.
The monitor's charts: ``occupancy_chart``, ``outcomes_chart``, ``present_chart``,
``flow_chart``, ``outflow_chart``, ``breakdown_chart``, ``durations_chart``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
from html import escape

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from monitor.labels import OUTCOME_LABELS

WIDTH = 640
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"
TEXT = "#1a1a1a"
MUTED = "#595959"
GRID = "#d6d6d6"
# Colours with at least 3:1 contrast against white (WCAG 1.4.11).
COLOURS = ("#154273", "#b35c00", "#1f6f3f", "#8b1e3f", "#5a3d8a", "#007b8a")
CLASS_COLOURS = {"durable": "#1f6f3f", "semi_durable": "#b35c00", "none": "#8b1e3f"}
MAX_BARS = 15


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value) -> str:
    if _number(value):
        return f"{value:,.0f}".replace(",", ".") if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
    return str(value)


def _id(title: str, payload: str) -> str:
    digest = hashlib.sha1(f"{title}|{payload}".encode(), usedforsecurity=False).hexdigest()[:10]
    return f"chart-{digest}"


def _svg(title: str, description: str, height: int, body: list[str], payload: str = "") -> str:
    chart_id = _id(title, payload or "".join(body))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="monitor-chart" role="img" '
        f'width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" font-family="{FONT}" font-size="12">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>' + "".join(body) + "</svg>"
    )


def _text(x, y, content, *, anchor="start", size=12, fill=TEXT, weight="normal") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" fill="{fill}" '
        f'font-weight="{weight}">{escape(str(content))}</text>'
    )


def _short(label: str, length: int = 26) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"


def _legend(names: list[str], colours: list[str], y: float) -> list[str]:
    body, x = [], 10.0
    for name, colour in zip(names, colours, strict=True):
        body.append(f'<rect x="{x:.1f}" y="{y - 10:.1f}" width="12" height="12" fill="{colour}"/>')
        body.append(_text(x + 17, y, name))
        x += 30 + 7 * len(name)
    return body


def _scale_max(values) -> float:
    numbers = [v for v in values if _number(v)]
    top = max(numbers, default=0)
    return float(top) if top > 0 else 1.0


def data_uri(svg: str) -> str:
    """The SVG as a ``data:`` URI (for ``<img src>`` in the PDF)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# --- generic charts ------------------------------------------------------------------------


def bar_chart(items: list[tuple[str, object]], *, title: str, description: str = "", marker=None) -> str:
    """Horizontal bars, one per ``(label, value)``; ``marker``: an optional second value per
    item drawn as a vertical tick (e.g. the capacity), as ``{label: value}``."""
    items = list(items)[:MAX_BARS]
    label_width, right, row = 190, 60, 24
    height = 20 + row * max(len(items), 1) + 10
    plot = WIDTH - label_width - right
    top = _scale_max([v for _l, v in items] + list((marker or {}).values()))
    body = [f'<line x1="{label_width}" y1="14" x2="{label_width}" y2="{height - 10}" stroke="{MUTED}"/>']
    for number, (label, value) in enumerate(items):
        y = 20 + number * row
        body.append(_text(label_width - 8, y + 14, _short(str(label)), anchor="end"))
        if _number(value):
            width = plot * float(value) / top
            body.append(
                f'<rect x="{label_width}" y="{y + 3}" width="{width:.1f}" height="{row - 8}" fill="{COLOURS[0]}"/>'
            )
            body.append(_text(label_width + width + 5, y + 14, _fmt(value)))
        else:
            body.append(_text(label_width + 5, y + 14, _fmt(value), fill=MUTED))
        if marker and _number(marker.get(label)):
            x = label_width + plot * float(marker[label]) / top
            body.append(
                f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + row - 2}" stroke="{TEXT}" stroke-width="2"/>'
            )
    if not items:
        body.append(_text(WIDTH / 2, 40, _("Geen gegevens"), anchor="middle", fill=MUTED))
    return _svg(title, description or title, height, body)


def _human_date(value) -> str:
    """``2020-11-01`` as "1 november 2020" (in the active language); other text as it is."""
    try:
        return date_format(datetime.date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def _month_label(label: str) -> str:
    """``2019-07`` as "jul 2019"; other labels as they are."""
    try:
        return date_format(datetime.date.fromisoformat(f"{label}-01"), "M Y")
    except ValueError:
        return label


def _axes(labels: list[str], top: float, *, left: int, bottom: int, height: int) -> list[str]:
    body = []
    plot_height = height - bottom - 30
    for step in range(5):
        value = top * step / 4
        y = height - bottom - plot_height * step / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}" stroke="{GRID}"/>')
        tick = round(value) if float(value).is_integer() else round(value, 1)
        body.append(_text(left - 6, y + 4, _fmt(tick), anchor="end", fill=MUTED, size=11))
    every = max(1, -(-len(labels) // 12))
    slot = (WIDTH - 10 - left) / max(len(labels), 1)
    for number, label in enumerate(labels):
        if number % every == 0:
            x = left + slot * (number + 0.5)
            body.append(_text(x, height - bottom + 16, _month_label(label), anchor="middle", fill=MUTED, size=10))
    return body


def line_chart(labels: list[str], series: list[tuple[str, list]], *, title: str, description: str = "") -> str:
    """Lines over ``labels`` (e.g. months); a suppressed value breaks the line."""
    height, left, bottom = 260, 56, 34
    top = _scale_max([v for _name, values in series for v in values])
    top = _nice(top)
    body = _legend([name for name, _v in series], list(COLOURS[: len(series)]), 16)
    body += _axes(labels, top, left=left, bottom=bottom, height=height)
    slot = (WIDTH - 10 - left) / max(len(labels), 1)
    plot_height = height - bottom - 30
    for (_name, values), colour in zip(series, COLOURS, strict=False):
        segment: list[str] = []
        segments = []
        for number, value in enumerate(values):
            if _number(value):
                x = left + slot * (number + 0.5)
                y = height - bottom - plot_height * float(value) / top
                segment.append(f"{x:.1f},{y:.1f}")
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>')
            elif segment:
                segments.append(segment)
                segment = []
        if segment:
            segments.append(segment)
        for points in segments:
            if len(points) > 1:
                body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{colour}" stroke-width="2"/>')
    return _svg(title, description or title, height, body)


def stacked_columns(
    labels: list[str], series: list[tuple[str, list]], *, title: str, description: str = "", colours=None
) -> str:
    """Columns over ``labels`` stacked from ``series``; suppressed parts are left out."""
    height, left, bottom = 260, 56, 34
    colours = list(colours or COLOURS[: len(series)])
    sums = [sum(v for _n, values in series if _number(v := values[i])) for i in range(len(labels))]
    top = _nice(_scale_max(sums))
    body = _legend([name for name, _v in series], colours, 16)
    body += _axes(labels, top, left=left, bottom=bottom, height=height)
    slot = (WIDTH - 10 - left) / max(len(labels), 1)
    plot_height = height - bottom - 30
    for number in range(len(labels)):
        base = height - bottom
        x = left + slot * number + slot * 0.15
        hidden = False
        for (_name, values), colour in zip(series, colours, strict=True):
            value = values[number]
            if not _number(value):
                hidden = hidden or value not in (0, None)
                continue
            h = plot_height * float(value) / top
            if h > 0:
                body.append(
                    f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" fill="{colour}"/>'
                )
            base -= h
        if hidden:
            body.append(_text(x + slot * 0.35, base - 3, "*", anchor="middle", fill=MUTED))
    return _svg(title, description or title, height, body)


def range_chart(rows: list[tuple[str, object, object, object, object]], *, title: str, description: str = "") -> str:
    """Per row ``(label, p25, median, p75, count)``: the middle half as a bar, the median as
    a tick, and the numbers as text."""
    label_width, row = 210, 34
    height = 24 + row * max(len(rows), 1)
    plot = WIDTH - label_width - 150
    top = _nice(_scale_max([v for r in rows for v in (r[3],)]))
    body = []
    for number, (label, p25, median, p75, count) in enumerate(rows):
        y = 16 + number * row
        body.append(_text(label_width - 8, y + 14, _short(str(label), 30), anchor="end"))
        if all(_number(v) for v in (p25, median, p75)):
            x1 = label_width + plot * float(p25) / top
            x2 = label_width + plot * float(p75) / top
            xm = label_width + plot * float(median) / top
            body.append(
                f'<rect x="{x1:.1f}" y="{y + 4}" width="{max(x2 - x1, 1):.1f}" height="14" fill="{COLOURS[0]}" '
                f'fill-opacity="0.35" stroke="{COLOURS[0]}"/>'
            )
            body.append(f'<line x1="{xm:.1f}" y1="{y}" x2="{xm:.1f}" y2="{y + 22}" stroke="{TEXT}" stroke-width="3"/>')
            note = _("mediaan %(median)s d (n = %(count)s)") % {"median": _fmt(median), "count": _fmt(count)}
        else:
            note = _("n = %(count)s") % {"count": _fmt(count)}
        body.append(_text(WIDTH - 145, y + 15, note, fill=MUTED, size=11))
    return _svg(title, description or title, height, body)


def _nice(top: float) -> float:
    """A round upper bound for an axis."""
    if top <= 4:
        return 4.0
    magnitude = 10 ** (len(str(int(top))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if top <= step * magnitude:
            return float(step * magnitude)
    return float(top)


# --- the monitor's charts ------------------------------------------------------------------


def _part(data: dict, slug: str | None):
    return data["total"] if slug is None else data["locations"][slug]


def occupancy_chart(figures: dict, names: dict[str, str] | None = None) -> str:
    """Persons in shelter per LVV on the date, with the capacity as a tick."""
    names = names or {}
    items = [(names.get(slug, slug), part["present"]) for slug, part in figures["locations"].items()]
    marker = {names.get(slug, slug): part["capacity"] for slug, part in figures["locations"].items()}
    return bar_chart(
        items,
        title=_("In de opvang op %(date)s, per LVV") % {"date": _human_date(figures["reference_date"])},
        description=_("Staafdiagram: personen in de opvang per LVV; de streep is de capaciteit."),
        marker=marker,
    )


def outcomes_chart(figures: dict, names: dict[str, str] | None = None) -> str:
    """Everyone who left, by outcome class (durable, semi-durable, none), per LVV."""
    names = names or {}
    slugs = list(figures["locations"])
    series = [
        (str(OUTCOME_LABELS[key]), [figures["locations"][slug]["outcome_classes"][key] for slug in slugs])
        for key in ("durable", "semi_durable", "none")
    ]
    return stacked_columns(
        [_short(names.get(slug, slug), 14) for slug in slugs],
        series,
        title=_("Uitstroom tot en met %(date)s naar uitkomst, per LVV")
        % {"date": _human_date(figures["reference_date"])},
        description=_("Gestapelde kolommen: bestendig, semi-bestendig en geen oplossing per LVV."),
        colours=[CLASS_COLOURS[key] for key in ("durable", "semi_durable", "none")],
    )


def present_chart(trends: dict, slug: str | None = None) -> str:
    months = _part(trends, slug)
    return line_chart(
        trends["months"],
        [(_("In de opvang (einde maand)"), [m["present"] for m in months])],
        title=_("In de opvang per maand"),
        description=_("Lijndiagram: personen in de opvang aan het einde van elke maand."),
    )


def flow_chart(trends: dict, slug: str | None = None) -> str:
    months = _part(trends, slug)
    return line_chart(
        trends["months"],
        [
            (_("Instroom (opvang gestart)"), [m["inflow"] for m in months]),
            (_("Scenario's vastgesteld"), [m["scenarios_set"] for m in months]),
        ],
        title=_("Instroom en scenario's per maand"),
        description=_("Lijndiagram: gestarte opvang en vastgestelde scenario's per maand."),
    )


def outflow_chart(trends: dict, slug: str | None = None) -> str:
    months = _part(trends, slug)
    keys = ("durable", "semi_durable", "none")
    return stacked_columns(
        trends["months"],
        [(str(OUTCOME_LABELS[key]), [m["outflow"][key] for m in months]) for key in keys],
        title=_("Uitstroom per maand naar uitkomst"),
        description=_("Gestapelde kolommen: uitstroom per maand, bestendig, semi-bestendig en geen oplossing."),
        colours=[CLASS_COLOURS[key] for key in keys],
    )


def breakdown_chart(breakdowns: dict, dimension: str, slug: str | None = None) -> str:
    from monitor.labels import DIMENSION_LABELS, value_label

    counts = _part(breakdowns, slug)[dimension]
    values = breakdowns["values"][dimension]
    items = [(value_label(dimension, value), counts[value]) for value in values]
    more = max(len(items) - MAX_BARS, 0)
    description = _("Staafdiagram: personen per waarde.")
    if more:
        description += " " + _("De %(count)s kleinste waarden staan alleen in de tabel.") % {"count": more}
    return bar_chart(items, title=str(DIMENSION_LABELS[dimension]), description=description)


def durations_chart(durations: dict, slug: str | None = None) -> str:
    from monitor.labels import MEASURE_LABELS

    part = _part(durations, slug)
    rows = [
        (str(MEASURE_LABELS[m]), part[m]["p25"], part[m]["median"], part[m]["p75"], part[m]["count"])
        for m in durations["measures"]
    ]
    return range_chart(
        rows,
        title=_("Doorlooptijden in dagen"),
        description=_("Per stap de middelste helft van de doorlooptijden (balk) en de mediaan (streep)."),
    )
