"""The earlier page addresses with Dutch words (ADR 0036): each redirects permanently to its
English address with its query string, a form posted to one is posted again (308), and the
redirect opens nothing: the page it leads to applies the access policy (404 for outsiders)."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lvv.legacy_urls import MOVED
from tests.users import OUTSIDERS, outsiders

CONVERTER = re.compile(r"<(?:(\w+):)?(\w+)>")
VALUES = {"int": "7", "slug": "v1", "str": "up"}


def filled(route: str) -> tuple[str, dict[str, str]]:
    """The route with a value in each parameter, and those values by name."""
    values: dict[str, str] = {}

    def value(match: re.Match[str]) -> str:
        values[match[2]] = VALUES[match[1] or "str"]
        return values[match[2]]

    return "/" + CONVERTER.sub(value, route), values


def routes(patterns, prefix: str = "") -> list[str]:
    """Every page route of the site, the redirects of the old addresses left out."""
    found: list[str] = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if getattr(pattern.urlconf_name, "__name__", None) == "lvv.legacy_urls":
                continue
            found += routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append(prefix + str(pattern.pattern))
    return found


@pytest.mark.parametrize(("route", "name"), MOVED, ids=[route for route, _name in MOVED])
def test_an_old_address_redirects_to_the_new_one(client, route, name):
    old, kwargs = filled(route)
    response = client.get(old, {"page": "2"})
    assert response.status_code == 308
    assert response["Location"] == f"{reverse(name, kwargs=kwargs)}?page=2"
    assert response["Location"] != old


def test_no_page_answers_at_an_old_address_any_more():
    current = set(routes(get_resolver().url_patterns))
    assert not current & {route for route, _name in MOVED}


def test_a_form_posted_to_an_old_address_is_posted_again(client):
    response = client.post("/lso/7/punten/8/uitkomst/", {"decision": "postpone"})
    assert response.status_code == 308  # the browser repeats the POST, with its body
    assert response["Location"] == reverse("lso:item-outcome", args=[7, 8])


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_an_old_address_opens_nothing_for_an_outsider(world, who):
    client = Client()
    client.force_login(outsiders(world)[who])
    case = world.ams.assigned
    response = client.get(f"/cases/{case.pk}/procedures/aanvragen/nieuw/", follow=True)
    assert response.redirect_chain == [(reverse("procedures:application-new", args=[case.pk]), 308)]
    assert response.status_code == 404


def test_an_old_address_asks_an_anonymous_user_to_log_in():
    response = Client().get("/monitor/momentopnamen/", follow=True)
    assert response.redirect_chain[0] == (reverse("monitor:snapshots"), 308)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
