"""Shared by the tests of records that never change once written (the journal's notes, a
published snapshot): the model refuses a change and a deletion, one by one and in bulk."""

from __future__ import annotations

import pytest


def assert_model_refuses_changes(record, error: type[Exception], rows, **change) -> None:
    """Saving ``change`` to ``record``, deleting it, and updating or deleting ``rows`` (a
    queryset that holds it) each raise ``error``."""
    for name, value in change.items():
        setattr(record, name, value)
    with pytest.raises(error):
        record.save()
    with pytest.raises(error):
        record.delete()
    with pytest.raises(error):
        rows.update(**change)
    with pytest.raises(error):
        rows.delete()
