"""The case import (schema lvv-case/1): every contract rule, all or nothing, idempotency,
the command and the API, and "the same as doing the steps by hand"."""

from __future__ import annotations

import datetime
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import importer, services, workflow
from cases.importer import run_import
from cases.models import (
    BIRTH_DATE_FUTURE,
    V_NUMBER_INVALID,
    Case,
    CaseType,
    Deadline,
    DossierPart,
    Outflow,
    Person,
    Scenario,
    TimelineEvent,
)
from lvv.access.policy import SYSTEM
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from lvv.audit.models import AccessLogEntry
from tests.cases.import_helpers import EXAMPLE, jsonl, line
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "import" / "cases.jsonl"
ROOT = Path(__file__).resolve().parent.parent.parent
URL = "/api/v1/imports/"
NDJSON = "application/x-ndjson"


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Case.objects.count(),
        TimelineEvent.objects.count(),
        Deadline.objects.count(),
        DossierPart.objects.count(),
    )


def import_as_system(data: bytes, **kwargs) -> importer.Summary:
    return run_import(data, acting_user=SYSTEM, origin=COMMAND, **kwargs)


def errors_of(data: bytes, **kwargs) -> list[importer.LineError]:
    with pytest.raises(importer.ImportInvalid) as caught:
        import_as_system(data, **kwargs)
    return caught.value.errors


# --- A valid file -------------------------------------------------------------------------------


def test_valid_file_creates_every_case_through_the_services(world):
    before = counts()
    summary = import_as_system(FIXTURE.read_bytes())

    assert summary.as_dict() == {
        "schema": "lvv-case/1",
        "dry_run": False,
        "lines": 5,
        "created": 5,
        "updated": 0,
        "skipped": 0,
        "per_lvv": {
            "amsterdam": {"lines": 3, "created": 3, "updated": 0, "skipped": 0},
            "rotterdam": {"lines": 2, "created": 2, "updated": 0, "skipped": 0},
        },
    }
    # Three persons: Tesfay (same V-number in two LVVs), Okafor (no V-number: same names and
    # birth date within one LVV), Benali.
    assert Person.objects.count() == before[0] + 3
    assert Case.objects.count() == before[1] + 5

    first = Case.objects.get(location=world.ams.location, external_id="AMS-2019-0001")
    assert first.state == workflow.State.CLOSED
    assert (first.registered_on, first.decided_on, first.shelter_started_on, first.closed_on) == (
        datetime.date(2019, 3, 20),
        datetime.date(2019, 4, 1),
        datetime.date(2019, 4, 1),
        datetime.date(2020, 2, 3),
    )
    assert first.case_types == ["medical", "repeat_asylum"] and first.prior_departure_procedures == 2
    assert first.within_covenant and first.exception_ground == ""
    assert sorted(first.dossier_parts.values_list("kind", "delivered_on")) == [
        ("DTV", datetime.date(2019, 4, 12)),
        ("IND", datetime.date(2019, 4, 10)),
    ]
    assert first.outflow.category == "departure_origin" and first.outflow.country == "ER"
    assert first.outflow.confirmed_on == datetime.date(2020, 2, 3)  # verified: confirmed on the outflow date
    assert first.person.v_number == "1234567890" and first.person.nationality == "ER"

    second = Case.objects.get(external_id="AMS-2019-0002")
    assert second.registered_on == datetime.date(2019, 6, 3)  # no "registered": the first event's date
    assert not second.within_covenant and second.exception_ground == "public_order"
    assert second.exception_reason == "Dreigende overlast op straat"
    assert second.state == workflow.State.SHELTERED and second.waitlisted_on == datetime.date(2019, 6, 3)
    assert second.current_scenario.direction == "departure" and second.scenarios.count() == 2
    assert second.person.v_number is None and second.person.nationality == "" and second.person.sex == "f"
    assert Case.objects.get(external_id="AMS-2020-0003").person == second.person

    rejected = Case.objects.get(location=world.rot.location, external_id="RTM-0001")
    assert rejected.state == workflow.State.REJECTED
    assert rejected.rejection_reason == "Geen aantoonbare regiobinding"
    assert rejected.person.birth_date is None and rejected.person.sex == ""

    linked = Case.objects.get(location=world.rot.location, external_id="RTM-0002")
    assert linked.person == first.person and linked.prior_departure_procedures == 0

    # One access-log row per imported case carries the import's fingerprint (hashes only).
    rows = AccessLogEntry.objects.filter(detail__has_key="import")
    assert rows.count() == 5
    fingerprint = rows.get(object_id=str(first.pk)).detail["import"]
    assert fingerprint["schema"] == "lvv-case/1" and fingerprint["line"] == 1 and fingerprint["events"] == 9
    assert "Tesfay" not in json.dumps(fingerprint)


def test_exception_without_reason_gets_the_fixed_text(world):
    data = line(
        within_covenant=False,
        events=[
            {"type": "registered", "date": "2019-03-20"},
            {"type": "admitted", "date": "2019-04-01", "exception": "humanitarian"},
        ],
    )
    import_as_system(jsonl(data))
    case = Case.objects.get(external_id="AMS-2019-0001")
    assert case.exception_ground == "humanitarian" and case.exception_reason == importer.DEFAULT_EXCEPTION_REASON
    assert not case.within_covenant


