"""After a failed submit: one error summary at the top that links to each field in error
(focused by static/js/app.js), and no claim of marked fields when none is marked."""

from __future__ import annotations

import pytest
from django import forms
from django.urls import reverse

from lvv.forms import StyledFormMixin

pytestmark = pytest.mark.django_db


class _Form(StyledFormMixin, forms.Form):
    name = forms.CharField(label="Naam")
    version = forms.IntegerField(widget=forms.HiddenInput)


def test_summary_links_every_field_error_and_lists_the_others():
    form = _Form(data={"name": "", "version": "x"})
    form.is_valid()
    form.add_error(None, "Iemand anders wijzigde dit tegelijk.")
    html = form.render()
    assert "data-error-summary" in html and 'tabindex="-1"' in html
    assert 'href="#id_name_field"' in html and "Naam: " in html
    assert "Iemand anders wijzigde dit tegelijk." in html
    assert 'id="id_name_field"' in html  # the link's target


def test_no_summary_without_errors():
    assert "data-error-summary" not in _Form().render()


def test_a_page_with_a_failed_submit_shows_the_summary(client, world):
    case = world.ams.assigned
    client.force_login(world.ams.users["casemanager"])
    response = client.post(reverse("cases:person-edit", args=[case.pk]), {"family_name": "", "version": 1})
    html = response.content.decode()
    assert response.status_code == 400 and "data-error-summary" in html
    assert 'href="#id_family_name_field"' in html
    assert "js/app.js" in html
