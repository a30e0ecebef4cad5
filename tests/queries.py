"""Shared by the tests that count a page's queries: one request's, and that they stay the same as
the data grows."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext


def count_queries(client, url: str, params: dict | None = None, **headers) -> int:
    """The queries of one GET of ``url`` with ``params`` and ``headers``; it must answer 200."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params, **headers)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def assert_queries_stay_fixed(grow, count, few: int, more: int) -> int:
    """``count()`` queries after ``grow(more)`` as many as after ``grow(few)``; returns that number."""
    grow(few)
    small = count()
    grow(more)
    assert count() == small
    return small