def test_persons_are_matched_as_the_contract_says(world):
    existing = world.ams.assigned.person
    same_v_number = line(
        external_id="AMS-A", person={**EXAMPLE["person"], "v_number": existing.v_number, "family_name": "Anders"}
    )
    nameless = {"family_name": "Haile", "given_names": "Senait", "birth_date": "1988-08-08"}
    events = [{"type": "registered", "date": "2019-03-20"}]
    lines = [
        same_v_number,
        line(external_id="AMS-B", person=nameless, events=events),
        line(external_id="AMS-C", person=nameless, events=events),  # same LVV: the same person
        line(external_id="RTM-D", lvv="rotterdam", person=nameless, events=events),  # other LVV: another
        line(external_id="AMS-E", person={"family_name": "Haile", "given_names": "Senait"}, events=events),
        line(external_id="AMS-F", person={"family_name": "Haile", "given_names": "Senait"}, events=events),
    ]
    import_as_system(jsonl(*lines))
    person_of = dict(Case.objects.filter(external_id__regex=r"^(AMS|RTM)-[A-F]$").values_list("external_id", "person"))
    assert person_of["AMS-A"] == existing.pk
    assert person_of["AMS-B"] == person_of["AMS-C"]
    assert person_of["RTM-D"] != person_of["AMS-B"]
    # Without V-number and birth date the identity is too thin to merge two lines.
    assert person_of["AMS-E"] != person_of["AMS-F"] and person_of["AMS-E"] != person_of["AMS-B"]

    # A later file finds the person without V-number of an earlier import in that LVV.
    import_as_system(jsonl(line(external_id="AMS-G", person=nameless, events=events)))
    assert Case.objects.get(external_id="AMS-G").person_id == person_of["AMS-B"]


# --- Every rule broken once: the line, the field, the reason; nothing written ----------------------


def _set(path: str, value):
    def change(data):
        target = data
        keys = path.split(".")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        last = keys[-1]
        if value is _DELETE:
            del target[last]
        elif last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _events(*events):
    return _set("events", list(events))


_DELETE = object()
REG = {"type": "registered", "date": "2019-03-20"}
ADM = {"type": "admitted", "date": "2019-04-01"}
SHE = {"type": "shelter_started", "date": "2019-04-01"}
OUT = {"type": "outflow", "date": "2020-02-03", "category": "other"}
TOMORROW = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
ADMIT_TWICE = str(workflow.StepNotAllowed(workflow.STEPS["admit"], workflow.State.ADMITTED))
CHECK_BEFORE_SHELTER = str(workflow.StepNotAllowed(workflow.STEPS["record_cooperation_check"], workflow.State.ADMITTED))

