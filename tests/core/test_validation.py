"""``lvv.validation.CheapValidation``: the same errors as Django's ``full_clean``, in fewer queries.

Django asks the database once per check constraint (in a savepoint of its own) and once per
foreign key; the mixin asks once for all the checks and does not fetch a loaded foreign key
again. Every model with the mixin is compared with Django's own validation, on an empty
instance and on instances that break several rules at once.
"""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import Note
from lso.models import ItemOutcome
from lvv.validation import CheapValidation
from mrt.models import Advice
from procedures.models import Application

pytestmark = pytest.mark.django_db

MODELS = sorted(
    (model for model in apps.get_models() if issubclass(model, CheapValidation)), key=lambda m: m._meta.label
)


def errors(validate, *args, **kwargs) -> dict | None:
    try:
        validate(*args, **kwargs)
    except ValidationError as error:
        return error.message_dict
    return None


def assert_same_constraint_errors(instance, exclude=None) -> None:
    ours = errors(instance.validate_constraints, exclude=exclude)
    django = errors(models.Model.validate_constraints, instance, exclude=exclude)
    assert ours == django


def test_the_mixin_is_on_the_models_the_services_validate():
    labels = {model._meta.label for model in MODELS}
    assert {"cases.Note", "cases.Case", "cases.Document", "procedures.Application", "lso.Meeting"} <= labels


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_an_empty_instance_gets_the_errors_of_django(model):
    assert_same_constraint_errors(model())


def test_several_broken_rules_give_the_errors_of_django(world):
    case = world.ams.assigned
    note = Note(case=case, text="", kind="bogus", confidentiality="secret", written_on=datetime.date(2026, 1, 1))
    assert_same_constraint_errors(note)
    assert len(errors(note.validate_constraints)["__all__"]) == 3
    assert_same_constraint_errors(Note(case=case, text="x" * 5001, kind="other"))
    application = Application(
        case=case,
        kind="regular",
        submitted_by="nobody",
        submitted_on=datetime.date(2026, 3, 1),
        decided_on=datetime.date(2026, 2, 1),
        outcome="",
    )
    assert_same_constraint_errors(application)
    assert len(errors(application.validate_constraints)["__all__"]) == 3
    assert_same_constraint_errors(ItemOutcome(advice_followed=False, advice_not_followed_reason=""))
    assert_same_constraint_errors(Advice(no_durable_solution_possible=True, direction="departure"))


def test_a_rule_on_an_excluded_field_is_left_out_as_django_does(world):
    note = Note(case=world.ams.assigned, text="", kind="bogus")
    assert_same_constraint_errors(note, exclude={"text"})
    assert_same_constraint_errors(note, exclude={"text", "kind"})
    assert errors(note.validate_constraints, exclude={"text", "kind"}) is None


def test_a_valid_note_is_checked_in_one_query_and_its_loaded_keys_not_fetched(world):
    user = world.ams.users["casemanager"]
    note = Note(
        case=world.ams.assigned, text="Gesprek", kind="conversation", author=user, written_on=datetime.date(2026, 1, 1)
    )
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ours:
            note.full_clean()
        with CaptureQueriesContext(connection) as django:  # Django's: per foreign key and per constraint
            models.Model.clean_fields(note)
            models.Model.validate_constraints(note)
    selects = [query["sql"] for query in ours.captured_queries if "SAVEPOINT" not in query["sql"]]
    assert len(selects) == 1 and "_check_" in selects[0], selects
    assert len(ours.captured_queries) == 3  # the SELECT in one savepoint
    assert len(django.captured_queries) == 2 + 3 * 5


def test_a_key_to_a_missing_row_still_fails(world):
    note = Note(case_id=world.ams.assigned.pk + 10_000, text="Gesprek", kind="conversation")
    with pytest.raises(ValidationError) as raised:
        note.full_clean()
    assert "case" in raised.value.message_dict
    # An object that is loaded but for another id than the key is not trusted either.
    stale = Note(case=world.ams.assigned, text="Gesprek", kind="conversation")
    stale.case_id = world.ams.assigned.pk + 10_000
    with pytest.raises(ValidationError) as raised:
        stale.full_clean()
    assert "case" in raised.value.message_dict


def test_a_loaded_key_outside_its_choices_still_fails(world):
    """``Case.assigned_ngo`` is limited to NGOs: a loaded municipality is refused, as by Django."""
    case = world.ams.assigned
    case.assigned_ngo = world.ams.location.municipality
    with pytest.raises(ValidationError) as raised:
        case.clean_fields()
    assert "assigned_ngo" in raised.value.message_dict
