"""Pages for persons and cases. Thin: reads through selectors, writes through services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from cases import selectors, services
from cases.forms import CaseEditForm, NewCaseForm, PersonEditForm, PersonForm
from cases.models import Case
from lvv.access import policy
from lvv.audit.log import Action, Origin, Result, record


def _changeable_case(request, pk) -> Case:
    """A visible case the user may change; 404 when hidden, 403 (logged) when read-only."""
    case = _visible_case_or_404(request, pk)
    if not policy.can_change_case(request.user, case):
        record(
            actor=request.user,
            action=Action.UPDATE,
            result=Result.DENIED,
            obj=case,
            origin=Origin.from_request(request),
        )
        raise PermissionDenied
    return case


def _visible_case_or_404(request, pk) -> Case:
    try:
        return selectors.get_visible_case(request.user, pk)
    except Case.DoesNotExist:
        services.record_refusal(
            acting_user=request.user,
            origin=Origin.from_request(request),
            action=Action.VIEW,
            object_type="cases.case",
            object_id=pk,
            result=Result.DENIED,
        )
        raise Http404(_("Deze casus bestaat niet of u hebt er geen toegang toe."))


@login_required
def case_list(request):
    if not policy.sees_persons(request.user):
        raise Http404
    case_filter = selectors.CaseFilter(
        request.GET or None, queryset=selectors.visible_cases(request.user), request=request
    )
    paginator = Paginator(case_filter.qs.order_by("person__family_name", "person__given_names", "pk"), 25)
    page = paginator.get_page(request.GET.get("page"))
    record(
        actor=request.user,
        action=Action.LIST,
        origin=Origin.from_request(request),
        object_type="cases.case",
        detail={"filters": {k: v for k, v in request.GET.items() if k != "page" and v}, "count": paginator.count},
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "filter": case_filter,
            "page": page,
            "query": query.urlencode(),
            "can_register": policy.editable_locations(request.user).exists(),
            "filtered": any(v for k, v in request.GET.items() if k != "page"),
        },
    )


@login_required
def case_detail(request, pk):
    case = _visible_case_or_404(request, pk)
    record(actor=request.user, action=Action.VIEW, obj=case, origin=Origin.from_request(request))
    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "person": case.person,
            "show_special_category": policy.can_view_special_category(request.user, case),
            "can_change": policy.can_change_case(request.user, case),
        },
    )


@login_required
def case_create(request):
    if not policy.editable_locations(request.user).exists():
        raise Http404
    person_form = PersonForm(request.POST or None, prefix="person")
    case_form = NewCaseForm(request.POST or None, prefix="case", user=request.user)
    if request.method == "POST" and person_form.is_valid() and case_form.is_valid():
        try:
            with transaction.atomic():
                case = services.register_person_and_case(
                    acting_user=request.user,
                    origin=Origin.from_request(request),
                    location=case_form.cleaned_data["location"],
                    person_fields={f: person_form.cleaned_data[f] for f in PersonForm.Meta.fields},
                    case_fields={
                        "assigned_ngo": case_form.cleaned_data["assigned_ngo"],
                        "external_id": case_form.cleaned_data["external_id"],
                    },
                )
        except ValidationError as exc:
            _attach_errors(exc, person_form, case_form)
        else:
            messages.success(request, _("De casus is geregistreerd."))
            return redirect("cases:detail", pk=case.pk)
    return render(request, "cases/case_create.html", {"person_form": person_form, "case_form": case_form})


@login_required
def case_edit(request, pk):
    case = _changeable_case(request, pk)
    special = policy.can_view_special_category(request.user, case)
    initial = {"version": case.version}
    form = CaseEditForm(request.POST or None, instance=case, initial=initial, show_special_category=special)
    return _save_versioned(
        request,
        form,
        case,
        template="cases/case_edit.html",
        title=_("Casus wijzigen"),
        save=lambda data, version: services.update_case(
            acting_user=request.user,
            origin=Origin.from_request(request),
            case=case,
            expected_version=version,
            **data,
        ),
    )


@login_required
def person_edit(request, pk):
    case = _changeable_case(request, pk)
    person = case.person
    form = PersonEditForm(request.POST or None, instance=person, initial={"version": person.version})
    return _save_versioned(
        request,
        form,
        case,
        template="cases/case_edit.html",
        title=_("Persoonsgegevens wijzigen"),
        save=lambda data, version: services.update_person(
            acting_user=request.user,
            origin=Origin.from_request(request),
            person=person,
            expected_version=version,
            **data,
        ),
    )


def _save_versioned(request, form, case, *, template, title, save):
    if request.method == "POST" and form.is_valid():
        data = {name: value for name, value in form.cleaned_data.items() if name != "version"}
        try:
            save(data, form.cleaned_data["version"])
        except services.StaleVersionError:
            record(
                actor=request.user,
                action=Action.UPDATE,
                result=Result.CONFLICT,
                obj=form.instance,
                origin=Origin.from_request(request),
            )
            form.add_error(None, services.STALE_VERSION)
        except ValidationError as exc:
            _attach_errors(exc, form)
        else:
            messages.success(request, _("De wijzigingen zijn opgeslagen."))
            return redirect("cases:detail", pk=case.pk)
    return render(request, template, {"form": form, "case": case, "title": title})


def _attach_errors(exc: ValidationError, *forms) -> None:
    """Put a service's validation errors on the form that has the field; keep the input."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    for field, messages_ in errors.items():
        target = next((f for f in forms if field in f.fields), forms[0])
        for message in messages_:
            target.add_error(field if field in target.fields else None, message)