RULES = [
    # schema
    ("schema-missing", _set("schema", _DELETE), "schema", importer.REQUIRED),
    ("schema-wrong", _set("schema", "lvv-case/9"), "schema", importer.wrong_schema()),
    # external_id
    ("external-id-missing", _set("external_id", _DELETE), "external_id", importer.REQUIRED),
    ("external-id-empty", _set("external_id", ""), "external_id", importer.EXTERNAL_ID_LENGTH),
    ("external-id-blank", _set("external_id", "   "), "external_id", importer.EXTERNAL_ID_LENGTH),
    ("external-id-65", _set("external_id", "X" * 65), "external_id", importer.EXTERNAL_ID_LENGTH),
    ("external-id-nul", _set("external_id", "AMS\u00001"), "external_id", importer.CONTROL_CHARACTER),
    (
        "rejected-reason-nul",
        _events(REG, {"type": "rejected", "date": "2019-04-01", "reason": "a\u0000"}),
        "events[1].reason",
        importer.CONTROL_CHARACTER,
    ),
    ("external-id-number", _set("external_id", 17), "external_id", importer.NOT_TEXT),
    (
        "external-id-twice-in-lvv",
        _set("external_id", "AMS-OK-1"),
        "external_id",
        importer.EXTERNAL_ID_REPEATED % {"line": 1},
    ),
    # lvv
    ("lvv-missing", _set("lvv", _DELETE), "lvv", importer.REQUIRED),
    ("lvv-unknown", _set("lvv", "atlantis"), "lvv", importer.UNKNOWN_LVV),
    # within_covenant
    ("within-covenant-text", _set("within_covenant", "ja"), "within_covenant", importer.NOT_BOOLEAN),
    # person
    ("person-missing", _set("person", _DELETE), "person", importer.REQUIRED),
    ("person-not-object", _set("person", "Abel Tesfay"), "person", importer.NOT_AN_OBJECT_FIELD),
    ("v-number-short", _set("person.v_number", "12345"), "person.v_number", V_NUMBER_INVALID),
    ("v-number-long", _set("person.v_number", "12345678901"), "person.v_number", V_NUMBER_INVALID),
    ("v-number-letters", _set("person.v_number", "12345abcde"), "person.v_number", V_NUMBER_INVALID),
    ("v-number-arabic-digits", _set("person.v_number", "١٢٣٤٥٦٧٨٩٠"), "person.v_number", V_NUMBER_INVALID),
    ("v-number-integer", _set("person.v_number", 1234567890), "person.v_number", V_NUMBER_INVALID),
    ("family-name-missing", _set("person.family_name", _DELETE), "person.family_name", importer.REQUIRED),
    ("family-name-empty", _set("person.family_name", " "), "person.family_name", importer.NOT_EMPTY),
    ("family-name-nul", _set("person.family_name", "Tes\u0000fay"), "person.family_name", importer.CONTROL_CHARACTER),
    ("given-names-newline", _set("person.given_names", "Abel\nX"), "person.given_names", importer.CONTROL_CHARACTER),
    ("given-names-empty", _set("person.given_names", ""), "person.given_names", importer.NOT_EMPTY),
    ("given-names-long", _set("person.given_names", "A" * 201), "person.given_names", importer.TOO_LONG % {"max": 200}),
    ("birth-date-format", _set("person.birth_date", "02-05-1981"), "person.birth_date", importer.NOT_A_DATE),
    ("birth-date-impossible", _set("person.birth_date", "1981-02-30"), "person.birth_date", importer.NOT_A_DATE),
    ("birth-date-future", _set("person.birth_date", TOMORROW), "person.birth_date", BIRTH_DATE_FUTURE),
    ("sex", _set("person.sex", "man"), "person.sex", importer.INVALID_CHOICE % {"choices": "m, f, x"}),
    ("nationality-unknown", _set("person.nationality", "XX"), "person.nationality", importer.COUNTRY_INVALID),
    ("nationality-alpha3", _set("person.nationality", "ERI"), "person.nationality", importer.COUNTRY_INVALID),
    ("nationality-lower", _set("person.nationality", "er"), "person.nationality", importer.COUNTRY_INVALID),
    ("person-unknown-field", _set("person.alias", "Abe"), "person.alias", importer.UNKNOWN_FIELD),
    # case types and prior procedures
    ("case-types-not-list", _set("case_types", "medical"), "case_types", importer.NOT_A_LIST),
    ("case-type-unknown", _set("case_types", ["medical", "poverty"]), "case_types[1]", None),
    ("case-type-twice", _set("case_types", ["medical", "medical"]), "case_types[1]", importer.DUPLICATE_CASE_TYPE),
    ("prior-negative", _set("prior_departure_procedures", -1), "prior_departure_procedures", importer.NOT_A_COUNT),
    ("prior-text", _set("prior_departure_procedures", "2"), "prior_departure_procedures", importer.NOT_A_COUNT),
    ("prior-fraction", _set("prior_departure_procedures", 1.5), "prior_departure_procedures", importer.NOT_A_COUNT),
    ("prior-boolean", _set("prior_departure_procedures", True), "prior_departure_procedures", importer.NOT_A_COUNT),
    ("unknown-field", _set("notes", "x"), "notes", importer.UNKNOWN_FIELD),
    # events: presence, dates, order
    ("events-missing", _set("events", _DELETE), "events", importer.REQUIRED),
    ("events-empty", _events(), "events", importer.EVENTS_EMPTY),
    ("event-not-object", _events("registered"), "events[0]", importer.NOT_AN_OBJECT_FIELD),
    ("event-type-unknown", _set("events.7.type", "discussed"), "events[7].type", None),
    ("event-date-missing", _set("events.3.date", _DELETE), "events[3].date", importer.REQUIRED),
    ("event-date-format", _set("events.3.date", "10-04-2019"), "events[3].date", importer.NOT_A_DATE),
    ("event-date-future", _set("events.8.date", TOMORROW), "events[8].date", importer.DATE_IN_FUTURE),
    (
        "event-dates-out-of-order",
        _set("events.3.date", "2019-03-25"),
        "events[3].date",
        importer.DATE_ORDER % {"date": "2019-04-01"},
    ),
    ("event-unknown-field", _set("events.1.by", "IND"), "events[1].by", importer.UNKNOWN_FIELD),
    # the sequence rules
    ("registered-not-first", _events(ADM, REG), "events[1].date", importer.DATE_ORDER % {"date": "2019-04-01"}),
    ("registered-later", _events(REG, {**REG, "date": "2019-03-21"}), "events[1].type", importer.REGISTERED_NOT_FIRST),
    ("shelter-without-admitted", _events(REG, SHE), "events[1].type", importer.SHELTER_NEEDS_ADMITTED),
    ("shelter-before-admitted-same-day", _events(REG, SHE, ADM), "events[1].type", importer.SHELTER_NEEDS_ADMITTED),
    (
        "shelter-after-waitlist-without-admitted",
        _events(REG, {"type": "waitlisted", "date": "2019-04-01"}, SHE),
        "events[2].type",
        importer.SHELTER_NEEDS_ADMITTED,
    ),
    ("outflow-without-admitted", _events(REG, OUT), "events[1].type", importer.OUTFLOW_NEEDS_ADMITTED),
    (
        "event-after-outflow",
        _events(REG, ADM, SHE, OUT, OUT),
        "events[4].type",
        importer.AFTER_END % {"type": "outflow"},
    ),
    (
        "event-after-rejected",
        _events(REG, {"type": "rejected", "date": "2019-04-01", "reason": "EU-burger"}, ADM),
        "events[2].type",
        importer.AFTER_END % {"type": "rejected"},
    ),
    ("admitted-twice", _events(REG, ADM, ADM), "events[2].type", ADMIT_TWICE),
    (
        "cooperation-check-before-shelter",
        _events(REG, ADM, {"type": "cooperation_checked", "date": "2019-05-01", "result": "sufficient"}),
        "events[2].type",
        CHECK_BEFORE_SHELTER,
    ),
    # each event type's fields
    ("admitted-exception-unknown", _set("events.1.exception", "medical"), "events[1].exception", None),
    (
        "exception-within-covenant",
        _set("events.1.exception", "humanitarian"),
        "events[1].exception",
        importer.EXCEPTION_WITHIN_COVENANT,
    ),
    (
        "outside-covenant-without-exception",
        _set("within_covenant", False),
        "events[1].exception",
        importer.EXCEPTION_REQUIRED,
    ),
    (
        "outside-covenant-never-admitted",
        lambda d: (_set("within_covenant", False)(d), _events(REG)(d)),
        "within_covenant",
        importer.OUTSIDE_COVENANT_NOT_ADMITTED,
    ),
    (
        "exception-reason-without-exception",
        _set("events.1.exception_reason", "Zwanger"),
        "events[1].exception_reason",
        importer.REASON_WITHOUT_EXCEPTION,
    ),
    (
        "rejected-without-reason",
        _events(REG, {"type": "rejected", "date": "2019-04-01"}),
        "events[1].reason",
        importer.REQUIRED,
    ),
    (
        "rejected-empty-reason",
        _events(REG, {"type": "rejected", "date": "2019-04-01", "reason": " "}),
        "events[1].reason",
        importer.NOT_EMPTY,
    ),
    ("dossier-by-missing", _set("events.3.by", _DELETE), "events[3].by", importer.REQUIRED),
    (
        "dossier-by-unknown",
        _set("events.3.by", "COA"),
        "events[3].by",
        importer.INVALID_CHOICE % {"choices": "IND, DTV"},
    ),
    ("dossier-part-twice", _set("events.4.by", "IND"), "events[4].by", importer.DOSSIER_PART_TWICE),
    ("scenario-direction", _set("events.5.direction", "stay"), "events[5].direction", None),
    ("cooperation-result-missing", _set("events.6.result", _DELETE), "events[6].result", importer.REQUIRED),
    ("mrt-outcome", _set("events.7.outcome", "stuck"), "events[7].outcome", None),
    ("outflow-category-missing", _set("events.8.category", _DELETE), "events[8].category", importer.REQUIRED),
    ("outflow-category-unknown", _set("events.8.category", "moved"), "events[8].category", None),
    ("outflow-departure-no-country", _set("events.8.country", None), "events[8].country", importer.COUNTRY_REQUIRED),
    ("outflow-country-unknown", _set("events.8.country", "XX"), "events[8].country", importer.COUNTRY_INVALID),
    ("outflow-verified-text", _set("events.8.verified", "yes"), "events[8].verified", importer.NOT_BOOLEAN),
    (
        "outflow-verified-not-durable",
        lambda d: (_set("events.8.category", "asylum_centre")(d), _set("events.8.country", None)(d)),
        "events[8].verified",
        importer.VERIFIED_NOT_DURABLE,
    ),
]


