"""Small numbers in exports that leave the programme: shown as "<5", never recoverable.

The rule
--------
1. **Primary suppression.** Every count below 5, zero included, is shown as ``<5``. A
   shown zero would tell that the ``<5`` beside it is at least 1, and a small total over
   such cells can pin each of them (four cells of 1 under a total below 5). Capacities are
   not counts of persons and stay.
2. **Secondary suppression.** A published table has totals: the parts of a row add up to
   its total (departure + residence = scenarios total, the age bands of an LVV add up to
   its population), the LVVs add up to the national total, and the same number can appear
   twice (``outflow.residence_granted`` = ``durable_solutions.residence_granted``; the
   population of a breakdown = ``ever_sheltered``). A single suppressed cell in such a
   line would be given away by one subtraction. So, until nothing changes, every
   suppressed cell that can still be worked out from the published numbers gets a
   companion: the smallest non-zero shown cell that shares a line with it (a second part
   of the same row, or else the total). Companions are shown as ``x`` (they are 5 or more;
   showing them as ``<5`` would be false).
3. **What "can be worked out" means**, checked on the whole report at once (figures,
   breakdowns, trends and durations together, because they share numbers):
   - *exactly, by adding and subtracting*: the lines are linear equations; with the
     shown cells known, a suppressed cell is determined when it has the same value in
     every solution of the equations (Gauss-Jordan elimination over the rationals on the
     suppressed cells only);
   - *by bounds*: an attacker also knows that ``<5`` means 0 to 4 and ``x`` means 5 or
     more; bounds are propagated through every line until they stop tightening, and a
     suppressed cell whose lower and upper bound meet is also determined.
   Only lines that hold exactly in the data are used (an LVV total that counts a person
   in two LVVs once does not add up, and then gives nothing away exactly).

What it does not promise: a range narrower than 0-4 can sometimes be inferred for a
suppressed cell (for example 3-4); no cell can be pinned to one value.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

THRESHOLD = 5
PRIMARY = "<5"
SECONDARY = "x"
_INFINITY = 10**12

Cell = Hashable


@dataclass(frozen=True)
class Line:
    """``sum(parts) == total``: a row, a column or an alias (one part) of a table."""

    parts: tuple
    total: Cell

    @property
    def cells(self) -> tuple:
        return (*self.parts, self.total)


def protect(values: dict[Cell, int], lines: Iterable[Line], *, threshold: int = THRESHOLD) -> dict[Cell, str]:
    """The cells to suppress: ``{cell: PRIMARY | SECONDARY}``.

    ``values``: every count that will be published (cells not in it are ignored in the
    lines); ``lines``: the additive relations between them.
    """
    lines = [
        line
        for line in lines
        if all(cell in values for cell in line.cells) and sum(values[p] for p in line.parts) == values[line.total]
    ]
    order = {cell: number for number, cell in enumerate(values)}
    lines_of: dict[Cell, list[Line]] = {}
    for line in lines:
        for cell in line.cells:
            lines_of.setdefault(cell, []).append(line)
    marks = {cell: PRIMARY for cell, value in values.items() if 0 <= value < threshold}
    for _round in range(len(values) + 1):
        exposed = sorted(_exposed(values, lines, marks, threshold), key=order.__getitem__)
        if not exposed:
            break
        touched: set[Line] = set()
        added = False
        for cell in exposed:
            if any(line in touched for line in lines_of.get(cell, ())):
                continue  # a companion was just added next to it; look again next round
            companion = _companion(cell, values, lines_of, marks, order)
            if companion is not None:
                marks[companion] = SECONDARY
                touched.update(lines_of.get(companion, ()))
                added = True
        if not added:
            break  # nothing non-zero left to hide next to the exposed cells
    return marks


def _companion(cell, values, lines_of, marks, order):
    """The smallest shown non-zero cell sharing a line with ``cell`` (parts before totals),
    else one sharing a line with a suppressed neighbour."""
    for lines in (lines_of.get(cell, ()), _neighbour_lines(cell, lines_of, marks)):
        candidates = []
        for line in lines:
            for other in line.cells:
                if other not in marks and values[other] > 0:
                    candidates.append((other == line.total, values[other], order[other], other))
        if candidates:
            return min(candidates)[3]
    return None


def _neighbour_lines(cell, lines_of, marks):
    seen = set()
    for line in lines_of.get(cell, ()):
        for other in line.cells:
            if other in marks and other != cell:
                for next_line in lines_of.get(other, ()):
                    if next_line not in seen:
                        seen.add(next_line)
                        yield next_line


def _exposed(values, lines, marks, threshold) -> set:
    """Suppressed cells that the shown numbers and the labels still give away."""
    return _determined(lines, marks) | _pinned(values, lines, marks, threshold)


def _determined(lines, marks) -> set:
    """Suppressed cells with one value in every solution of the lines (Gauss-Jordan)."""
    hidden = list(marks)
    column = {cell: number for number, cell in enumerate(hidden)}
    pivots: dict[int, dict[int, Fraction]] = {}
    for line in lines:
        row: dict[int, Fraction] = {}
        for cell, sign in [(part, 1) for part in line.parts] + [(line.total, -1)]:
            if cell in column:
                row[column[cell]] = row.get(column[cell], Fraction(0)) + sign
        row = {key: value for key, value in row.items() if value}
        for pivot, pivot_row in pivots.items():
            if pivot in row:
                _subtract(row, pivot_row, row[pivot])
        if not row:
            continue
        pivot = min(row)
        scale = row[pivot]
        row = {key: value / scale for key, value in row.items()}
        for other_row in pivots.values():
            if pivot in other_row:
                _subtract(other_row, row, other_row[pivot])
        pivots[pivot] = row
    return {hidden[pivot] for pivot, row in pivots.items() if len(row) == 1}


def _subtract(row: dict, other: dict, factor: Fraction) -> None:
    for key, value in other.items():
        result = row.get(key, Fraction(0)) - factor * value
        if result:
            row[key] = result
        else:
            row.pop(key, None)


def _pinned(values, lines, marks, threshold) -> set:
    """Suppressed cells whose bounds (known cells, 0..threshold-1 for "<5", threshold or
    more for "x") meet after propagation through every line."""
    low, high = {}, {}
    for cell, value in values.items():
        mark = marks.get(cell)
        if mark == PRIMARY:
            low[cell], high[cell] = 0, threshold - 1
        elif mark == SECONDARY:
            low[cell], high[cell] = threshold, _INFINITY
        else:
            low[cell] = high[cell] = value
    relevant = [line for line in lines if any(cell in marks for cell in line.cells)]
    for _sweep in range(50):
        changed = False
        for line in relevant:
            parts_low = sum(low[p] for p in line.parts)
            parts_high = sum(high[p] for p in line.parts)
            total = line.total
            if parts_low > low[total]:
                low[total], changed = parts_low, True
            if parts_high < high[total]:
                high[total], changed = parts_high, True
            for part in line.parts:
                new_low = low[total] - (parts_high - high[part])
                new_high = high[total] - (parts_low - low[part])
                if new_low > low[part]:
                    low[part], changed = new_low, True
                if new_high < high[part]:
                    high[part], changed = new_high, True
        if not changed:
            break
    return {cell for cell in marks if low[cell] >= high[cell]}


# --- the monitor's report ------------------------------------------------------------------


def protect_report(
    figures: dict,
    breakdowns: dict | None = None,
    trends: dict | None = None,
    durations: dict | None = None,
    *,
    threshold: int = THRESHOLD,
) -> dict:
    """Suppressed copies of the report's parts: ``{"figures", "breakdowns", "trends",
    "durations"}`` (None for a part not given), with ``<5`` and ``x`` in place of the
    suppressed counts, protected together."""
    values, lines = report_cells(figures, breakdowns, trends, durations)
    marks = protect(values, lines, threshold=threshold)
    out = {
        "figures": _apply_figures(figures, marks),
        "breakdowns": _apply_breakdowns(breakdowns, marks) if breakdowns else None,
        "trends": _apply_trends(trends, marks) if trends else None,
        "durations": _apply_durations(durations, marks, threshold) if durations else None,
    }
    out["figures"]["suppression"] = {"threshold": threshold, "small": PRIMARY, "companion": SECONDARY}
    return out


# Additive groups inside the figures of one location (parts -> total).
FIGURE_LINES = (
    (("scenario_set.departure", "scenario_set.residence"), "scenario_set.total"),
    (("durable_solutions.departure_origin", "durable_solutions.onward_migration"), "durable_solutions.departure"),
    (("durable_solutions.departure", "durable_solutions.residence_granted"), "durable_solutions.total"),
    (("outflow.departure_origin",), "durable_solutions.departure_origin"),
    (("outflow.onward_migration",), "durable_solutions.onward_migration"),
    (("outflow.residence_granted",), "durable_solutions.residence_granted"),
    (("durable_solutions.total",), "outcome_classes.durable"),
    (("outflow.asylum_centre", "outflow.postponement_art64"), "outcome_classes.semi_durable"),
    (
        (
            "outflow.unknown_destination",
            "outflow.back_to_bbb",
            "outflow.forced_termination",
            "outflow.detention",
            "outflow.deceased",
            "outflow.other",
        ),
        "outcome_classes.none",
    ),
    # Version 2: the kinds add up to the distinct persons only when no one has two pending
    # kinds; a line is used only where it holds exactly (``protect``).
    (
        tuple(
            f"procedures_pending.{kind}"
            for kind in ("asylum_repeat", "no_fault", "regular", "medical_art64", "appeal", "other")
        ),
        "procedures_pending.total",
    ),
)
NOT_COUNTS = ("capacity",)
TOTAL = "total"


def _of(part: dict, row: str) -> Any:
    """One location's data in a part of the report, or the total's (``row == TOTAL``)."""
    return part["locations"][row] if row != TOTAL else part["total"]


def report_cells(figures, breakdowns=None, trends=None, durations=None) -> tuple[dict, list[Line]]:
    """Every published count of the report as a cell, and the lines between them."""
    values: dict = {}
    lines: list[Line] = []
    slugs = list(figures["locations"])
    _figure_cells(figures, slugs, values, lines)
    if breakdowns:
        _breakdown_cells(breakdowns, slugs, values, lines)
    if trends:
        _trend_cells(trends, figures["reference_date"], slugs, values, lines)
    if durations:
        _duration_cells(durations, slugs, values, lines)
    return values, lines


def _figure_cells(figures: dict, slugs: list[str], values: dict, lines: list[Line]) -> None:
    from monitor.figures import flatten

    keys = [key for key in flatten(figures["total"]) if key not in NOT_COUNTS]
    for row in [*slugs, TOTAL]:
        flat = flatten(_of(figures, row))
        for key in keys:
            values[("f", row, key)] = flat[key]
        for parts, total in FIGURE_LINES:
            lines.append(Line(tuple(("f", row, p) for p in parts), ("f", row, total)))
    for key in keys:
        lines.append(Line(tuple(("f", slug, key) for slug in slugs), ("f", TOTAL, key)))


def _breakdown_cells(breakdowns: dict, slugs: list[str], values: dict, lines: list[Line]) -> None:
    from monitor.analysis import DIMENSIONS, PARTITIONS

    for row in [*slugs, TOTAL]:
        data = _of(breakdowns, row)
        values[("b", row, "population")] = data["population"]
        lines.append(Line((("b", row, "population"),), ("f", row, "ever_sheltered")))
        for dimension in DIMENSIONS:
            cells = []
            for value, count in data[dimension].items():
                values[("b", row, dimension, value)] = count
                cells.append(("b", row, dimension, value))
            if dimension in PARTITIONS:
                lines.append(Line(tuple(cells), ("b", row, "population")))
            if dimension == "country_of_return":
                lines.append(Line(tuple(cells), ("f", row, "durable_solutions.departure")))
    lines.append(Line(tuple(("b", slug, "population") for slug in slugs), ("b", TOTAL, "population")))
    for dimension in DIMENSIONS:
        for value in breakdowns["values"][dimension]:
            lines.append(Line(tuple(("b", slug, dimension, value) for slug in slugs), ("b", TOTAL, dimension, value)))


TREND_MEASURES = ("present", "inflow", "outflow.durable", "outflow.semi_durable", "outflow.none", "scenarios_set")


def _trend_cells(trends: dict, reference_date: str, slugs: list[str], values: dict, lines: list[Line]) -> None:
    from monitor.figures import flatten

    last = len(trends["months"]) - 1
    for row in [*slugs, TOTAL]:
        months = _of(trends, row)
        for number, month in enumerate(months):
            flat = flatten(month)
            for measure in TREND_MEASURES:
                values[("t", row, number, measure)] = flat[measure]
        if months and months[last]["date"] == reference_date:
            lines.append(Line((("t", row, last, "present"),), ("f", row, "present")))
        for measure in ("durable", "semi_durable", "none"):
            cells = tuple(("t", row, number, f"outflow.{measure}") for number in range(last + 1))
            lines.append(Line(cells, ("f", row, f"outcome_classes.{measure}")))
    for number in range(last + 1):
        for measure in TREND_MEASURES:
            lines.append(Line(tuple(("t", slug, number, measure) for slug in slugs), ("t", TOTAL, number, measure)))


def _duration_cells(durations: dict, slugs: list[str], values: dict, lines: list[Line]) -> None:
    for measure in durations["measures"]:
        for row in [*slugs, TOTAL]:
            values[("d", row, measure)] = _of(durations, row)[measure]["count"]
        lines.append(Line(tuple(("d", slug, measure) for slug in slugs), ("d", TOTAL, measure)))


def _apply_figures(figures: dict, marks: dict) -> dict:
    from monitor.figures import flatten, unflatten

    out = copy.deepcopy(figures)
    for row in [*figures["locations"], TOTAL]:
        target = _of(out, row)
        flat = flatten(target)
        for key in flat:
            if ("f", row, key) in marks:
                flat[key] = marks[("f", row, key)]
        target.clear()
        target.update(unflatten(flat))
    return out


def _apply_breakdowns(breakdowns: dict, marks: dict) -> dict:
    out = copy.deepcopy(breakdowns)
    for row in [*breakdowns["locations"], TOTAL]:
        target = _of(out, row)
        target["population"] = marks.get(("b", row, "population"), target["population"])
        for dimension in breakdowns["dimensions"]:
            for value in target[dimension]:
                target[dimension][value] = marks.get(("b", row, dimension, value), target[dimension][value])
    return out


def _apply_trends(trends: dict, marks: dict) -> dict:
    out = copy.deepcopy(trends)
    for row in [*trends["locations"], TOTAL]:
        months = _of(out, row)
        for number, month in enumerate(months):
            for key in ("present", "inflow", "scenarios_set"):
                month[key] = marks.get(("t", row, number, key), month[key])
            for key in month["outflow"]:
                month["outflow"][key] = marks.get(("t", row, number, f"outflow.{key}"), month["outflow"][key])
    return out


def _apply_durations(durations: dict, marks: dict, threshold: int) -> dict:
    out = copy.deepcopy(durations)
    for row in [*durations["locations"], TOTAL]:
        target = _of(out, row)
        for measure in durations["measures"]:
            data = target[measure]
            count = data["count"]
            data["count"] = marks.get(("d", row, measure), count)
            if 0 < count < threshold:
                # A median of fewer than five durations is one person's duration.
                data["median"] = data["p25"] = data["p75"] = SECONDARY
    return out


def is_suppressed(value) -> bool:
    return value in (PRIMARY, SECONDARY)
