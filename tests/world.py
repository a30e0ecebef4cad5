"""The ``world`` fixture's rows, made once per test process and inserted again per test.

Most tests start from the same two LVVs with their partners, users and cases. Made by the
factories (get-or-create, a password, a save each) they take about 165 queries; inserted
again from the rows the first build made, one INSERT a model (about a tenth of the time).
The copies are new objects with the same ids and field values as the first build's rows,
the foreign keys the first build had loaded already loaded (to the copies), and
``post_save`` sent for each as a save would (the access policy's scope generation).

The blueprint is used only where the first build made every row itself (nothing was there
before) and where none of its keys exists when the test starts (a test that made an LVV of
the same name first gets the factories' get-or-create, as before).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.db import models
from django.db.models.signals import post_save

from lvv.accounts.models import User
from lvv.partners.models import Location, Organisation

# The keys the factories get-or-create on: a row with one of them makes the blueprint unfit.
KEYS = {Organisation: "name", Location: "slug", User: "username"}


class Blueprint:
    def __init__(self) -> None:
        self.rows: list[tuple[type[models.Model], Any, dict[str, Any], dict[str, tuple[type[models.Model], Any]]]] = []
        self.shape: Any = None

    def get(self, build: Callable[[], SimpleNamespace]) -> SimpleNamespace:
        if self.shape is not None and not self._taken():
            return self._insert()
        made: list[models.Model] = []

        def collect(sender, instance, created, **kwargs):
            if created:
                made.append(instance)

        post_save.connect(collect, weak=False, dispatch_uid="tests-world-blueprint")
        try:
            world = build()
        finally:
            post_save.disconnect(dispatch_uid="tests-world-blueprint")
        if self.shape is None and self._complete(world, made):
            self.rows = [(type(row), row.pk, _values(row), _loaded(row)) for row in made]
            self.shape = _shape(world)
        return world

    def _complete(self, world: SimpleNamespace, made: list[models.Model]) -> bool:
        """Every object of the world was made by this build (none was there before)."""
        made_keys = {(type(row), row.pk) for row in made}
        return all(key in made_keys for key in _objects(world))

    def _taken(self) -> bool:
        """Whether a row with one of the blueprint's keys exists (one query)."""
        wanted: dict[type[models.Model], list[Any]] = {}
        for model, _pk, values, _loaded in self.rows:
            if model in KEYS:
                wanted.setdefault(model, []).append(values[KEYS[model]])
        queries = [model.objects.filter(**{f"{KEYS[model]}__in": keys}).values("pk") for model, keys in wanted.items()]
        first, *rest = queries
        return first.union(*rest, all=True).exists()

    def _insert(self) -> SimpleNamespace:
        copies = {(model, pk): model(**copy.deepcopy(values)) for model, pk, values, _loaded in self.rows}
        for model, pk, _values, loaded in self.rows:
            row = copies[(model, pk)]
            for name, key in loaded.items():
                model._meta.get_field(name).set_cached_value(row, copies[key])
        by_model: dict[type[models.Model], list[models.Model]] = {}
        for (model, _pk), row in copies.items():
            by_model.setdefault(model, []).append(row)
        for model, rows in by_model.items():
            model.objects.bulk_create(rows)
        for model, rows in by_model.items():
            for row in rows:
                post_save.send(sender=model, instance=row, created=True, update_fields=None, raw=False, using="default")
        return _fill(self.shape, copies)


def _values(row: models.Model) -> dict[str, Any]:
    return copy.deepcopy({field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields})


def _loaded(row: models.Model) -> dict[str, tuple[type[models.Model], Any]]:
    """The foreign keys of the row whose objects were loaded (to load the copies' alike)."""
    loaded = {}
    for field in row._meta.concrete_fields:
        if field.is_relation and field.is_cached(row):
            related = field.get_cached_value(row)
            if related is not None:
                loaded[field.name] = (type(related), related.pk)
    return loaded


def _objects(value: Any):
    if isinstance(value, models.Model):
        yield (type(value), value.pk)
    elif isinstance(value, SimpleNamespace):
        for item in vars(value).values():
            yield from _objects(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _objects(item)


class _Ref(NamedTuple):
    model: type[models.Model]
    pk: Any


def _shape(value: Any) -> Any:
    """The world with its objects replaced by references (model, pk)."""
    if isinstance(value, models.Model):
        return _Ref(type(value), value.pk)
    if isinstance(value, SimpleNamespace):
        return SimpleNamespace(**{name: _shape(item) for name, item in vars(value).items()})
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return value


def _fill(shape: Any, copies: dict) -> Any:
    if isinstance(shape, _Ref):
        return copies[tuple(shape)]
    if isinstance(shape, SimpleNamespace):
        return SimpleNamespace(**{name: _fill(item, copies) for name, item in vars(shape).items()})
    if isinstance(shape, dict):
        return {key: _fill(item, copies) for key, item in shape.items()}
    return shape