@pytest.mark.parametrize(("change", "field", "message"), [r[1:] for r in RULES], ids=[r[0] for r in RULES])
def test_each_rule_broken_once_names_line_and_field_and_writes_nothing(world, change, field, message):
    good = line(external_id="AMS-OK-1")
    bad = line(external_id="AMS-BAD-2")
    change(bad)
    before = counts()
    errors = errors_of(jsonl(good, bad))
    assert [(e.line, e.field) for e in errors] == [(2, field)], errors
    if message is not None:
        assert errors[0].message == str(message)
    assert counts() == before


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"{not json", importer.INVALID_JSON_AT % {"column": 2}),
        (b'["a list"]', importer.NOT_AN_OBJECT),
        (b'{"schema": "lvv-case/1", "schema": "lvv-case/1"}', importer.DUPLICATE_KEY % {"key": "schema"}),
        (b'{"prior_departure_procedures": NaN}', importer.NOT_A_JSON_NUMBER),
        (b'{"external_id": "\xff\xfe"}', importer.INVALID_UTF8),
    ],
    ids=["json", "not-object", "duplicate-key", "nan", "utf8"],
)
def test_unreadable_line_is_named_and_nothing_is_written(world, raw, message):
    before = counts()
    errors = errors_of(jsonl(line(external_id="AMS-OK-1")) + raw + b"\n")
    assert [e.as_dict() for e in errors] == [{"line": 2, "field": "", "message": str(message)}]
    assert counts() == before


def test_every_error_of_every_line_is_reported_in_line_order(world):
    bad = line(external_id="", person={**EXAMPLE["person"], "v_number": "1"})
    errors = errors_of(b"\n" + jsonl(bad) + b"oops\n")
    assert [(e.line, e.field) for e in errors] == [(2, "external_id"), (2, "person.v_number"), (3, "")]


def test_the_errors_of_one_line_come_in_the_order_of_the_contracts_fields(world):
    """Unknown fields first (in an event after its type and date), then each field in the
    contract's order; a wrong type still has its date checked; a null in a list is a wrong item."""
    bad = line(
        notes="x",
        external_id=17,
        person={"alias": "Abe", "v_number": 1234567890, "family_name": " "},
        case_types=["poverty", "medical", "medical", None],
        events=[
            {"type": "discussed", "date": "1-1-2019"},
            None,
            {**ADM, "zz": 1, "exception": "medical", "exception_reason": "Zwanger"},
        ],
    )
    errors = errors_of(jsonl(bad))
    case_types = importer.INVALID_CHOICE % {"choices": ", ".join(CaseType.values)}
    assert [(e.field, e.message) for e in errors] == [
        ("notes", str(importer.UNKNOWN_FIELD)),
        ("external_id", str(importer.NOT_TEXT)),
        ("person.alias", str(importer.UNKNOWN_FIELD)),
        ("person.v_number", str(V_NUMBER_INVALID)),
        ("person.family_name", str(importer.NOT_EMPTY)),
        ("person.given_names", str(importer.REQUIRED)),
        ("case_types[0]", str(case_types)),
        ("case_types[2]", str(importer.DUPLICATE_CASE_TYPE)),
        ("case_types[3]", str(case_types)),
        ("events[0].type", str(importer.INVALID_CHOICE % {"choices": ", ".join(importer.EVENT_TYPES)})),
        ("events[0].date", str(importer.NOT_A_DATE)),
        ("events[1]", str(importer.NOT_AN_OBJECT_FIELD)),
        ("events[2].zz", str(importer.UNKNOWN_FIELD)),
        ("events[2].exception", str(importer.INVALID_CHOICE % {"choices": "humanitarian, public_order"})),
        ("events[2].exception_reason", str(importer.REASON_WITHOUT_EXCEPTION)),
    ]


def test_the_rules_across_events_hold_on_a_line_with_other_faults(world):
    errors = errors_of(jsonl(line(lvv="atlantis", within_covenant="ja", events=[REG, SHE])))
    assert [(e.field, e.message) for e in errors] == [
        ("lvv", str(importer.UNKNOWN_LVV)),
        ("within_covenant", str(importer.NOT_BOOLEAN)),
        ("events[1].type", str(importer.SHELTER_NEEDS_ADMITTED)),
    ]


def test_empty_file_is_an_error(world):
    errors = errors_of(b"\n \n")
    assert [e.as_dict() for e in errors] == [{"line": None, "field": "", "message": str(importer.EMPTY_FILE)}]


