"""The intake page and the match requests it may lead to. Included from ``cases.urls``.

The intake never guesses who the person is (``services.register_intake``): a match with a
person the user may see is shown beside what was typed, for the user to confirm; a match
with a person the user may not see becomes a match request, which reveals nothing of that
person and is resolved by the functional manager or a case worker of the person's LVV.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from cases import services
from cases.forms import CASE_REGISTERED, IntakePersonForm, NewCaseForm, PersonForm
from cases.models import Case, MatchKind, MatchRequest, MatchRequestStatus, Person
from cases.views import attach_errors as _attach_errors
from lvv import errors, pages
from lvv.access import policy
from lvv.accounts.models import Role
from lvv.audit.log import AccessAction, Origin, record
from lvv.forms import StyledFormMixin

PAGE_SIZE = 25
PERSON_CONFIRMED = _("De casus is gekoppeld aan de bekende persoon. Controleer de persoonsgegevens.")
MATCH_REQUEST_RECORDED = _(
    "Deze gegevens komen overeen met een persoon die u niet kunt inzien. Er is een koppelverzoek vastgelegd; "
    "de functioneel beheerder of de betrokken LVV handelt het af. U vindt het onder “Koppelverzoeken”."
)
MATCH_REQUEST_NOT_FOUND = _("Dit koppelverzoek bestaat niet of u hebt er geen toegang toe.")
MATCH_RESOLVED = _("Het koppelverzoek is afgehandeld.")

COMPARED_FIELDS = ("v_number", "family_name", "given_names", "birth_date", "sex", "nationality")


def _comparison(person_form, person: Person) -> list[dict]:
    """Each field: its label, what was typed and what is stored, and whether they differ."""
    rows = []
    for name in COMPARED_FIELDS:
        field = person_form.fields[name]
        typed = person_form.cleaned_data.get(name)
        stored = getattr(person, name)
        if name == "sex":
            typed_text, stored_text = dict(field.choices).get(typed or "", ""), person.get_sex_display()
        elif name == "nationality":
            typed_text = dict(field.choices).get(typed or "", "") if typed else ""
            stored_text = stored.name if stored else ""
        else:
            typed_text, stored_text = typed or "", stored or ""
        rows.append(
            {
                "label": field.label,
                "typed": typed_text,
                "stored": stored_text,
                "differs": str(typed_text) != str(stored_text),
            }
        )
    return rows


@login_required
def case_create(request):
    if not policy.editable_locations(request.user).exists():
        raise Http404
    data = request.POST or None
    person_form = IntakePersonForm(data, prefix="person")
    case_form = NewCaseForm(data, prefix="case", user=request.user, initial={"intake_key": uuid.uuid4()})
    context = {"person_form": person_form, "case_form": case_form}
    done = _already_registered(request)
    if done is not None:  # the same form sent twice (a double click): the first registration
        return redirect(f"{reverse('cases:detail', args=[done.pk])}#step-record_admission_check")
    if request.method == "POST" and person_form.is_valid() and case_form.is_valid():
        confirm = request.POST.get("confirm_person") or None
        try:
            case = services.register_intake(
                acting_user=request.user,
                origin=Origin.from_request(request),
                location=case_form.cleaned_data["location"],
                person_fields={f: person_form.cleaned_data[f] for f in PersonForm.Meta.fields},
                case_fields=case_form.case_fields(),
                intake_key=case_form.cleaned_data.get("intake_key"),
                confirm_person=int(confirm) if confirm and confirm.isdigit() else confirm,
                new_person=request.POST.get("new_person") == "1",
            )
        except services.PossibleMatch as match:
            context["matches"] = [{"person": p, "rows": _comparison(person_form, p)} for p in match.persons]
            context["by_v_number"] = match.by_v_number
            for person in match.persons:
                record(actor=request.user, action=AccessAction.VIEW, obj=person, origin=Origin.from_request(request))
        except services.MatchRequested as requested:
            messages.info(request, MATCH_REQUEST_RECORDED)
            return redirect("cases:match-request", pk=requested.request.pk)
        except services.NotVisibleError:
            raise Http404 from None
        except ValidationError as exc:
            _attach_errors(exc, person_form, case_form)
        else:
            messages.success(request, CASE_REGISTERED)
            if confirm:
                messages.warning(request, PERSON_CONFIRMED)
            return redirect(f"{reverse('cases:detail', args=[case.pk])}#step-record_admission_check")
    return render(request, "cases/case_create.html", context)


def _already_registered(request) -> Case | None:
    """The case this form's one-time key registered already, if the user may see it."""
    key = request.POST.get("case-intake_key", "") if request.method == "POST" else ""
    try:
        key = uuid.UUID(key)
    except ValueError:
        return None
    return Case.objects.visible_to(request.user).filter(intake_key=key).first()


