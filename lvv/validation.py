"""Model validation at a fixed cost: ``full_clean`` in a handful of queries, not one per rule.

Django's ``full_clean`` asks the database once per check constraint (``Q.check``: a SELECT,
inside a savepoint of its own when a transaction is open, so three queries per constraint), and
once per foreign key to see that the row it points to exists. A note has five check
constraints and three foreign keys: 18 of the 24 queries of ``add_note`` were validation.

``CheapValidation`` (a mixin, before ``models.Model`` in the bases) keeps what is validated and
the errors it gives, and changes how:

- every check constraint of the model is evaluated in ONE query (in one savepoint), each
  condition a column; a failed one gives the same error as Django's (its violation message
  and code, under ``__all__``); a condition that refers to an excluded field is skipped, as in
  Django; other constraints (unique ones) are validated by Django as before;
- a foreign key whose object is loaded on the instance (a saved row, the same id) is not looked
  up again: the service holds that row, and the database's foreign key still guards it. A key
  with ``limit_choices_to`` is, since that query also checks the limit.

``tests/core/test_validation.py`` compares the errors with Django's own, rule by rule.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from contextlib import nullcontext
from typing import TYPE_CHECKING

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, CheckConstraint, Q, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # a model for the type checker; at run time a plain mixin (no model of its own)
    _ModelMixin = models.Model
else:
    _ModelMixin = object


class CheapValidation(_ModelMixin):
    """Check constraints in one query; loaded foreign keys not fetched again (module doc)."""

    def clean_fields(self, exclude: Collection[str] | None = None) -> None:
        exclude = set(exclude or ())
        for field in self._meta.concrete_fields:
            # A key with limit_choices_to is looked up as before: the query checks the limit too.
            if (
                isinstance(field, models.ForeignKey)
                and not field.remote_field.limit_choices_to
                and field.is_cached(self)
            ):
                related = field.get_cached_value(self)
                if related is not None and not related._state.adding and related.pk == getattr(self, field.attname):
                    exclude.add(field.name)
        super().clean_fields(exclude=exclude)

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        using = router.db_for_write(self.__class__, instance=self)
        errors: dict = {}
        checks: list[tuple[CheckConstraint, type[models.Model]]] = []
        for model_class, constraints in self.get_constraints():
            for constraint in constraints:
                if isinstance(constraint, CheckConstraint):
                    checks.append((constraint, model_class))
                    continue
                try:  # as Model.validate_constraints (the stubs lack BaseConstraint.validate)
                    constraint.validate(model_class, self, exclude=exclude, using=using)  # type: ignore[attr-defined]
                except ValidationError as error:
                    fields: tuple[str, ...] = tuple(getattr(constraint, "fields", ()))
                    if getattr(error, "code", None) == "unique" and len(fields) == 1:
                        errors.setdefault(fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        for failed in failed_checks(self, checks, exclude=exclude, using=using):
            violation = ValidationError(failed.get_violation_error_message(), code=failed.violation_error_code)
            errors = violation.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)


def failed_checks(
    instance: models.Model,
    checks: list[tuple[CheckConstraint, type[models.Model]]],
    *,
    exclude: Collection[str] | None,
    using: str,
) -> list[CheckConstraint]:
    """The check constraints ``instance`` breaks, found in one query (Django's ``Q.check`` for
    all of them at once: the instance's values as annotations, each condition a column)."""
    if not checks:
        return []
    query = Query(None)
    seen: set[type[models.Model]] = set()
    columns: list[tuple[str, CheckConstraint]] = []
    for index, (constraint, model_class) in enumerate(checks):
        if model_class not in seen:
            seen.add(model_class)
            against = instance._get_field_expression_map(meta=model_class._meta, exclude=exclude)  # type: ignore[attr-defined]
            for name, value in against.items():
                if name not in query.annotations:
                    expression = value if hasattr(value, "resolve_expression") else Value(value)
                    query.add_annotation(expression, name, select=False)
        alias = f"_check_{index}"
        try:
            query.add_annotation(Coalesce(Q(constraint.condition), True, output_field=BooleanField()), alias)
        except FieldError:  # the condition refers to an excluded field: Django skips it too
            continue
        columns.append((alias, constraint))
    if not columns:
        return []
    connection = connections[using]
    try:
        with transaction.atomic(using=using) if connection.in_atomic_block else nullcontext():
            row = query.get_compiler(using=using).execute_sql(SINGLE)
    except DatabaseError as error:  # as Django: a value the database cannot compare passes
        logger.warning("Got a database error checking the constraints of %r: %s", instance, error)
        return []
    return [constraint for (alias, constraint), passed in zip(columns, row, strict=True) if not passed]