def test_a_failure_while_applying_rolls_back_the_lines_before_it(world):
    """A case made by hand with the same external id is found only when applying."""
    before = counts()
    clash = line(external_id=world.ams.assigned.external_id, person={"family_name": "X", "given_names": "Y"})
    errors = errors_of(jsonl(line(external_id="AMS-OK-1"), clash))
    assert [e.as_dict() for e in errors] == [
        {"line": 2, "field": "external_id", "message": str(importer.CASE_NOT_IMPORTED)}
    ]
    assert counts() == before
    assert not AccessLogEntry.objects.filter(detail__has_key="import").exists()


def test_byte_order_mark_and_crlf_are_accepted(world):
    data = b"\xef\xbb\xbf" + jsonl(line()).replace(b"\n", b"\r\n")
    assert import_as_system(data).created == 1


# --- Idempotency and --update ------------------------------------------------------------------------


def test_same_file_twice_skips_everything_and_changes_nothing(world):
    import_as_system(FIXTURE.read_bytes())
    before = (*counts(), AccessLogEntry.objects.count(), Outflow.objects.count(), Scenario.objects.count())
    summary = import_as_system(FIXTURE.read_bytes())
    assert (summary.lines, summary.created, summary.updated, summary.skipped) == (5, 0, 0, 5)
    assert summary.per_lvv["rotterdam"]["skipped"] == 2
    after = (*counts(), AccessLogEntry.objects.count(), Outflow.objects.count(), Scenario.objects.count())
    assert after == before


def test_same_content_is_compared_canonically(world):
    import_as_system(jsonl(line(within_covenant=True, case_types=["medical", "repeat_asylum"])))
    # Keys in another order, defaults left out, names with spaces around, case types reordered.
    data = line(case_types=["repeat_asylum", "medical"])
    del data["within_covenant"]
    data["person"]["family_name"] = " Tesfay "
    data["events"][7]["outcome"] = None
    reordered = dict(reversed(list(data.items())))
    assert import_as_system(jsonl(reordered)).skipped == 1


def test_different_content_without_update_is_an_error(world):
    import_as_system(jsonl(line()))
    before = counts()
    changed = line(prior_departure_procedures=3)
    errors = errors_of(jsonl(changed))
    assert [e.as_dict() for e in errors] == [{"line": 1, "field": "external_id", "message": str(importer.CASE_CHANGED)}]
    assert counts() == before


OPEN_EVENTS = [
    {"type": "registered", "date": "2019-03-20"},
    {"type": "admitted", "date": "2019-04-01"},
    {"type": "shelter_started", "date": "2019-04-01"},
]


def test_update_adds_the_new_events_of_a_longer_history(world):
    import_as_system(jsonl(line(events=OPEN_EVENTS)))
    case = Case.objects.get(external_id="AMS-2019-0001")
    timeline = case.timeline.count()
    longer = line(events=[*OPEN_EVENTS, *EXAMPLE["events"][3:]])

    assert errors_of(jsonl(longer))[0].message == str(importer.CASE_CHANGED)
    summary = import_as_system(jsonl(longer), update=True)
    assert (summary.created, summary.updated, summary.skipped) == (0, 1, 0)
    case.refresh_from_db()
    assert case.state == workflow.State.CLOSED and case.outflow.confirmed_on == datetime.date(2020, 2, 3)
    assert case.timeline.count() == timeline + 7  # 6 events + the confirmation
    # The new fingerprint is the one compared from now on.
    assert import_as_system(jsonl(longer)).skipped == 1
    assert import_as_system(jsonl(longer), update=True).skipped == 1


@pytest.mark.parametrize(
    "changed",
    [
        line(events=[*OPEN_EVENTS[:2], {"type": "waitlisted", "date": "2019-04-01"}]),  # not a prefix
        line(events=OPEN_EVENTS[:2]),  # shorter
        line(events=[*OPEN_EVENTS, EXAMPLE["events"][3]], prior_departure_procedures=5),  # other non-event field
    ],
    ids=["other-events", "shorter", "other-field"],
)
def test_update_refuses_anything_but_added_events(world, changed):
    import_as_system(jsonl(line(events=OPEN_EVENTS)))
    before = counts()
    errors = errors_of(jsonl(changed), update=True)
    assert [e.as_dict() for e in errors] == [{"line": 1, "field": "events", "message": str(importer.UPDATE_NOT_PREFIX)}]
    assert counts() == before


def test_update_reports_what_the_services_refuse(world):
    """Steps taken by hand after the import can make the added events impossible."""
    import_as_system(jsonl(line(events=OPEN_EVENTS)))
    case = Case.objects.get(external_id="AMS-2019-0001")
    services.record_outflow(
        acting_user=SYSTEM, origin=COMMAND, case=case, category="other", on=datetime.date(2019, 5, 1)
    )
    before = counts()
    longer = line(events=[*OPEN_EVENTS, {"type": "scenario_set", "date": "2019-06-01", "direction": "departure"}])
    errors = errors_of(jsonl(longer), update=True)
    expected = workflow.StepNotAllowed(workflow.STEPS["set_scenario"], workflow.State.CLOSED)
    assert [e.as_dict() for e in errors] == [{"line": 1, "field": "events[3].type", "message": str(expected)}]
    assert counts() == before


def test_skipped_reimport_runs_a_fixed_number_of_queries(world):
    small = [
        line(external_id=f"AMS-Q-{n}", person={**EXAMPLE["person"], "v_number": None, "given_names": f"Abel{n}"})
        for n in range(3)
    ]
    large = [
        line(external_id=f"AMS-Q-{n}", person={**EXAMPLE["person"], "v_number": None, "given_names": f"Abel{n}"})
        for n in range(12)
    ]
    import_as_system(jsonl(*large))
    with CaptureQueriesContext(connection) as few:
        assert import_as_system(jsonl(*small)).skipped == 3
    with CaptureQueriesContext(connection) as many:
        assert import_as_system(jsonl(*large)).skipped == 12
    assert len(few) == len(many)