# --- Match requests -------------------------------------------------------------------------


def _works_on_matches(user) -> bool:
    return user.is_superuser or user.has_role(Role.ADMIN, Role.CASEMANAGER)


def match_requests_for(user):
    """The requests a user made, and those the user may resolve (open or not)."""
    if user.is_superuser or user.has_role(Role.ADMIN):
        return MatchRequest.objects.all()
    own = Q(requested_by=user)
    if user.has_role(Role.CASEMANAGER):
        resolvable = Q(
            matched_person__in=Case.objects.filter(location__in=policy.editable_locations(user)).values("person")
        )
        return MatchRequest.objects.filter(own | resolvable)
    return MatchRequest.objects.filter(own)


@login_required
def match_request_list(request):
    if not _works_on_matches(request.user):
        raise Http404
    status = request.GET.get("status", "open")
    requests = match_requests_for(request.user).select_related("location", "requested_by")
    if status in MatchRequestStatus.values:
        requests = requests.filter(status=status)
    page = Paginator(requests.order_by("-requested_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/match_request_list.html",
        {"page": page, "status": status, "statuses": MatchRequestStatus.choices},
    )


class ResolveForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Besluit"),
        widget=forms.RadioSelect,
        choices=[
            ("link", _("Dezelfde persoon: registreer de casus bij de bekende persoon")),
            ("new_person", _("Een andere persoon: registreer een nieuwe persoon")),
            ("decline", _("Afwijzen (bijvoorbeeld een tikfout in het V-nummer): met toelichting")),
        ],
    )
    note = forms.CharField(
        label=_("Toelichting"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, match_kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        if match_kind == MatchKind.V_NUMBER:
            self.fields["decision"].choices = [c for c in self.fields["decision"].choices if c[0] != "new_person"]


def _match_request_or_404(request, pk) -> tuple[MatchRequest, bool]:
    try:
        return services.match_request_for(request.user, Origin.from_request(request), pk)
    except services.NotVisibleError:
        raise Http404(MATCH_REQUEST_NOT_FOUND) from None


@login_required
def match_request_detail(request, pk):
    match, resolver = _match_request_or_404(request, pk)
    record(actor=request.user, action=AccessAction.VIEW, obj=match, origin=Origin.from_request(request))
    form = ResolveForm(match_kind=match.match_kind) if resolver and match.status == MatchRequestStatus.OPEN else None
    return _render_detail(request, match, resolver, form)


def _render_detail(request, match, resolver, form, status=200):
    """What was typed; beside it, for a resolver only, what is stored."""
    rows = []
    for name in COMPARED_FIELDS:
        label = IntakePersonForm.base_fields[name].label
        stored = (getattr(match.matched_person, name) or "") if resolver else None
        if name == "nationality" and stored:
            stored = stored.name
        rows.append((label, match.person_fields.get(name) or "", stored))
    context = {"match": match, "resolver": resolver, "form": form, "rows": rows}
    return render(request, "cases/match_request_detail.html", context, status=status)


@login_required
@require_POST
def match_request_resolve(request, pk):
    match, resolver = _match_request_or_404(request, pk)
    if not resolver:
        errors.deny(request, errors.changing(match))
    form = ResolveForm(request.POST, match_kind=match.match_kind)
    outcome = pages.submit(
        request,
        form,
        lambda: services.resolve_match_request(
            acting_user=request.user,
            origin=Origin.from_request(request),
            request=match,
            decision=form.cleaned_data["decision"],
            note=form.cleaned_data["note"],
        ),
        attempt=errors.changing(match),
    )
    if outcome.done:
        messages.success(request, MATCH_RESOLVED)
        return redirect("cases:match-request", pk=match.pk)
    return _render_detail(request, match, resolver, form, status=outcome.status)
