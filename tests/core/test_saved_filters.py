"""Saved filters of the lists (``lvv.lists``): saved under a name, listed, applied and deleted
by their own user only; free text is not kept; bad input answers with field errors."""

from __future__ import annotations

import pytest
from django.urls import reverse

from lvv.accounts.models import Role
from lvv.lists import services
from lvv.lists.models import SavedFilter

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dutch")]

SAVE = reverse("lists:save-filter")
LIST = reverse("cases:list")


def save(client, name="Wachtlijst Amsterdam", query="state=waiting&location=amsterdam&sort=-name&page=3", **extra):
    return client.post(
        SAVE,
        {
            "savedfilter-name": name,
            "savedfilter-list_name": "cases",
            "savedfilter-querystring": query,
            "savedfilter-next": LIST,
            **extra,
        },
    )


def test_save_apply_and_delete_own_filter(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    response = save(client)
    assert response.status_code == 302
    # Back to the list with the filter applied: the filters and the sort, not the page.
    assert response["Location"] == f"{LIST}?location=amsterdam&sort=-name&state=waiting"
    saved = SavedFilter.objects.get(user=user)
    assert (saved.list_name, saved.name, saved.querystring) == (
        "cases",
        "Wachtlijst Amsterdam",
        "location=amsterdam&sort=-name&state=waiting",
    )
    # The list shows it (a link that applies it) and the form to save the current filters.
    html = client.get(LIST, {"state": "waiting"}).content.decode()
    assert f'href="?{saved.querystring.replace("&", "&amp;")}"' in html
    assert 'name="savedfilter-querystring" value="mine=false&amp;state=waiting"' in html
    # The same name again replaces it.
    save(client, query="state=sheltered")
    assert SavedFilter.objects.get(user=user).querystring == "state=sheltered"
    response = client.post(reverse("lists:delete-filter", args=[saved.pk]), {"next": LIST})
    assert response.status_code == 302 and response["Location"] == LIST
    assert not SavedFilter.objects.exists()


def test_saved_filters_are_private(client, world):
    own = world.ams.users[Role.CASEMANAGER]
    other = world.ams.users[Role.LSO_CHAIR]  # same organisation, same LVV
    mine = services.save_filter(user=own, list_name="cases", name="Mijn filter", querystring="state=registered")
    client.force_login(other)
    html = client.get(LIST).content.decode()
    assert "Mijn filter" not in html
    assert client.post(reverse("lists:delete-filter", args=[mine.pk]), {"next": LIST}).status_code == 404
    assert SavedFilter.objects.filter(pk=mine.pk).exists()
    # A filter of the same name by the other user is the other user's own.
    save(client, name="Mijn filter", query="state=closed")
    assert SavedFilter.objects.get(user=own).querystring == "state=registered"
    assert SavedFilter.objects.get(user=other).querystring == "state=closed"
    assert services.saved_filters(other, "cases")[0].querystring == "state=closed"


def test_free_text_and_the_page_are_not_saved(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    save(client, query="q=Jansen&state=registered&page=2&export=csv")
    assert SavedFilter.objects.get(user=user).querystring == "state=registered"


def test_bad_input_gives_field_errors(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    client.force_login(user)
    response = save(client, name="   ")
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == ["Geef het filter een naam."]
    assert 'data-testid="error-summary"' in response.content.decode()
    response = save(client, name="x" * 81)
    assert response.status_code == 400 and response.context["form"].errors["name"]
    response = client.post(
        SAVE, {"savedfilter-name": "X", "savedfilter-list_name": "../admin", "savedfilter-next": LIST}
    )
    assert response.status_code == 400 and "Deze lijst bestaat niet." in response.content.decode()
    assert not SavedFilter.objects.exists()
    # Somewhere else than this site: back to the home page.
    response = save(client, name="Ergens", **{"savedfilter-next": "https://example.org/cases/"})
    assert response.status_code == 302 and response["Location"].startswith("/?")


def test_a_limited_number_per_list(client, world):
    user = world.ams.users[Role.CASEMANAGER]
    for n in range(services.MAX_PER_LIST):
        services.save_filter(user=user, list_name="cases", name=f"F{n}", querystring=f"state=s{n}")
    client.force_login(user)
    response = save(client, name="Nog een")
    assert response.status_code == 400
    assert "ten hoogste 25 filters" in str(response.context["form"].errors["name"])
    assert save(client, name="F3", query="state=registered").status_code == 302  # replacing is fine


def test_users_who_see_no_list_get_404(client, world):
    client.force_login(world.bureau)
    assert save(client).status_code == 404
    assert not SavedFilter.objects.exists()


def test_get_is_not_allowed_and_anonymous_must_log_in(client, world):
    assert client.post(SAVE).status_code == 302  # to the login page
    client.force_login(world.ams.users[Role.CASEMANAGER])
    assert client.get(SAVE).status_code == 405