# --- The same as doing the steps by hand ----------------------------------------------------------


def snapshot(case: Case) -> dict:
    case.refresh_from_db()
    outflow = Outflow.objects.filter(case=case).values_list("category", "outflow_on", "country", "confirmed_on")
    return {
        "case": (
            case.state,
            case.registered_on,
            case.decided_on,
            case.waitlisted_on,
            case.shelter_started_on,
            case.closed_on,
            case.within_covenant,
            case.exception_ground,
            case.exception_reason,
            case.rejection_reason,
            case.case_types,
            case.prior_departure_procedures,
            case.version,
        ),
        "scenarios": list(case.scenarios.order_by("set_on", "id").values_list("direction", "route", "set_on")),
        "dossier": list(case.dossier_parts.order_by("kind").values_list("kind", "requested_on", "delivered_on")),
        "checks": list(case.cooperation_checks.order_by("checked_on", "id").values_list("checked_on", "result")),
        "outflow": list(outflow),
        # Open deadlines: by hand, rows can be created and resolved again on the way (a
        # dossier part requested, then delivered); the import derives them once at the end.
        "deadlines": list(
            case.deadlines.filter(resolved_on__isnull=True)
            .order_by("kind")
            .values_list("kind", "base_due_on", "due_on")
        ),
        "timeline": list(case.timeline.order_by("occurred_on", "id").values_list("type", "occurred_on", "data")),
    }


def by_hand_open(location) -> Case:
    kw = {"acting_user": SYSTEM, "origin": COMMAND}
    d = datetime.date
    case = services.register_person_and_case(
        **kw,
        location=location,
        person_fields={"v_number": "5555555555", "family_name": "Haile", "given_names": "Yonas"},
        case_fields={
            "external_id": "BY-HAND",
            "registered_on": d(2019, 6, 3),
            "case_types": ["safe_country"],
            "prior_departure_procedures": 6,
        },
    )
    kw["case"] = case
    case = services.admit(**kw, on=d(2019, 6, 10), require_check=False, waitlist_when_full=False)
    case = services.waitlist(**{**kw, "case": case}, on=d(2019, 6, 10), enforce_capacity=False)
    case = services.start_shelter(**{**kw, "case": case}, on=d(2019, 7, 1), enforce_capacity=False)
    case = services.deliver_dossier_part(**{**kw, "case": case}, kind="DTV", on=d(2019, 7, 8))
    case = services.deliver_dossier_part(**{**kw, "case": case}, kind="IND", on=d(2019, 7, 15))
    case = services.record_cooperation_check(**{**kw, "case": case}, result="sufficient", on=d(2019, 8, 1))
    case = services.set_scenario(**{**kw, "case": case}, direction="residence", on=d(2019, 9, 2))
    case = services.record_mrt_discussion(**{**kw, "case": case}, outcome=None, on=d(2019, 9, 2), imported=True)
    return case


OPEN_LINE = {
    "schema": "lvv-case/1",
    "external_id": "IMPORTED",
    "lvv": "amsterdam",
    "person": {"v_number": "6666666666", "family_name": "Haile", "given_names": "Yonas"},
    "case_types": ["safe_country"],
    "prior_departure_procedures": 6,
    "events": [
        {"type": "registered", "date": "2019-06-03"},
        {"type": "admitted", "date": "2019-06-10"},
        {"type": "waitlisted", "date": "2019-06-10"},
        {"type": "shelter_started", "date": "2019-07-01"},
        {"type": "dossier_delivered", "date": "2019-07-08", "by": "DTV"},
        {"type": "dossier_delivered", "date": "2019-07-15", "by": "IND"},
        {"type": "cooperation_checked", "date": "2019-08-01", "result": "sufficient"},
        {"type": "scenario_set", "date": "2019-09-02", "direction": "residence"},
        {"type": "mrt_discussed", "date": "2019-09-02", "outcome": None},
    ],
}


def by_hand_closed(location) -> Case:
    kw = {"acting_user": SYSTEM, "origin": COMMAND}
    d = datetime.date
    case = services.register_person_and_case(
        **kw,
        location=location,
        person_fields={"family_name": "Diallo", "given_names": "Aissatou", "birth_date": d(1979, 1, 1)},
        case_fields={"external_id": "BY-HAND-2", "registered_on": d(2019, 4, 2)},
    )
    kw["case"] = case
    case = services.admit(
        **kw,
        on=d(2019, 4, 2),
        exception="humanitarian",
        exception_reason=importer.DEFAULT_EXCEPTION_REASON,
        require_check=False,
        waitlist_when_full=False,
    )
    case = services.start_shelter(**{**kw, "case": case}, on=d(2019, 4, 3), enforce_capacity=False)
    case = services.set_scenario(**{**kw, "case": case}, direction="departure", on=d(2019, 5, 1))
    case = services.record_cooperation_check(**{**kw, "case": case}, result="insufficient", on=d(2019, 6, 1))
    case = services.record_outflow(**{**kw, "case": case}, category="residence_granted", on=d(2019, 12, 2))
    case = services.confirm_outflow(**{**kw, "case": case}, on=d(2019, 12, 2))
    return case


CLOSED_LINE = {
    "schema": "lvv-case/1",
    "external_id": "IMPORTED-2",
    "lvv": "amsterdam",
    "within_covenant": False,
    "person": {"family_name": "Diallo", "given_names": "Aissatou", "birth_date": "1979-01-01"},
    "events": [
        {"type": "admitted", "date": "2019-04-02", "exception": "humanitarian"},
        {"type": "shelter_started", "date": "2019-04-03"},
        {"type": "scenario_set", "date": "2019-05-01", "direction": "departure"},
        {"type": "cooperation_checked", "date": "2019-06-01", "result": "insufficient"},
        {"type": "outflow", "date": "2019-12-02", "category": "residence_granted", "verified": True},
    ],
}


