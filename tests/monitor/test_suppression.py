"""Small numbers: 1-4 shown as <5, and no suppressed cell recoverable from the totals."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.figures import empty_location
from monitor.suppression import PRIMARY, SECONDARY, Line, protect, protect_report


def test_large_numbers_stay_and_zero_is_hidden_like_a_small_number():
    marks = protect({"a": 0, "b": 17, "t": 17}, [Line(("a", "b"), "t")])
    assert marks == {"a": PRIMARY, "b": SECONDARY}


def test_four_ones_under_a_small_total_cannot_be_pinned():
    rows, columns = ["r0", "r1"], ["a", "b"]
    values = {("r0", "a"): 1, ("r0", "b"): 1, ("r1", "a"): 1, ("r1", "b"): 1}
    values.update({("r0", "T"): 2, ("r1", "T"): 2, ("T", "a"): 2, ("T", "b"): 2, ("T", "T"): 4})
    lines = two_way_lines(rows, columns)
    assert_not_recoverable(values, lines, protect(values, lines))


def test_a_second_part_hides_the_small_one():
    marks = protect({"a": 3, "b": 10, "c": 20, "t": 33}, [Line(("a", "b", "c"), "t")])
    assert marks == {"a": PRIMARY, "b": SECONDARY}


def test_a_hidden_part_is_never_left_with_one_possible_value():
    # a + b = 9: with a hidden (0..4) and b hidden as x (5 or more), a can be 0..4.
    marks = protect({"a": 4, "b": 5, "t": 9}, [Line(("a", "b"), "t")])
    assert marks == {"a": PRIMARY, "b": SECONDARY}
    values = {"a": 1, "b": 5, "c": 5, "t": 11}
    lines = [Line(("a", "b", "c"), "t")]
    marks = protect(values, lines)
    assert marks["a"] == PRIMARY and len(marks) >= 2


def test_a_small_total_with_one_part_needs_nothing_more():
    marks = protect({"a": 3, "b": 0, "t": 3}, [Line(("a", "b"), "t")])
    assert marks == {"a": PRIMARY, "b": PRIMARY, "t": PRIMARY}


def test_lines_that_do_not_add_up_give_nothing_away():
    # An LVV total that counts a person in two LVVs once is not the sum of the LVVs.
    marks = protect({"x": 3, "y": 9, "t": 11}, [Line(("x", "y"), "t")])
    assert marks == {"x": PRIMARY}


def test_a_two_way_table_is_protected_across_rows_and_columns():
    values = {
        ("r1", "a"): 2, ("r1", "b"): 10, ("r1", "T"): 12,
        ("r2", "a"): 8, ("r2", "b"): 9, ("r2", "T"): 17,
        ("T", "a"): 10, ("T", "b"): 19, ("T", "T"): 29,
    }  # fmt: skip
    marks = protect(values, two_way_lines(["r1", "r2"], ["a", "b"]))
    assert marks[("r1", "a")] == PRIMARY
    assert_not_recoverable(values, two_way_lines(["r1", "r2"], ["a", "b"]), marks)


def two_way_lines(rows, columns):
    lines = [Line(tuple((r, c) for c in columns), (r, "T")) for r in [*rows, "T"]]
    lines += [Line(tuple((r, c) for r in rows), ("T", c)) for c in [*columns, "T"]]
    return lines


def _allowed(cell, values, marks, top):
    mark = marks.get(cell)
    if mark == PRIMARY:
        return range(0, 5)
    if mark == SECONDARY:
        return range(5, top + 1)
    return range(values[cell], values[cell] + 1)


def assert_not_recoverable(values, lines, marks):
    """Brute force over two-way tables (cells ``(row, column)``, margins in row and column
    ``"T"``): every suppressed cell can take another value than its own in a table that agrees
    with what is shown (known cells, <5 = 1..4, x = 5 or more), and the true table agrees too.
    One depth-first search per suppressed cell, stopped at the first such table."""
    rows = sorted({row for row, _column in values if row != "T"})
    columns = sorted({column for _row, column in values if column != "T"})
    # An upper bound for "x" that is not the true grand total (which may be hidden itself).
    top = values[("T", "T")] + 8

    def agreeing_table(other_than=None) -> dict | None:
        """A table that agrees with what is shown, in which the cell ``other_than`` (if any)
        does not have its true value."""

        def allowed(cell):
            shown = _allowed(cell, values, marks, top)
            return [value for value in shown if cell != other_than or value != values[cell]]

        def fill(row_number: int, table: dict) -> dict | None:
            if row_number == len(rows):
                for column in [*columns, "T"]:
                    total = sum(table[(row, column)] for row in rows)
                    if total not in allowed(("T", column)):
                        return None
                    table[("T", column)] = total
                return table
            row = rows[row_number]
            for counts in itertools.product(*(allowed((row, column)) for column in columns)):
                if sum(counts) in allowed((row, "T")):
                    table.update({(row, column): count for column, count in zip(columns, counts, strict=True)})
                    table[(row, "T")] = sum(counts)
                    if found := fill(row_number + 1, dict(table)):
                        return found
            return None

        return fill(0, {})

    assert agreeing_table() is not None  # the search finds at least the true table
    for cell in marks:
        other = agreeing_table(other_than=cell)
        assert other is not None, f"{cell} can be worked out: {values[cell]}"
        assert other[cell] != values[cell]


@settings(max_examples=25, deadline=None, derandomize=True, database=None)  # the same tables every run
@given(st.lists(st.lists(st.integers(0, 6), min_size=2, max_size=2), min_size=2, max_size=3))
def test_no_suppressed_cell_of_a_small_table_can_be_worked_out(interior):
    rows = [f"r{number}" for number in range(len(interior))]
    columns = ["a", "b"]
    values = {}
    for row, counts in zip(rows, interior, strict=True):
        for column, count in zip(columns, counts, strict=True):
            values[(row, column)] = count
        values[(row, "T")] = sum(counts)
    for column in columns:
        values[("T", column)] = sum(values[(row, column)] for row in rows)
    values[("T", "T")] = sum(values[(row, "T")] for row in rows)
    lines = two_way_lines(rows, columns)
    marks = protect(values, lines)
    for cell, value in values.items():
        if value < 5:
            assert marks[cell] == PRIMARY
    assert_not_recoverable(values, lines, marks)


def test_report_protects_the_figures_together():
    figures = {"reference_date": "2020-06-15", "locations": {}, "total": empty_location()}
    for slug, departure, residence in (("amsterdam", 3, 20), ("rotterdam", 30, 40)):
        part = empty_location()
        part["present"] = 60
        part["scenario_set"] = {"departure": departure, "residence": residence, "total": departure + residence}
        figures["locations"][slug] = part
    total = figures["total"]
    total["present"] = 120
    total["scenario_set"] = {"departure": 33, "residence": 60, "total": 93}
    protected = protect_report(figures)["figures"]
    ams, rot, all_ = protected["locations"]["amsterdam"], protected["locations"]["rotterdam"], protected["total"]
    assert ams["scenario_set"]["departure"] == PRIMARY
    # Neither the Amsterdam row nor the departure column may give the 3 away.
    assert SECONDARY in (ams["scenario_set"]["residence"], ams["scenario_set"]["total"])
    assert SECONDARY in (rot["scenario_set"]["departure"], all_["scenario_set"]["departure"])
    assert ams["present"] == 60 and ams["capacity"] == 0
    assert protected["suppression"] == {"threshold": 5, "small": PRIMARY, "companion": SECONDARY}
