"""The PDF report on paper: every LVV's column and the total are on the page with their
figures, read back from the PDF itself (pypdf), text and position."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from monitor import exports
from tests.factories import LocationFactory
from tests.monitor.builders import DAY, D, build

pytestmark = pytest.mark.django_db

FIVE = ["Amsterdam", "Eindhoven", "Groningen", "Rotterdam", "Utrecht"]
# A lower bound of the width of a character in the report's typeface (DejaVu Sans: digits
# 0.64 em, a space 0.32 em): a fragment estimated with it ends no later than it really does.
MIN_EM_PER_CHARACTER = 0.4


def _lvvs(names: list[str]):
    return [
        LocationFactory(slug=name.lower(), name=f"LVV {name}", places=101 + number) for number, name in enumerate(names)
    ]


def _read(pdf: bytes) -> tuple[str, list[tuple[int, float, float, str]]]:
    """The PDF's text (pages joined, whitespace as single spaces per line) and every text
    fragment as ``(page, x, right edge at the least, text)``, in points."""
    reader = PdfReader(io.BytesIO(pdf))
    lines, fragments = [], []
    for number, page in enumerate(reader.pages):

        def visit(text, cm, tm, _font, size, number=number):
            if text.strip():
                x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
                scale = size * tm[0] * cm[0]
                fragments.append((number, x, x + len(text.strip()) * scale * MIN_EM_PER_CHARACTER, text.strip()))

        text = page.extract_text(visitor_text=visit)
        lines += [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(lines), fragments


def _assert_on_the_page(pdf: bytes, fragments) -> None:
    reader = PdfReader(io.BytesIO(pdf))
    for number, x, right, text in fragments:
        box = reader.pages[number].mediabox
        assert float(box.left) <= x and right <= float(box.right), f"off the page {number + 1}: {text!r}"


def test_every_lvv_and_the_total_are_on_the_page_with_their_figures():
    lvvs = _lvvs(FIVE)
    for number, lvv in enumerate(lvvs):
        for n in range(number + 1):
            build(lvv, sheltered=D - (30 + n) * DAY)
    report = exports.build_report(D, lvvs, trends_start=D - 90 * DAY)
    pdf = exports.to_pdf(report)
    text, fragments = _read(pdf)

    header = "Cijfer " + " ".join(f"LVV {name}" for name in FIVE) + " Totaal"
    assert header in text
    for name in FIVE:
        assert f"LVV {name}" in text
    assert "Capaciteit (plaatsen) 101 102 103 104 105 515" in text
    assert "In de opvang 1 2 3 4 5 15" in text
    assert "Ooit in de opvang 1 2 3 4 5 15" in text
    assert "Personen ooit in de opvang 1 2 3 4 5 15" in text
    # The header comes back on every page a table runs on to.
    assert text.count(header) >= 2
    _assert_on_the_page(pdf, fragments)
    names = [fragment for fragment in fragments if fragment[3] in ("Totaal", *(f"LVV {name}" for name in FIVE))]
    assert names, "the column headers were not found as fragments"


def test_many_lvvs_are_split_over_tables_that_each_fit_the_page():
    names = [*FIVE, "Almere", "Arnhem", "Breda", "Zwolle"]
    lvvs = _lvvs(names)
    report = exports.build_report(D, lvvs, full=False)
    html = exports.render_report_html(report)
    assert html.count('id="table-figures-') == 2
    pdf = exports.to_pdf(report)
    text, fragments = _read(pdf)
    in_order = [f"LVV {name}" for name in sorted(names)]
    first, second = in_order[:5], in_order[5:]
    assert "Cijfer " + " ".join(first) in text
    assert "Cijfer " + " ".join(second) + " Totaal" in text
    assert "(deel 1 van 2)" in text and "(deel 2 van 2)" in text
    capacities = {f"LVV {name}": 101 + number for number, name in enumerate(names)}
    row = re.findall(r"^Capaciteit \(plaatsen\) ([\d .]+)$", text, flags=re.M)
    assert row == [
        " ".join(str(capacities[name]) for name in first),
        " ".join(str(capacities[name]) for name in second) + f" {sum(capacities.values())}",
    ]
    _assert_on_the_page(pdf, fragments)