@pytest.mark.parametrize(
    ("data", "by_hand"), [(OPEN_LINE, by_hand_open), (CLOSED_LINE, by_hand_closed)], ids=["open", "closed"]
)
def test_import_gives_the_same_case_as_the_steps_by_hand(world, data, by_hand):
    hand = by_hand(LocationFactory(slug="elders"))
    import_as_system(jsonl(data))
    imported = Case.objects.get(external_id=data["external_id"])
    assert snapshot(imported) == snapshot(hand)
    if imported.state != "closed":
        assert snapshot(imported)["deadlines"]  # something to compare
    else:
        assert not imported.deadlines.filter(resolved_on__isnull=True).exists()


# --- The command -------------------------------------------------------------------------------------


def test_command_prints_the_summary(world, tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_bytes(FIXTURE.read_bytes())
    out = io.StringIO()
    call_command("import_cases", str(path), stdout=out)
    text = out.getvalue()
    assert "Regels gelezen: 5" in text and "Casussen aangemaakt: 5" in text
    assert "amsterdam: 3 regels, 3 aangemaakt, 0 bijgewerkt, 0 overgeslagen" in text
    # The command acts as the system, from the command line.
    entry = AccessLogEntry.objects.filter(detail__has_key="import").first()
    assert (entry.actor_id, entry.actor_username, entry.channel) == (None, "system", "command")


def test_command_dry_run_writes_nothing(world):
    before = (*counts(), AccessLogEntry.objects.count())
    out = io.StringIO()
    call_command("import_cases", str(FIXTURE), "--dry-run", stdout=out)
    assert "Casussen aangemaakt: 5" in out.getvalue()
    assert "Proefimport (dry run): niets opgeslagen." in out.getvalue()
    assert (*counts(), AccessLogEntry.objects.count()) == before


def test_command_dry_run_finds_service_errors_too(world, monkeypatch):
    clash = line(external_id=world.ams.assigned.external_id)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(jsonl(clash)), encoding="utf-8"))
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_cases", "-", "--dry-run", stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert f"regel 1, external_id: {importer.CASE_NOT_IMPORTED}" in err.getvalue()


def test_command_reads_standard_input(world, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(FIXTURE.read_bytes()), encoding="utf-8"))
    out = io.StringIO()
    call_command("import_cases", "-", stdout=out)
    assert "Casussen aangemaakt: 5" in out.getvalue()
    assert Case.objects.filter(external_id="RTM-0002").exists()


def test_command_invalid_data_raises_with_exit_code_1_and_lists_errors(world, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(jsonl(line(), line(external_id="AMS-2", lvv="atlantis")))
    before = counts()
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_cases", str(path), stdout=io.StringIO(), stderr=err)
    assert caught.value.returncode == 1
    assert f"regel 2, lvv: {importer.UNKNOWN_LVV}" in err.getvalue()
    assert counts() == before


def test_command_unreadable_file_is_exit_code_2(world, tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("import_cases", str(tmp_path / "missing.jsonl"))
    assert caught.value.returncode == 2


def test_command_process_exits_1_on_invalid_data(world):
    """The real process: ``manage.py import_cases -`` with a broken line exits with status 1."""
    db = connection.settings_dict
    host = quote(db["HOST"] or "127.0.0.1", safe="")  # a socket directory for the embedded server
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    url = f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "lvv.settings_test"}
    result = subprocess.run(
        [sys.executable, "manage.py", "import_cases", "-"],
        input=b"{broken\n",
        capture_output=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert "regel 1" in result.stderr.decode()


# --- The API -----------------------------------------------------------------------------------------


def post(client, user, data: bytes, query: str = "", **extra):
    client.force_authenticate(user)
    return client.post(URL + query, data=data, content_type=NDJSON, **extra)


def importing_worker(world):
    """The Amsterdam case worker with the special-category permission: the lines hold special
    case types (medical, psychological), which only such a user may set (test_special_case_types)."""
    worker = world.ams.users[Role.CASEMANAGER]
    worker.user_permissions.add(Permission.objects.get(codename="view_special_category"))
    return worker


AMS_ONLY = jsonl(
    line(),
    line(external_id="AMS-2", person={"family_name": "Kidane", "given_names": "Helen"}, events=OPEN_EVENTS),
)


def test_api_case_worker_imports_for_own_lvv(api_client, world):
    worker = importing_worker(world)
    response = post(api_client, worker, AMS_ONLY)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["lines"], body["created"], body["skipped"], body["dry_run"]) == (2, 2, 0, False)
    assert body["per_lvv"] == {"amsterdam": {"lines": 2, "created": 2, "updated": 0, "skipped": 0}}
    case = Case.objects.get(external_id="AMS-2019-0001")
    assert case.created_by == worker and case.state == workflow.State.CLOSED
    assert case.timeline.get(type="admitted").actor == worker

    again = post(api_client, worker, AMS_ONLY)
    assert again.status_code == 200 and again.json()["skipped"] == 2


def test_api_matches_persons_without_v_number_for_a_case_worker(api_client, world):
    worker = importing_worker(world)
    nameless = {"family_name": "Haile", "given_names": "Senait", "birth_date": "1988-08-08"}
    first = jsonl(line(external_id="AMS-N1", person=nameless, events=OPEN_EVENTS[:1]))
    second = jsonl(line(external_id="AMS-N2", person=nameless, events=OPEN_EVENTS[:1]))
    assert post(api_client, worker, first).status_code == 201
    assert post(api_client, worker, second).status_code == 201
    persons = set(Case.objects.filter(external_id__in=["AMS-N1", "AMS-N2"]).values_list("person", flat=True))
    assert len(persons) == 1


def test_api_steps_of_other_roles_are_done_as_system_and_logged_for_the_user(api_client, world):
    """Dossier delivery is an IND/DT&V step and confirming an outflow a chain partner's."""
    worker = importing_worker(world)
    assert post(api_client, worker, jsonl(line())).status_code == 201
    case = Case.objects.get(external_id="AMS-2019-0001")
    assert set(case.dossier_parts.values_list("delivered_by", flat=True)) == {None}
    assert case.timeline.get(type="dossier_delivered", data__by="IND").actor is None
    on_behalf = AccessLogEntry.objects.filter(actor=worker, object_id=str(case.pk), detail__performed_as="system")
    assert sorted(on_behalf.values_list("detail__step", flat=True)) == [
        "confirm_outflow",
        "deliver_dossier_dtv",
        "deliver_dossier_ind",
    ]
    assert {row.channel for row in on_behalf} == {"api"}
    system_rows = AccessLogEntry.objects.filter(actor_username="system", object_id=str(case.pk))
    assert sorted(system_rows.values_list("detail__step", flat=True)) == [
        "confirm_outflow",
        "deliver_dossier",
        "deliver_dossier",
    ]


def test_api_dry_run_and_update_flags(api_client, world):
    worker = importing_worker(world)
    before = counts()
    response = post(api_client, worker, AMS_ONLY, "?dry_run=1")
    assert response.status_code == 200 and response.json()["dry_run"] is True
    assert response.json()["created"] == 2
    assert counts() == before

    assert post(api_client, worker, jsonl(line(events=OPEN_EVENTS))).status_code == 201
    longer = jsonl(
        line(events=[*OPEN_EVENTS, {"type": "scenario_set", "date": "2019-05-07", "direction": "departure"}])
    )
    assert post(api_client, worker, longer).status_code == 400
    updated = post(api_client, worker, longer, "?update=1")
    assert updated.status_code == 201 and updated.json()["updated"] == 1

    assert post(api_client, worker, AMS_ONLY, "?dry_run=maybe").status_code == 400


def test_api_invalid_file_answers_400_with_line_errors(api_client, world):
    worker = world.ams.users[Role.CASEMANAGER]
    before = counts()
    bad = line(external_id="AMS-2")
    bad["events"][3]["date"] = "2019-03-01"
    response = post(api_client, worker, jsonl(line(), bad))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"line": 2, "field": "events[3].date", "message": str(importer.DATE_ORDER % {"date": "2019-04-01"})}
    ]
    assert counts() == before
    assert AccessLogEntry.objects.filter(actor=worker, result="invalid").exists()


