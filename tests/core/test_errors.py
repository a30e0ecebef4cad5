"""The one mapping from domain errors to answers (lvv.errors, docs/adr/0025): the table, the
API's exception handler and the page helper."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import RequestFactory
from rest_framework.request import Request

from cases.workflow import STEPS, State, StepNotAllowed
from lso.services import MinutesFinal
from lvv import errors, pages
from lvv.api.exceptions import exception_handler
from lvv.audit.models import AccessLogEntry

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("error", "status", "code", "logged"),
    [
        (errors.NotVisibleError(), 404, "not_found", "denied"),
        (errors.StaleVersionError(), 409, "stale_version", "conflict"),
        (StepNotAllowed(STEPS["admit"], State.CLOSED), 409, "step_not_allowed", "conflict"),
        (PermissionDenied("Nee."), 403, "permission_denied", "denied"),
        (MinutesFinal(), 403, "permission_denied", "denied"),
        (ValidationError({"on": "Fout."}), 400, "invalid", None),
    ],
)
def test_each_domain_error_has_one_answer(error, status, code, logged):
    answer = errors.answer_for(error)
    assert (answer.status, answer.code, answer.logged) == (status, code, logged)


def test_other_errors_have_no_answer():
    assert errors.answer_for(ValueError("x")) is None
    assert errors.answer_for(Http404()) is None


def _api_request(world, **headers):
    request = Request(RequestFactory().post("/api/v1/x/", **headers))
    request.user = world.ams.users["casemanager"]
    return request


def test_the_handler_answers_and_logs_a_refused_attempt_once(world):
    case = world.ams.assigned
    request = _api_request(world)
    with pytest.raises(PermissionDenied) as raised, errors.attempting(errors.changing(case, step="admit")):
        raise PermissionDenied("U mag dit niet.")
    response = exception_handler(raised.value, {"request": request, "view": None})
    assert response.status_code == 403
    assert response.data == {"detail": "U mag dit niet.", "code": "permission_denied"}
    row = AccessLogEntry.objects.get(result="denied")
    assert (row.channel, row.action, row.object_id) == ("api", "update", str(case.pk))
    assert row.detail == {"step": "admit", "reason": "permission_denied"}


def test_the_handler_gives_field_errors_with_the_attempts_names_and_logs_nothing(world):
    request = _api_request(world)
    attempt = errors.Attempt("update", obj=world.ams.assigned, fields={"kind": "deadline"})
    with pytest.raises(ValidationError) as raised, errors.attempting(attempt):
        raise ValidationError({"kind": "Deze termijn is niet open.", "__all__": "Geheel."})
    response = exception_handler(raised.value, {"request": request, "view": None})
    assert response.status_code == 400
    assert response.data == {"deadline": ["Deze termijn is niet open."], "non_field_errors": ["Geheel."]}
    assert not AccessLogEntry.objects.exists()


def test_a_stale_version_from_if_match_is_412(world):
    request = _api_request(world)
    request.version_from_if_match = True
    response = exception_handler(errors.StaleVersionError(), {"request": request, "view": None})
    assert response.status_code == 412 and response.data["code"] == "precondition_failed"
    response = exception_handler(errors.StaleVersionError(), {"request": _api_request(world), "view": None})
    assert response.status_code == 409 and response.data["detail"] == str(errors.STALE_VERSION)


class _Form(forms.Form):
    on = forms.DateField()
    version = forms.IntegerField(widget=forms.HiddenInput)


def test_the_page_helper_answers_as_the_table_says(world, rf):
    case = world.ams.assigned
    request = rf.post("/")
    request.user = world.ams.users["casemanager"]
    attempt = errors.changing(case)
    called = []
    assert pages.submit(request, _Form({"on": "x"}), lambda: called.append(1), attempt=attempt).status == 400
    assert called == []  # invalid input: the service is not asked

    def stale():
        raise errors.StaleVersionError

    form = _Form({"on": "2020-01-06", "version": "1"})
    outcome = pages.submit(request, form, stale, attempt=errors.changing(case), current_version=lambda: 4)
    assert outcome.status == 409 and form.non_field_errors() == [str(errors.STALE_VERSION)]
    assert form.data["version"] == 4  # a new attempt is based on what the page shows
    row = AccessLogEntry.objects.get(result="conflict")
    assert (row.channel, row.detail) == ("web", {"reason": "stale_version"})

    def invalid():
        raise ValidationError({"on": "Deze datum ligt in de toekomst."})

    form = _Form({"on": "2020-01-06", "version": "1"})
    assert pages.submit(request, form, invalid, attempt=errors.changing(case)).status == 400
    assert form.errors["on"] == ["Deze datum ligt in de toekomst."]

    def hidden():
        raise errors.NotVisibleError

    with pytest.raises(Http404):
        pages.submit(request, _Form({"on": "2020-01-06", "version": "1"}), hidden, attempt=errors.changing(case))
    assert AccessLogEntry.objects.filter(result="denied", detail__reason="not_found").count() == 1
    assert pages.submit(request, _Form({"on": "2020-01-06", "version": "1"}), lambda: 7, attempt=attempt).value == 7
