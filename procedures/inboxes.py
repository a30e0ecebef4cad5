"""The procedures app's partner inbox (registered in ``cases.inboxes`` by
``ProceduresConfig.ready``).

``ind_decision``: applications the IND decides on (repeat asylum, *buitenschuld*, regular,
medical art. 64) that wait for a decision, in the cases the IND officer sees (a medical one
only where the officer may see special-category data of the case). Done when the
IND records the decision (``procedures.services.decide_application``). Since: the earliest
submission still waiting; due: that date plus the decision period (``LVV_DECISION_DUE_DAYS``).
A closed case stays in the inbox while its application waits: the decision still comes.
"""

from __future__ import annotations

from django.db.models import BooleanField, DateField, Exists, ExpressionWrapper, OuterRef, Q, Subquery, Value
from django.db.models.expressions import CombinedExpression
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from cases.inboxes import Inbox, register
from cases.models import Case, EventType
from lvv.accounts.models import Role
from procedures import services
from procedures.models import IND_KINDS, SPECIAL_KINDS, ApplicationKind
from procedures.selectors import pending_ind_applications


def _waiting(user=None):
    """The case's applications waiting for the IND, oldest first; in the inbox's dates and
    words the medical ones come last, so a case that is in the inbox of a user without the
    special-category permission (for another application) never shows a medical one."""
    special = ExpressionWrapper(Q(kind__in=SPECIAL_KINDS), output_field=BooleanField())
    return (
        pending_ind_applications(user)
        .filter(case=OuterRef("pk"))
        .annotate(special=special)
        .order_by("special", "submitted_on", "pk")
    )


def _pending(user):
    # A medical application only for an IND officer who may see special-category data.
    return Case.objects.visible_to(user).filter(Exists(_waiting(user)))


def _annotations() -> dict:
    oldest = _waiting()
    return {
        "inbox_since": Subquery(oldest.values("submitted_on")[:1]),
        # date + integer is a date in PostgreSQL
        "inbox_due": CombinedExpression(
            Subquery(oldest.values("submitted_on")[:1]),
            "+",
            Value(services.decision_due_days()),
            output_field=DateField(),
        ),
        "inbox_kind": Subquery(oldest.values("kind")[:1]),
        "inbox_application": Subquery(oldest.values("pk")[:1]),
    }


def _describe(case: Case) -> str:
    kind = getattr(case, "inbox_kind", "")
    return str(ApplicationKind(kind).label) if kind in ApplicationKind.values else ""


def _link(case: Case) -> str:
    application = getattr(case, "inbox_application", None)
    if application:
        return reverse("procedures:application", args=[case.pk, application]) + "#decision"
    return reverse("cases:detail", args=[case.pk]) + "#procedures"


register(
    Inbox(
        key="ind_decision",
        title=_("Aanvragen wachtend op een besluit"),
        roles=(Role.IND,),
        pending=_pending,
        annotations=_annotations,
        item_label=_("aanvraag ingediend"),
        done=_(
            "Aanvragen waarop de IND besluit (opvolgende asielaanvraag, buitenschuld, regulier, medisch "
            "uitstel van vertrek) en waarop nog geen besluit is vastgelegd. Een aanvraag verdwijnt uit deze "
            "inbox zodra de IND het besluit vastlegt."
        ),
        link=_link,
        arrives_on={EventType.APPLICATION_SUBMITTED: lambda data: data.get("kind") in IND_KINDS},
        describe=_describe,
        order=15,
    )
)