@pytest.mark.parametrize(
    "who",
    [
        lambda w: w.rot.users[Role.CASEMANAGER],  # another LVV's case worker
        lambda w: w.ams.users["ngo_b"],  # an NGO (none of its cases)
        lambda w: w.ams.users[Role.NGO],
        lambda w: w.ams.users[Role.IND],
        lambda w: w.ams.users[Role.LSO_CHAIR],
        lambda w: w.bureau,  # the programme bureau never touches a case
    ],
    ids=["other-lvv-worker", "unassigned-ngo", "assigned-ngo", "ind", "lso-chair", "bureau"],
)
def test_api_others_get_403_naming_the_lvv_and_learn_nothing_more(api_client, world, who):
    user = who(world)
    before = counts()
    # An existing external id, an invalid line: the answer is the same 403 either way.
    clash = line(external_id=world.ams.assigned.external_id)
    broken = line(external_id="AMS-3", schema="nope")
    answers = [post(api_client, user, data) for data in (AMS_ONLY, jsonl(clash), jsonl(broken))]
    assert {r.status_code for r in answers} == {403}
    expected = {"detail": str(importer.FORBIDDEN_LVV % {"lvv": "amsterdam"})}
    assert all(r.json() == expected for r in answers)
    assert counts() == before
    assert (
        AccessLogEntry.objects.filter(actor=user, result="denied", detail__import_refused__lvv="amsterdam").count() == 3
    )


def test_api_file_naming_a_second_lvv_is_refused_whole(api_client, world):
    worker = world.ams.users[Role.CASEMANAGER]
    before = counts()
    mixed = AMS_ONLY + jsonl(line(external_id="RTM-9", lvv="rotterdam"))
    response = post(api_client, worker, mixed)
    assert response.status_code == 403
    assert response.json()["detail"] == str(importer.FORBIDDEN_LVV % {"lvv": "rotterdam"})
    # An LVV that does not exist is refused the same way (its existence is not revealed).
    unknown = post(api_client, worker, jsonl(line(lvv="atlantis")))
    assert unknown.status_code == 403
    assert unknown.json()["detail"] == str(importer.FORBIDDEN_LVV % {"lvv": "atlantis"})
    assert counts() == before


def test_api_needs_login_and_ndjson(api_client, world):
    assert api_client.post(URL, data=AMS_ONLY, content_type=NDJSON).status_code in (401, 403)
    api_client.force_authenticate(importing_worker(world))
    assert api_client.post(URL, data={"a": 1}, format="json").status_code == 415
    with_charset = api_client.post(URL, data=AMS_ONLY, content_type=f"{NDJSON}; charset=utf-8")
    assert with_charset.status_code == 201
    empty = api_client.post(URL, data=b"", content_type=NDJSON)
    assert empty.status_code == 400
    assert empty.json()["errors"] == [{"line": None, "field": "", "message": str(importer.EMPTY_FILE)}]


def test_api_is_in_the_schema(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    schema = api_client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert NDJSON in schema.json()["paths"]["/api/v1/imports/"]["post"]["requestBody"]["content"]
