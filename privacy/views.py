"""The privacy officer's subject access page: find the person, then download the file as
JSON, as a readable PDF, and the documents as a ZIP. Every download is logged."""

from __future__ import annotations

import json

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from cases.models import Case, Person
from lvv.audit import officer
from lvv.audit.log import AccessAction, Channel, Origin, record
from lvv.forms import StyledFormMixin
from lvv.pdf import html_to_pdf
from privacy import subject_access

PERSON_NOT_FOUND = _("Er is geen persoon met dit V-nummer of registratienummer in de LVV's van uw gemeente.")
FORMATS = {"json", "pdf", "zip"}


class FindPersonForm(StyledFormMixin, forms.Form):
    person = forms.CharField(
        label=_("Persoon"),
        max_length=20,
        help_text=_("V-nummer (10 cijfers) of registratienummer van de persoon."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_person(self):
        value = self.cleaned_data["person"].strip()
        person = officer_person(self.user, value)
        if person is None:
            raise forms.ValidationError(PERSON_NOT_FOUND)
        return person


def officer_person(user, value: str) -> Person | None:
    """The person named by a V-number or record number, if the person has a case in one of
    the officer's LVVs (the file itself then holds all LVVs)."""
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    lookup = {"v_number": value} if len(value) == 10 else {"pk": int(value)}
    cases = Case.objects.filter(location__in=officer.officer_locations(user))
    return Person.objects.filter(**lookup, cases__in=cases).distinct().first()


def logged_file(request, person: Person, fmt: str, *, channel: str = Channel.WEB) -> dict:
    """The subject access file of ``person`` (``subject_access.build``), its export in
    ``fmt`` logged with the cases it holds."""
    data = subject_access.build(person)
    record(
        actor=request.user,
        action=AccessAction.EXPORT,
        obj=person,
        origin=Origin.from_request(request, channel),
        detail={"subject_access": True, "format": fmt, "cases": [case["id"] for case in data["cases"]]},
    )
    return data


def _officer_or_404(request) -> None:
    if not officer.is_privacy_officer(request.user):
        raise Http404


@login_required
@require_GET
def subject_access_page(request):
    _officer_or_404(request)
    form = FindPersonForm(request.GET or None, user=request.user)
    person = form.cleaned_data["person"] if form.is_bound and form.is_valid() else None
    summary = None
    if person is not None:
        record(
            actor=request.user,
            action=AccessAction.VIEW,
            obj=person,
            origin=Origin.from_request(request),
            detail={"subject_access": True},
        )
        summary = {
            "cases": list(Case.objects.filter(person=person).select_related("location").order_by("registered_on")),
            "documents": subject_access.Document.objects.filter(case__person=person).count(),
        }
    return render(request, "privacy/subject_access.html", {"form": form, "person": person, "summary": summary})


@login_required
@require_GET
def subject_access_download(request, person_pk: int, fmt: str):
    _officer_or_404(request)
    person = officer_person(request.user, str(person_pk))
    if person is None or fmt not in FORMATS:
        raise Http404
    data = logged_file(request, person, fmt)
    name = f"inzage-{person.pk}"
    if fmt == "json":
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
    elif fmt == "pdf":
        html = render_to_string("privacy/subject_access_pdf.html", {"file": subject_access.readable(data)})
        response = HttpResponse(html_to_pdf(html), content_type="application/pdf")
    else:
        archive = subject_access.documents_zip(person)
        if archive is None:
            raise Http404(_("Er zijn geen documenten van deze persoon."))
        response = HttpResponse(archive, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["Cache-Control"] = "no-store"
    return response
