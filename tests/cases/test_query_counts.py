"""Pages run a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lvv.accounts.models import Role
from tests.factories import CaseFactory
from tests.queries import count_queries

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url_name", ["cases:list", "home"])
def test_case_list_and_home_constant_for_5_and_50_cases(client, world, url_name, django_assert_max_num_queries):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    # The case list with rows: all cases (a case worker's list shows "my cases" by default).
    params = {"mine": "false"} if url_name == "cases:list" else {}
    CaseFactory.create_batch(3, location=world.ams.location, assigned_ngo=world.ams.ngo_a)
    small = count_queries(client, reverse(url_name), params)
    CaseFactory.create_batch(45, location=world.ams.location, assigned_ngo=world.ams.ngo_b)
    large = count_queries(client, reverse(url_name), params)
    assert small == large
    with django_assert_max_num_queries(small):
        client.get(reverse(url_name), {"q": "Achternaam"})


def test_case_page_query_count(client, world, django_assert_max_num_queries):
    client.force_login(world.ams.users[Role.CASEMANAGER])
    # 21, one for the journal, two for the owners (history, colleagues), one for the documents,
    # three for the procedures (applications, departure steps, plans)
    with django_assert_max_num_queries(28):
        client.get(reverse("cases:detail", args=[world.ams.assigned.pk]))


def test_api_list_constant(api_client, world):
    api_client.force_authenticate(world.ams.users[Role.CASEMANAGER])
    CaseFactory.create_batch(3, location=world.ams.location)
    api_client.get("/api/v1/cases/")  # warm the content-type cache
    with CaptureQueriesContext(connection) as small:
        api_client.get("/api/v1/cases/")
    CaseFactory.create_batch(45, location=world.ams.location)
    with CaptureQueriesContext(connection) as large:
        api_client.get("/api/v1/cases/")
    assert len(small.captured_queries) == len(large.captured_queries)
