"""How a page runs a service for a posted form and answers a refusal (``lvv.errors``,
docs/adr/0025): the same statuses and access-log rows as the API.

    outcome = pages.submit(request, form, lambda: services.do(...), attempt=errors.changing(case))
    if outcome.done:
        messages.success(request, DONE)
        return redirect(...)
    return render(request, template, context, status=outcome.status)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404

from lvv import errors
from lvv.access import policy
from lvv.audit.log import AccessAction, Channel, Origin, Result, record
from lvv.forms import add_refusal

INVALID = 400


@dataclass(frozen=True)
class Outcome:
    """``status`` None: the service did it (``value`` is what it returned); otherwise the
    status to show the page again with, the form carrying the errors."""

    status: int | None = None
    value: Any = None

    @property
    def done(self) -> bool:
        return self.status is None


def submit(
    request,
    form: forms.BaseForm,
    call: Callable[[], Any],
    *,
    attempt: errors.Attempt | Callable[[], errors.Attempt],
    current_version: Callable[[], int] | None = None,
) -> Outcome:
    """Run ``call`` (the service) for ``form`` in one transaction.

    Invalid input answers 400 without calling. A refusal answers as ``lvv.errors`` says:
    logged as a refusal of ``attempt`` where the table says so (a function: asked then, when
    the attempt is named by the cleaned input), a hidden object as ``Http404``, anything
    else on the form with its status. ``current_version`` gives the version the page shows
    now (asked only after a stale version)."""
    if not form.is_valid():
        return Outcome(INVALID)
    outcome, refusal = _run(request, call, attempt)
    if refusal is not None:
        exc, answer = refusal
        stale = isinstance(exc, errors.StaleVersionError) and current_version is not None
        add_refusal(form, exc, answer, current_version=current_version() if stale else None)
    return outcome


def act(request, call: Callable[[], Any], *, attempt: errors.Attempt) -> Outcome:
    """Run ``call`` for a button without input (a task done, a pack again) as ``submit``
    does; a refusal's message goes to the page's messages."""
    outcome, refusal = _run(request, call, attempt)
    if refusal is not None:
        messages.error(request, errors.message_of(*refusal))
    return outcome


def _run(request, call, attempt) -> tuple[Outcome, tuple[Exception, errors.Answer] | None]:
    try:
        with transaction.atomic():
            return Outcome(value=call()), None
    except Exception as exc:
        answer = errors.answer_for(exc)
        if answer is None:
            raise
        errors.log_refusal(request, answer, attempt() if callable(attempt) else attempt, channel=Channel.WEB)
        if answer.status == 404:
            raise Http404(errors.message_of(exc, answer)) from None
        return Outcome(answer.status), (exc, answer)


def require_case_role(user) -> None:
    """The pages of case work (the LSO, the MRT) exist only for users who see persons and
    belong to an organisation; for anyone else (the programme bureau) they answer 404."""
    if not policy.sees_persons(user) or getattr(user, "organisation_id", None) is None:
        raise Http404


def not_found(request, *, action: str = AccessAction.VIEW, **target: Any) -> Http404:
    """The 404 for what the user may not see (``target``: ``obj``, or ``object_type`` and
    ``object_id``), its refusal written to the access log first: ``raise pages.not_found(...)``."""
    record(actor=request.user, action=action, result=Result.DENIED, origin=Origin.from_request(request), **target)
    return Http404()
