"""The agenda suggestions paged in SQL: the meeting page shows the most urgent part and the
next on request ("meer tonen": htmx rows, or the page with that part without JavaScript), the
API's pages make up the whole list in the same order, and neither runs more queries for more
suggestions. The order: the most urgent reason, then the case's reference (compared as
Python compares strings), then its id."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cases.models import Case
from lso import presenters, selectors, services
from lso.models import Reason
from lvv.accounts.models import Role
from lvv.audit.log import COMMAND
from tests.factories import CaseFactory
from tests.lso.helpers import chair, meeting_for, scenario_case, sheltered_case

pytestmark = pytest.mark.django_db

PER_PAGE = 3
API = "/api/v1"


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(presenters, "SUGGESTIONS_PER_PAGE", PER_PAGE)


def requested(lvv, **kwargs):
    case = sheltered_case(lvv, **kwargs)
    services.request_lso_discussion(acting_user=lvv.users[Role.NGO], origin=COMMAND, case=case, reason="Graag.")
    return case


def rest_ended(lvv, **kwargs):
    return CaseFactory(location=lvv.location, assigned_ngo=lvv.ngo_a, dossier_complete=True, **kwargs)


def mixed(lvv) -> dict[str, Case]:
    """Suggestions of three reasons, with references that sort differently in a language's
    collation than in code-point order (upper case before lower case, "LVV-<id>" without an
    external id)."""
    return {
        # Rest period ended (most urgent).
        "rest_b": rest_ended(lvv, external_id="B-2"),
        "rest_lower": rest_ended(lvv, external_id="a-3"),
        "rest_none": rest_ended(lvv, external_id=""),
        "rest_a": rest_ended(lvv, external_id="A-1"),
        # Scenario review due.
        "review_z": scenario_case(lvv, external_id="Z-9"),
        "review_c": scenario_case(lvv, external_id="C-1"),
        # Requested by a partner (least urgent of these).
        "requested_d": requested(lvv, external_id="D-4"),
        "requested_none": requested(lvv, external_id=""),
    }


def in_python_order(meeting, user) -> list[int]:
    found = selectors.suggestions(meeting, user)
    return [
        s.case.pk
        for s in sorted(
            found, key=lambda s: (selectors.REASON_ORDER.index(s.reasons[0].reason), s.case.reference, s.case.pk)
        )
    ]


def test_the_order_is_urgency_then_reference_in_code_point_order(world):
    ams = world.ams
    made = mixed(ams)
    meeting = meeting_for(ams)
    found = selectors.suggestions(meeting, chair(ams))
    order = [s.case.pk for s in found]
    none = made["rest_none"].reference  # LVV-<id>
    rest = sorted(["A-1", "B-2", "a-3", none])
    assert [s.case.reference for s in found[:4]] == rest == ["A-1", "B-2", none, "a-3"]
    assert [s.case.pk for s in found[4:6]] == [made["review_c"].pk, made["review_z"].pk]
    assert {s.reason.reason for s in found[6:]} == {Reason.REQUESTED_BY_PARTNER}
    assert order == in_python_order(meeting, chair(ams))
    # Every suggestion is found once, with all its reasons.
    assert len(order) == len(set(order)) == len(made)
    assert {s.case.pk for s in found} == {case.pk for case in made.values()}


def test_a_slice_is_a_part_of_the_whole_list(world):
    ams = world.ams
    mixed(ams)
    meeting = meeting_for(ams)
    user = chair(ams)
    whole = [
        (s.case.pk, [(r.reason, r.detail, r.event_id) for r in s.reasons]) for s in selectors.suggestions(meeting, user)
    ]
    parts = []
    listed = selectors.SuggestionList(meeting, user)
    for start in range(0, len(whole) + 2, PER_PAGE):
        parts += [
            (s.case.pk, [(r.reason, r.detail, r.event_id) for r in s.reasons]) for s in listed[start : start + PER_PAGE]
        ]
    assert parts == whole
    assert listed.count() == len(whole) == len(listed)
    assert listed[len(whole) : len(whole) + PER_PAGE] == []
    # Only some cases (the service that adds suggestions asks for those it adds).
    some = [whole[5][0], whole[1][0]]
    assert [s.case.pk for s in selectors.suggestions(meeting, user, cases=some)] == [whole[1][0], whole[5][0]]
    assert selectors.suggestions(meeting, user, cases=[]) == []
    # Nobody else's: another LVV's chair and the programme bureau get none.
    assert selectors.SuggestionList(meeting, chair(world.rot)).page(0, PER_PAGE) == []
    assert selectors.SuggestionList(meeting, world.bureau).count() == 0


def test_meeting_page_shows_the_most_urgent_and_more_on_request(world, client, small_pages):
    ams = world.ams
    mixed(ams)
    meeting = meeting_for(ams)
    client.force_login(chair(ams))
    whole = [s.case.pk for s in selectors.suggestions(meeting, chair(ams))]
    url = reverse("lso:meeting-detail", args=[meeting.pk])

    page = client.get(url)
    assert [s.case.pk for s in page.context["suggestions"]] == whole[:PER_PAGE]
    assert page.context["suggestions_total"] == len(whole)
    html = page.content.decode()
    assert html.count('data-testid="suggestion"') == PER_PAGE
    assert f"Suggestie 1 tot en met {PER_PAGE} van {len(whole)}" in html
    # "Meer tonen": a link that works without JavaScript and an htmx request for the rows.
    more = reverse("lso:meeting-suggestions", args=[meeting.pk])
    assert f'href="{url}?suggestions=2#suggestions"' in html
    assert f'hx-get="{more}?suggestions=2"' in html and 'hx-target="#suggestion-rows"' in html

    # Without JavaScript: the page with the next part, and a way back to the most urgent.
    second = client.get(url, {"suggestions": "2"})
    assert [s.case.pk for s in second.context["suggestions"]] == whole[PER_PAGE : 2 * PER_PAGE]
    assert "Naar de meest urgente suggesties" in second.content.decode()
    assert f"Suggestie {PER_PAGE + 1} tot en met {2 * PER_PAGE} van {len(whole)}" in second.content.decode()

    # With htmx: the next rows only, appended; focus moves to the first of them; the status
    # and the link are replaced out of band.
    rows = client.get(more, {"suggestions": "2"}, headers={"HX-Request": "true"})
    assert rows.status_code == 200 and "HX-Request" in rows["Vary"]
    part = rows.content.decode()
    assert "<html" not in part and part.count('data-testid="suggestion"') == PER_PAGE
    assert [s.case.pk for s in rows.context["suggestions"]] == whole[PER_PAGE : 2 * PER_PAGE]
    assert part.count("autofocus") == 1 and 'tabindex="-1" autofocus' in part
    assert 'id="suggestions-status" hx-swap-oob="innerHTML"' in part
    assert f"Suggestie 1 tot en met {2 * PER_PAGE} van {len(whole)}" in part
    assert "suggestions=3" in part

    # The last part: no "meer tonen" any more, everything shown.
    last = client.get(more, {"suggestions": "3"}, headers={"HX-Request": "true"}).content.decode()
    assert last.count('data-testid="suggestion"') == len(whole) - 2 * PER_PAGE
    assert 'data-testid="suggestions-more"' not in last
    assert f"{len(whole)} suggesties, de meest urgente eerst." in last

    # Without htmx the rows' address leads to the page with that part.
    response = client.get(more, {"suggestions": "2"})
    assert response.status_code == 302 and response["Location"] == f"{url}?suggestions=2#suggestions"
    # Beyond the end, or not a number: a clear page, never an error.
    beyond = client.get(url, {"suggestions": "999"})
    assert beyond.status_code == 200 and 'data-testid="no-more-suggestions"' in beyond.content.decode()
    assert [s.case.pk for s in client.get(url, {"suggestions": "x"}).context["suggestions"]] == whole[:PER_PAGE]


def test_adding_a_suggestion_from_a_later_part(world, client, small_pages):
    ams = world.ams
    mixed(ams)
    meeting = meeting_for(ams)
    client.force_login(chair(ams))
    last = selectors.suggestions(meeting, chair(ams))[-1]
    response = client.post(reverse("lso:add-suggestion", args=[meeting.pk]), {"case": last.case.pk, "version": 1})
    assert response.status_code == 302
    item = meeting.items.get()
    assert item.case == last.case and item.reason == last.reason.reason and item.reason_detail == last.detail


def _queries(client, django_assert_max_num_queries, url, limit, **headers):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url, headers=headers)
    assert response.status_code == 200
    return len(captured)


def test_meeting_page_and_more_run_the_same_queries_for_many_suggestions(
    world, client, small_pages, django_assert_max_num_queries
):
    ams = world.ams
    meeting = meeting_for(ams)
    client.force_login(chair(ams))
    page = reverse("lso:meeting-detail", args=[meeting.pk])
    more = f"{reverse('lso:meeting-suggestions', args=[meeting.pk])}?suggestions=2"
    for _ in range(2):  # a part and one more on the next
        rest_ended(ams)
        requested(ams)
    client.get(page)  # warm caches
    few = _queries(client, django_assert_max_num_queries, page, 30)
    few_more = _queries(client, django_assert_max_num_queries, more, 15, **{"HX-Request": "true"})
    for _ in range(5):
        rest_ended(ams)
        requested(ams)
        scenario_case(ams)
    assert len(selectors.suggestions(meeting, chair(ams))) > 4 * PER_PAGE
    assert _queries(client, django_assert_max_num_queries, page, 30) == few
    assert _queries(client, django_assert_max_num_queries, more, 15, **{"HX-Request": "true"}) == few_more


def test_api_pages_make_up_the_whole_ordered_list(world, api_client, django_assert_max_num_queries):
    ams = world.ams
    mixed(ams)
    meeting = meeting_for(ams)
    user = chair(ams)
    api_client.force_authenticate(user)
    url = f"{API}/meetings/{meeting.pk}/suggestions/"
    whole = selectors.suggestions(meeting, user)
    listed, page, counts = [], 1, []
    while True:
        with django_assert_max_num_queries(20) as captured:
            response = api_client.get(url, {"page": page, "page_size": PER_PAGE})
        assert response.status_code == 200
        counts.append(len(captured))
        body = response.json()
        assert body["count"] == len(whole)
        listed += body["results"]
        if not body["next"]:
            break
        page += 1
    assert [row["case"]["id"] for row in listed] == [s.case.pk for s in whole] == in_python_order(meeting, user)
    assert [[r["reason"]["code"] for r in row["reasons"]] for row in listed] == [
        [r.reason for r in s.reasons] for s in whole
    ]
    assert [row["detail"] for row in listed] == [s.detail for s in whole]
    assert len(set(counts)) == 1  # every page, the last one too, the same queries
    assert api_client.get(url, {"page": page + 1, "page_size": PER_PAGE}).status_code == 404
    tail = len(whole) % PER_PAGE or PER_PAGE
    assert api_client.get(url, {"page": "last", "page_size": PER_PAGE}).json()["results"] == listed[-tail:]


def test_more_suggestions_are_hidden_from_whoever_may_not_build_the_agenda(world, client):
    ams = world.ams
    requested(ams)
    meeting = meeting_for(ams)
    more = reverse("lso:meeting-suggestions", args=[meeting.pk])
    page = reverse("lso:meeting-detail", args=[meeting.pk])
    for user in (world.rot.users[Role.LSO_CHAIR], world.rot.users[Role.NGO], world.bureau):
        client.force_login(user)
        assert client.get(more, headers={"HX-Request": "true"}).status_code == 404, user
        assert client.get(page, {"suggestions": "2"}).status_code == 404, user
    # Partners of the LVV see the meeting but do not build its agenda: no suggestions.
    for user in (ams.users[Role.NGO], ams.users["ngo_b"], ams.users[Role.IND]):
        client.force_login(user)
        assert client.get(more, headers={"HX-Request": "true"}).status_code == 404, user
        response = client.get(page, {"suggestions": "2"})
        assert response.status_code == 200 and "suggestions" not in response.context
    client.force_login(chair(ams))
    assert client.get(more, headers={"HX-Request": "true"}).status_code == 200
