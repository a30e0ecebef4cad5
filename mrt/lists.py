"""The MRT app's list (``lvv.lists``): the escalations.

Sort keys: the person's name, the day of the escalation (the default, newest first), the
reason, the status and the advice's due date (``mrt_escalation_status_due``); the id last.
The export writes what the page shows, never the question or the advice's reasoning; its
access-log row names the cases.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from lvv.lists.listing import Column, ListDefinition, register

ESCALATIONS = register(
    ListDefinition(
        name="mrt_escalations",
        title=_("MRT-voorleggingen"),
        columns=(
            Column(
                "case",
                _("Casus"),
                order_by=("case__person__family_name", "case__person__given_names"),
                value=lambda e: f"{e.case.person.family_name}, {e.case.person.given_names}",
            ),
            Column("reference", _("Kenmerk"), value=lambda e: e.case.reference),
            Column("location", _("LVV"), value=lambda e: e.case.location.name),
            Column("escalated_on", _("Voorgelegd op"), order_by=("escalated_on",), value=lambda e: e.escalated_on),
            Column("reason", _("Reden"), order_by=("reason",), value=lambda e: e.get_reason_display()),
            Column("status", _("Status"), order_by=("status",), value=lambda e: e.get_status_display()),
            Column("followed_up", _("Besproken in het LSO"), value=lambda e: bool(e.followed_up)),
            Column(
                "advice_due_on", _("Advies uiterlijk"), order_by=("advice_due_on",), value=lambda e: e.advice_due_on
            ),
        ),
        default_sort="-escalated_on",
        object_type="mrt.escalation",
        logged_field="case_id",
    )
)
