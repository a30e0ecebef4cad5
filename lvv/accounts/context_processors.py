"""Header and navigation per role."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from lvv.access import policy
from lvv.accounts.models import Role


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    if policy.sees_persons(user):
        items.append({"label": _("Casussen"), "url": reverse("cases:list"), "section": "cases"})
        items.append(
            {"label": _("Meldingen"), "url": reverse("cases:notifications:list"), "section": "cases:notifications"}
        )
    if user.has_role(Role.LSO_CHAIR, Role.CASEMANAGER, Role.NGO, Role.IND, Role.DTV) and policy.sees_persons(user):
        items.append({"label": _("LSO"), "url": reverse("lso:meeting-list"), "section": "lso"})
        items.append({"label": _("MRT"), "url": reverse("mrt:escalation-list"), "section": "mrt"})
    if user.has_role(Role.CASEMANAGER, Role.LSO_CHAIR, Role.IND, Role.DTV) and policy.sees_persons(user):
        items.append(
            {
                "label": _("Afstemming uitstroom"),
                "url": reverse("cases:reconciliation"),
                "section": "cases:reconciliation",
            }
        )
    if user.has_role(Role.CASEMANAGER, Role.ADMIN) or user.is_superuser:
        items.append({"label": _("Koppelverzoeken"), "url": reverse("cases:match-requests"), "section": "cases:match"})
    if user.has_role(Role.DTV) and policy.sees_persons(user):
        items.append({"label": _("DT&V-toets"), "url": reverse("lso:review-queue"), "section": "lso:review"})
        items.append({"label": _("Vertrekken"), "url": reverse("procedures:departures"), "section": "procedures"})
    if user.has_role(Role.PRIVACY_OFFICER):
        items.append({"label": _("Toegangslog"), "url": reverse("privacy:access-log"), "section": "privacy"})
        items.append({"label": _("Inzageverzoek"), "url": reverse("subject-access:find"), "section": "subject-access"})
    if user.is_staff:
        items.append({"label": _("Beheer"), "url": reverse("admin:index"), "section": "admin"})
    if user.has_role(Role.BUREAU) and not items:
        items.append({"label": _("Start"), "url": reverse("home"), "section": "home"})
    if policy.reads_figures(user):  # by role, without a query on every page
        items.append({"label": _("Monitor"), "url": reverse("monitor:dashboard"), "section": "monitor"})
    section = getattr(getattr(request, "resolver_match", None), "namespace", "")
    for item in items:
        item["current"] = item["section"] == section
    return {"nav_items": items}
